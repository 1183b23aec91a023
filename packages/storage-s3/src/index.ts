// @backupkit/storage-s3: StorageDriver for Amazon S3 and S3-compatible stores.
export { S3StorageDriver } from './s3-driver.js';
export { toS3Error } from './s3-errors.js';
export { createS3Driver, s3DriverFactory, s3DriverFactoryWith } from './s3-factory.js';
export {
  type S3Credentials,
  type S3DriverOptions,
  type S3Encryption,
  s3OptionsFromDestination,
} from './s3-options.js';
