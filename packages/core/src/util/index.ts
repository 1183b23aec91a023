export * from './abort.js';
export * from './concurrency.js';
export * from './hash.js';
export * from './semaphore.js';
export * from './clock.js';
export * from './ids.js';
