import type { DestinationConfig, StorageDriverFactory } from '@backupkit/core';
import { GcsStorageDriver } from './gcs-driver.js';
import { type GcsDriverOptions, gcsOptionsFromDestination } from './gcs-options.js';

/**
 * A GCS driver from options: `{ bucket, path, projectId, ... }` or `{ bucket, client }`.
 * @throws BackupError `invalid_backup_config` for unusable options.
 */
export function createGcsDriver(options: GcsDriverOptions): GcsStorageDriver {
  return new GcsStorageDriver(options);
}

/**
 * Builds a GCS driver from a job's destination (`{ type: 'gcs', bucket, path, storage_class,
 * ... }`); `extra` adds what a destination cannot hold, such as a ready `Storage`.
 * @throws BackupError `invalid_backup_config` for an invalid destination.
 */
export function gcsDriverFactoryWith(extra: Partial<GcsDriverOptions> = {}): StorageDriverFactory {
  return (destination: DestinationConfig) =>
    createGcsDriver({ ...gcsOptionsFromDestination(destination), ...extra });
}

/** The default factory: Application Default Credentials unless the destination names a key file. */
export const gcsDriverFactory: StorageDriverFactory = gcsDriverFactoryWith();
