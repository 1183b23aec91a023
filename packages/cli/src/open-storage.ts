import { LocalStorageDriver, type StorageDriver } from '@backupkit/core';
import type { ParsedDestination } from './destination-url.js';

// Each cloud driver package (and its SDK, hundreds of modules) loads only when a destination of
// its kind is used: `backupkit snapshots file://…` starts without any of them.
const FACTORIES = {
  s3: async () => (await import('@backupkit/storage-s3')).s3DriverFactory,
  azure: async () => (await import('@backupkit/storage-azure')).azureDriverFactory,
  gcs: async () => (await import('@backupkit/storage-gcs')).gcsDriverFactory,
};

/** The driver for a parsed destination; the driver packages read credentials as they always do. */
export async function openStorage(destination: ParsedDestination): Promise<StorageDriver> {
  if (destination.kind === 'file') return new LocalStorageDriver({ root: destination.root });
  const type = destination.config.type as keyof typeof FACTORIES;
  const factory = await FACTORIES[type]();
  return factory(destination.config);
}
