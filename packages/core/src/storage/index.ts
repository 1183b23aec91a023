export { type GuardReadStreamOptions, guardReadStream } from './guard-read-stream.js';
export { LocalStorageDriver, type LocalStorageDriverOptions } from './local-driver.js';
export { assertStorageKey, ObjectKeyPrefix } from './object-key-prefix.js';
export { type RetryEvent, RetryingStorageDriver, type RetryOptions, withRetries } from './retrying-driver.js';
export type * from './storage-driver.js';
export { isTransientNetworkError } from './transient-errors.js';
