export * from './semaphore.js';
export * from './concurrency.js';
export * from './hash.js';
export * from './abort.js';
