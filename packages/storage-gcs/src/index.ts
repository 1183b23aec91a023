// @backupkit/storage-gcs: StorageDriver for Google Cloud Storage.
export { GcsStorageDriver } from './gcs-driver.js';
export { toGcsError } from './gcs-errors.js';
export { createGcsDriver, gcsDriverFactory, gcsDriverFactoryWith } from './gcs-factory.js';
export { type GcsDriverOptions, gcsOptionsFromDestination } from './gcs-options.js';
