export { LocalStorageDriver, type LocalStorageDriverOptions } from './local-driver.js';
export type * from './storage-driver.js';
