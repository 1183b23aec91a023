import { LocalStorageDriver, type StorageDriver } from '@backupkit/core';
import { azureDriverFactory } from '@backupkit/storage-azure';
import { gcsDriverFactory } from '@backupkit/storage-gcs';
import { s3DriverFactory } from '@backupkit/storage-s3';
import type { ParsedDestination } from './destination-url.js';

const FACTORIES = { s3: s3DriverFactory, azure: azureDriverFactory, gcs: gcsDriverFactory };

/** The driver for a parsed destination; the driver packages read credentials as they always do. */
export async function openStorage(destination: ParsedDestination): Promise<StorageDriver> {
  if (destination.kind === 'file') return new LocalStorageDriver({ root: destination.root });
  const type = destination.config.type as keyof typeof FACTORIES;
  return FACTORIES[type](destination.config);
}
