import type { DestinationConfig, StorageDriverFactory } from '@backupkit/core';
import { S3StorageDriver } from './s3-driver.js';
import { type S3DriverOptions, s3OptionsFromDestination } from './s3-options.js';

/**
 * An S3 driver from options (`{ bucket, path, region, ... }` or `{ bucket, client }`).
 * @throws BackupError `invalid_backup_config` for unusable options.
 */
export function createS3Driver(options: S3DriverOptions): S3StorageDriver {
  return new S3StorageDriver(options);
}

/**
 * Builds an S3 driver from a job's destination (`{ type: 's3', bucket, path, region,
 * encryption, storage_class, ... }`); `extra` adds what a destination cannot hold, such as
 * a ready client. Register it for `type: 's3'`.
 * @throws BackupError `invalid_backup_config` for an invalid destination.
 */
export function s3DriverFactoryWith(extra: Partial<S3DriverOptions> = {}): StorageDriverFactory {
  return (destination: DestinationConfig) =>
    createS3Driver({ ...s3OptionsFromDestination(destination), ...extra });
}

/** The default factory: credentials from the destination or the SDK's default chain. */
export const s3DriverFactory: StorageDriverFactory = s3DriverFactoryWith();
