import type { S3Client, S3ClientConfig, ServerSideEncryption, StorageClass } from '@aws-sdk/client-s3';
import { BackupError, type DestinationConfig } from '@backupkit/core';

/** Server-side encryption, as a destination's `encryption` field names it. */
export type S3Encryption = 'AES256' | 'aws:kms' | 'aws:kms:dsse';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3DriverOptions {
  bucket: string;
  /** Key prefix inside the bucket (the destination's `path`), e.g. `database/daily/`. */
  path?: string;
  /**
   * A ready client (custom credentials providers, proxies, emulators, tests). When given,
   * `region`, `endpoint`, `forcePathStyle`, `credentials`, `maxAttempts` and `clientConfig`
   * are ignored, and `close()` leaves the client open.
   */
  client?: S3Client;
  region?: string;
  /** An S3-compatible store's URL, e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** `https://host/bucket/key` addressing, which most S3-compatible stores need. */
  forcePathStyle?: boolean;
  /** Static credentials; otherwise the SDK's default chain (env, profile, instance role). */
  credentials?: S3Credentials;
  /** Storage class of every object written, e.g. `STANDARD_IA`. */
  storageClass?: StorageClass;
  encryption?: S3Encryption;
  /** KMS key id or ARN for `aws:kms` encryption; the bucket's default key when omitted. */
  kmsKeyId?: string;
  /** Multipart part size; default 8 MiB (S3's minimum is 5 MiB). Memory ≈ partSize × queueSize. */
  partSize?: number;
  /** Parts uploaded in parallel per put; default 4. */
  queueSize?: number;
  /** Attempts per request, the SDK's retry with backoff included; default 5. */
  maxAttempts?: number;
  /** Further client settings (request handler, checksum modes, logger...). */
  clientConfig?: S3ClientConfig;
}

const MiB = 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * MiB;

/** Classes whose objects cannot be read without a restore request: a repository must stay readable. */
const COLD_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE']);

function invalid(message: string, field: string): BackupError {
  return new BackupError('invalid_backup_config', message, { details: { field } });
}

/**
 * Checks options before any request is made.
 * @throws BackupError `invalid_backup_config`
 */
export function validateS3Options(options: S3DriverOptions): void {
  if (typeof options.bucket !== 'string' || options.bucket.length === 0) {
    throw invalid('An S3 destination needs a bucket', 'bucket');
  }
  if (options.storageClass !== undefined && COLD_CLASSES.has(options.storageClass)) {
    throw invalid(
      `Storage class ${options.storageClass} needs a restore before objects can be read; backups must stay readable (use GLACIER_IR or a lifecycle rule)`,
      'storage_class',
    );
  }
  if (
    options.encryption !== undefined &&
    !['AES256', 'aws:kms', 'aws:kms:dsse'].includes(options.encryption)
  ) {
    throw invalid('encryption must be AES256, aws:kms or aws:kms:dsse', 'encryption');
  }
  if (options.kmsKeyId !== undefined && options.encryption === 'AES256') {
    throw invalid('kms_key_id needs aws:kms encryption', 'kms_key_id');
  }
  if (options.partSize !== undefined && (!Number.isInteger(options.partSize) || options.partSize < 5 * MiB)) {
    throw invalid('partSize must be an integer of at least 5 MiB', 'partSize');
  }
}

function optionalString(destination: DestinationConfig, field: string): string | undefined {
  const value = destination[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`, field);
  return value;
}

function optionalBoolean(destination: DestinationConfig, field: string): boolean | undefined {
  const value = destination[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(`${field} must be a boolean`, field);
  return value;
}

/**
 * Reads a job's destination object: `{ type: 's3', bucket, path, region, encryption,
 * storage_class, kms_key_id?, endpoint?, force_path_style?, access_key_id?,
 * secret_access_key?, session_token? }`. Without keys in the destination, credentials come
 * from the SDK's default chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, roles).
 * @throws BackupError `invalid_backup_config`
 */
export function s3OptionsFromDestination(destination: DestinationConfig): S3DriverOptions {
  if (destination.type !== 's3') throw invalid(`Not an S3 destination: ${destination.type}`, 'type');
  const accessKeyId = optionalString(destination, 'access_key_id');
  const secretAccessKey = optionalString(destination, 'secret_access_key');
  const sessionToken = optionalString(destination, 'session_token');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw invalid('access_key_id and secret_access_key go together', 'access_key_id');
  }
  const options: S3DriverOptions = {
    bucket: optionalString(destination, 'bucket') ?? '',
    path: optionalString(destination, 'path'),
    region: optionalString(destination, 'region'),
    endpoint: optionalString(destination, 'endpoint'),
    forcePathStyle: optionalBoolean(destination, 'force_path_style'),
    storageClass: optionalString(destination, 'storage_class') as StorageClass | undefined,
    encryption: optionalString(destination, 'encryption') as S3Encryption | undefined,
    kmsKeyId: optionalString(destination, 'kms_key_id'),
  };
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    options.credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  validateS3Options(options);
  return options;
}

/** The upload parameters every put carries (class and server-side encryption). */
export function writeParams(options: S3DriverOptions): {
  StorageClass?: StorageClass;
  ServerSideEncryption?: ServerSideEncryption;
  SSEKMSKeyId?: string;
} {
  return {
    ...(options.storageClass ? { StorageClass: options.storageClass } : {}),
    ...(options.encryption ? { ServerSideEncryption: options.encryption } : {}),
    ...(options.kmsKeyId ? { SSEKMSKeyId: options.kmsKeyId } : {}),
  };
}
