import { randomUUID } from 'node:crypto';
import { BackupError } from '../errors.js';
import { type ChunkerParams, DEFAULT_CHUNKER_PARAMS, validateChunkerParams } from './chunker.js';

export const REPO_FORMAT_VERSION = 2;

/** Pack files are filled to about this many bytes (default 16 MiB; a repository may choose 4–64 MiB). */
export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;
export const MIN_PACK_SIZE = 4 * 1024 * 1024;
export const MAX_PACK_SIZE = 64 * 1024 * 1024;

/** `repo.json`: what a reader needs to understand the repository. Never holds key material. */
export interface RepoConfig {
  format: 2;
  repo_id: string;
  created_at: string;
  chunker: { algorithm: ChunkerParams['algorithm']; min_size: number; avg_size: number; max_size: number };
  hash: {
    /** Chunk id in encrypted repositories: HMAC-SHA-256 keyed by HKDF-SHA-256(data key). */
    encrypted: 'hmac-sha256/hkdf-sha256';
    /** Chunk id without encryption. */
    plain: 'sha256';
  };
  object_format: 1;
  /** Chunks are stored as blobs appended to pack files of about `target_size` bytes. */
  pack: { target_size: number };
  encryption: { algorithm: 'AES-256-GCM'; key_wrapping: 'per-key-id' };
}

export function newRepoConfig(
  params: ChunkerParams = DEFAULT_CHUNKER_PARAMS,
  now = new Date(),
  packSize = DEFAULT_PACK_SIZE,
): RepoConfig {
  validatePackSize(packSize);
  return {
    format: REPO_FORMAT_VERSION,
    repo_id: randomUUID(),
    created_at: now.toISOString(),
    chunker: {
      algorithm: params.algorithm,
      min_size: params.minSize,
      avg_size: params.avgSize,
      max_size: params.maxSize,
    },
    hash: { encrypted: 'hmac-sha256/hkdf-sha256', plain: 'sha256' },
    object_format: 1,
    pack: { target_size: packSize },
    encryption: { algorithm: 'AES-256-GCM', key_wrapping: 'per-key-id' },
  };
}

/**
 * @throws BackupError `unsupported_format` for a newer format, `corrupt_repository` when it does not parse.
 */
export function parseRepoConfig(bytes: Buffer, location: string): RepoConfig {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new BackupError('corrupt_repository', `repo.json at ${location} is not valid JSON`, {
      cause: error,
    });
  }
  const config = value as Partial<RepoConfig> | null;
  if (!config || typeof config !== 'object' || typeof config.format !== 'number') {
    throw new BackupError('corrupt_repository', `repo.json at ${location} is not a backupkit repository`);
  }
  if (config.format !== REPO_FORMAT_VERSION) {
    // Format 1 (one object per chunk) predates the first release: no reader for it is kept.
    throw new BackupError(
      'unsupported_format',
      `Repository format ${config.format} is not supported (this version reads format ${REPO_FORMAT_VERSION})`,
      { details: { format: config.format, supported: REPO_FORMAT_VERSION } },
    );
  }
  if (typeof config.repo_id !== 'string' || !config.chunker) {
    throw new BackupError('corrupt_repository', `repo.json at ${location} is incomplete`);
  }
  try {
    validatePackSize((config as RepoConfig).pack?.target_size);
  } catch (error) {
    throw new BackupError('corrupt_repository', `repo.json at ${location} has an invalid pack size`, {
      cause: error,
    });
  }
  try {
    validateChunkerParams(chunkerParamsOf(config as RepoConfig));
  } catch (error) {
    throw new BackupError('corrupt_repository', `repo.json at ${location} has invalid chunker parameters`, {
      cause: error,
    });
  }
  return config as RepoConfig;
}

export function chunkerParamsOf(config: RepoConfig): ChunkerParams {
  return {
    algorithm: config.chunker.algorithm,
    minSize: config.chunker.min_size,
    avgSize: config.chunker.avg_size,
    maxSize: config.chunker.max_size,
  };
}

/** @throws BackupError `invalid_backup_config` unless `size` is a whole number of bytes in 4–64 MiB. */
export function validatePackSize(size: unknown): number {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < MIN_PACK_SIZE || size > MAX_PACK_SIZE) {
    throw new BackupError('invalid_backup_config', 'The pack size must be 4 MiB to 64 MiB', {
      details: { pack_size: size, min: MIN_PACK_SIZE, max: MAX_PACK_SIZE },
    });
  }
  return size;
}
