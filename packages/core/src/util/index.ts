export * from './abort.js';
export * from './clock.js';
export * from './concurrency.js';
export * from './hash.js';
export * from './ids.js';
export * from './semaphore.js';
