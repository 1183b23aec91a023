import { BackupError, type DestinationConfig } from '@backupkit/core';
import type { Storage, StorageOptions } from '@google-cloud/storage';

export interface GcsDriverOptions {
  bucket: string;
  /** Name prefix inside the bucket (the destination's `path`). */
  path?: string;
  /** A ready client; connection options below are then ignored. */
  client?: Storage;
  projectId?: string;
  /** Another endpoint, e.g. an emulator: `http://127.0.0.1:9199`. */
  apiEndpoint?: string;
  /** A service-account key file; otherwise Application Default Credentials. */
  keyFilename?: string;
  credentials?: { client_email: string; private_key: string };
  /** Storage class of every object written: STANDARD, NEARLINE, COLDLINE or ARCHIVE. */
  storageClass?: string;
  /** Streams of unknown size or larger than this go through a resumable upload; default 8 MiB. */
  resumableThreshold?: number;
  /** The client's retry settings (exponential backoff); default 5 retries, every operation. */
  retryOptions?: StorageOptions['retryOptions'];
}

const CLASSES = new Set([
  'STANDARD',
  'NEARLINE',
  'COLDLINE',
  'ARCHIVE',
  'MULTI_REGIONAL',
  'REGIONAL',
  'DURABLE_REDUCED_AVAILABILITY',
]);

function invalid(message: string, field: string): BackupError {
  return new BackupError('invalid_backup_config', message, { details: { field } });
}

/** @throws BackupError `invalid_backup_config` */
export function validateGcsOptions(options: GcsDriverOptions): void {
  if (typeof options.bucket !== 'string' || options.bucket.length === 0) {
    throw invalid('A GCS destination needs a bucket', 'bucket');
  }
  if (options.storageClass !== undefined && !CLASSES.has(options.storageClass.toUpperCase())) {
    throw invalid(`Unknown GCS storage class ${options.storageClass}`, 'storage_class');
  }
}

function text(destination: DestinationConfig, field: string): string | undefined {
  const value = destination[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`, field);
  return value;
}

/**
 * Reads a job's destination object: `{ type: 'gcs', bucket, path, storage_class,
 * project_id?, endpoint?, key_filename? }`. Credentials otherwise come from Application
 * Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, metadata server).
 * @throws BackupError `invalid_backup_config`
 */
export function gcsOptionsFromDestination(destination: DestinationConfig): GcsDriverOptions {
  if (destination.type !== 'gcs') throw invalid(`Not a GCS destination: ${destination.type}`, 'type');
  const options: GcsDriverOptions = {
    bucket: text(destination, 'bucket') ?? '',
    path: text(destination, 'path'),
    storageClass: text(destination, 'storage_class')?.toUpperCase(),
    projectId: text(destination, 'project_id'),
    apiEndpoint: text(destination, 'endpoint'),
    keyFilename: text(destination, 'key_filename'),
  };
  validateGcsOptions(options);
  return options;
}
