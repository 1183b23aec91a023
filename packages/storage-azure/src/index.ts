// @backupkit/storage-azure: StorageDriver for Azure Blob Storage.
export { AzureBlobStorageDriver } from './azure-driver.js';
export { toAzureError } from './azure-errors.js';
export { azureDriverFactory, azureDriverFactoryWith, createAzureBlobDriver } from './azure-factory.js';
export {
  type AzureAccessTier,
  type AzureBlobDriverOptions,
  type AzureCredential,
  accessTierOf,
  azureOptionsFromDestination,
} from './azure-options.js';
