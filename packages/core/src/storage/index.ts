export type * from './storage-driver.js';
