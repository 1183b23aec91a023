import type {
  AnonymousCredential,
  BlobServiceClient,
  ContainerClient,
  StorageRetryOptions,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { BackupError, type DestinationConfig } from '@backupkit/core';

/** What `@azure/storage-blob` accepts as a credential (a TokenCredential from @azure/identity too). */
export type AzureCredential =
  | StorageSharedKeyCredential
  | AnonymousCredential
  | {
      getToken(
        scopes: string | string[],
        options?: object,
      ): Promise<{ token: string; expiresOnTimestamp: number } | null>;
    };

/** Access tiers a repository can live in; Archive is refused (blobs need rehydration before any read). */
export type AzureAccessTier = 'Hot' | 'Cool' | 'Cold';

export interface AzureBlobDriverOptions {
  container: string;
  /** Name prefix inside the container (the destination's `path`). */
  path?: string;
  /**
   * A ready client: a `ContainerClient`, or a `BlobServiceClient` to take the container from.
   * Connection options below are then ignored.
   */
  client?: ContainerClient | BlobServiceClient;
  /** `DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...` or with a SAS. */
  connectionString?: string;
  /** Account name, with `accountKey` or `credential`. */
  account?: string;
  accountKey?: string;
  credential?: AzureCredential;
  /** Blob service URL; default `https://<account>.blob.core.windows.net`. May carry a SAS query. */
  serviceUrl?: string;
  /** Tier of every blob written (the destination's `storage_class`). */
  accessTier?: AzureAccessTier;
  /** Block size of staged uploads; default 8 MiB. Memory ≈ blockSize × concurrency. */
  blockSize?: number;
  /** Blocks staged in parallel per put; default 4. */
  concurrency?: number;
  /** The SDK's retry policy (exponential backoff); default 5 tries from 500 ms. */
  retry?: StorageRetryOptions;
}

function invalid(message: string, field: string): BackupError {
  return new BackupError('invalid_backup_config', message, { details: { field } });
}

const TIERS: Record<string, AzureAccessTier> = {
  hot: 'Hot',
  cool: 'Cool',
  cold: 'Cold',
  // S3 storage class names, mapped to their Azure counterparts.
  standard: 'Hot',
  standard_ia: 'Cool',
  onezone_ia: 'Cool',
  glacier_ir: 'Cold',
};

/**
 * The access tier for a `storage_class` value (Azure names, or S3's STANDARD/STANDARD_IA...).
 * @throws BackupError `invalid_backup_config` for Archive and unknown names.
 */
export function accessTierOf(storageClass: string): AzureAccessTier {
  const tier = TIERS[storageClass.toLowerCase()];
  if (tier) return tier;
  if (['archive', 'glacier', 'deep_archive'].includes(storageClass.toLowerCase())) {
    throw invalid(
      'The Archive tier needs rehydration before blobs can be read; backups must stay readable',
      'storage_class',
    );
  }
  throw invalid(`Unknown Azure access tier ${storageClass} (Hot, Cool or Cold)`, 'storage_class');
}

/** @throws BackupError `invalid_backup_config` */
export function validateAzureOptions(options: AzureBlobDriverOptions): void {
  if (typeof options.container !== 'string' || options.container.length === 0) {
    throw invalid('An Azure destination needs a container', 'container');
  }
  if (options.accessTier !== undefined) accessTierOf(options.accessTier);
  if (!options.client && !options.connectionString && !options.account && !options.serviceUrl) {
    throw invalid(
      'An Azure destination needs a client, a connection string, an account or a service URL',
      'connection_string',
    );
  }
}

function text(destination: DestinationConfig, field: string): string | undefined {
  const value = destination[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`, field);
  return value;
}

/**
 * Reads a job's destination object: `{ type: 'azure', container (or bucket), path,
 * storage_class, connection_string? | account + account_key? | endpoint (+ SAS)? }`.
 * Without credentials in it, `AZURE_STORAGE_CONNECTION_STRING` or `AZURE_STORAGE_ACCOUNT` +
 * `AZURE_STORAGE_KEY` are read from `env`.
 * @throws BackupError `invalid_backup_config` for wrongly typed fields or an unusable tier.
 */
export function azureOptionsFromDestination(
  destination: DestinationConfig,
  env: NodeJS.ProcessEnv = process.env,
): AzureBlobDriverOptions {
  if (destination.type !== 'azure') throw invalid(`Not an Azure destination: ${destination.type}`, 'type');
  const storageClass = text(destination, 'storage_class') ?? text(destination, 'access_tier');
  const options: AzureBlobDriverOptions = {
    container: text(destination, 'container') ?? text(destination, 'bucket') ?? '',
    path: text(destination, 'path'),
    connectionString: text(destination, 'connection_string'),
    account: text(destination, 'account'),
    accountKey: text(destination, 'account_key'),
    serviceUrl: text(destination, 'endpoint'),
    ...(storageClass ? { accessTier: accessTierOf(storageClass) } : {}),
  };
  if (!options.connectionString && !options.account && !options.serviceUrl) {
    options.connectionString = env.AZURE_STORAGE_CONNECTION_STRING;
    if (!options.connectionString && env.AZURE_STORAGE_ACCOUNT) {
      options.account = env.AZURE_STORAGE_ACCOUNT;
      options.accountKey = env.AZURE_STORAGE_KEY;
    }
  }
  // Connection settings are checked by the driver, once a factory's extras (a client) are merged.
  return options;
}
