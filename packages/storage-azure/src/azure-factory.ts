import type { DestinationConfig, StorageDriverFactory } from '@backupkit/core';
import { AzureBlobStorageDriver } from './azure-driver.js';
import { type AzureBlobDriverOptions, azureOptionsFromDestination } from './azure-options.js';

/**
 * An Azure Blob driver from options: `{ container, connectionString }`, `{ container,
 * account, accountKey | credential }` or `{ container, client }`.
 * @throws BackupError `invalid_backup_config` for unusable options.
 */
export function createAzureBlobDriver(options: AzureBlobDriverOptions): AzureBlobStorageDriver {
  return new AzureBlobStorageDriver(options);
}

/**
 * Builds an Azure driver from a job's destination (`{ type: 'azure', container, path,
 * storage_class, connection_string? ... }`); `extra` adds what a destination cannot hold,
 * such as a ready client or a TokenCredential.
 * @throws BackupError `invalid_backup_config` for an invalid destination.
 */
export function azureDriverFactoryWith(extra: Partial<AzureBlobDriverOptions> = {}): StorageDriverFactory {
  return (destination: DestinationConfig) =>
    createAzureBlobDriver({ ...azureOptionsFromDestination(destination), ...extra });
}

/** The default factory: credentials from the destination or the AZURE_STORAGE_* environment. */
export const azureDriverFactory: StorageDriverFactory = azureDriverFactoryWith();
