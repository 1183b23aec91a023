import { BlobServiceClient, type ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AzureBlobDriverOptions } from './azure-options.js';

/** The container client the options describe (a ready client wins over connection settings). */
export function containerClientFor(options: AzureBlobDriverOptions): ContainerClient {
  const { client, container } = options;
  if (client) return 'getContainerClient' in client ? client.getContainerClient(container) : client;
  const pipeline = {
    retryOptions: { maxTries: 5, retryDelayInMs: 500, maxRetryDelayInMs: 30_000, ...options.retry },
  };
  if (options.connectionString) {
    return BlobServiceClient.fromConnectionString(options.connectionString, pipeline).getContainerClient(
      container,
    );
  }
  const url = options.serviceUrl ?? `https://${options.account}.blob.core.windows.net`;
  const credential =
    options.credential ??
    (options.account && options.accountKey
      ? new StorageSharedKeyCredential(options.account, options.accountKey)
      : undefined);
  return new BlobServiceClient(url, credential, pipeline).getContainerClient(container);
}
