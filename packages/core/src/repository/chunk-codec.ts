import { BackupError } from '../errors.js';
import { type CompressionSetting, compressBuffer, decompressBuffer } from './compression.js';
import type { DataKey } from './data-key.js';
import type { CompressionAlgorithm } from './manifest.js';
import {
  ObjectDamage,
  type ObjectHeader,
  openObject,
  readObjectHeader,
  sealObject,
} from './object-format.js';

// Encoding and decoding of whole objects on the calling thread (manifests, and chunks when no
// worker threads are used): compression here, the stored layout in object-format.ts.

export interface EncodeOptions {
  compression: Required<CompressionSetting>;
  /** Binds the stored bytes to the object's identity, e.g. `chunk:<id>`. */
  aad: Uint8Array;
  /** Encrypts when given. */
  key: DataKey | null;
}

export interface EncodedObject {
  bytes: Buffer;
  /** The compression actually used (`none` when compressing did not make it smaller). */
  compression: CompressionAlgorithm;
  /**
   * Present when `bytes` lie in reusable shared memory: call it once they are stored (and
   * never if storing may still read them, e.g. after a failed put), so the memory is reused.
   */
  release?: () => void;
  /**
   * SHA-256 hex of `bytes` (the stored object), when the encoder computed it beside the
   * encoding (recorded in `Manifest.stored_chunk_sha256` for checksum verification).
   */
  sha256?: string;
}

/** Compresses (keeping the plaintext when that is not smaller), then encrypts or checksums. */
export async function encodeObject(plaintext: Uint8Array, options: EncodeOptions): Promise<EncodedObject> {
  let body: Uint8Array = plaintext;
  let algorithm: CompressionAlgorithm = 'none';
  if (options.compression.algorithm !== 'none' && plaintext.length > 0) {
    const compressed = await compressBuffer(plaintext, options.compression);
    if (compressed.length < plaintext.length) {
      body = compressed;
      algorithm = options.compression.algorithm;
    }
  }
  return { bytes: sealObject(body, algorithm, options.key, options.aad), compression: algorithm };
}

/** @throws BackupError `integrity_error` (bad magic, unknown version or fields, truncated). */
export function parseObjectHeader(
  stored: Uint8Array,
  label: string,
  details?: Record<string, unknown>,
): ObjectHeader {
  try {
    return readObjectHeader(stored);
  } catch (error) {
    throw damaged(error, label, details);
  }
}

export interface DecodeOptions {
  aad: Uint8Array;
  /** Resolves the data key named in the header (throws key_not_found / key_mismatch). */
  resolveKey: (dataKeyId: string) => Promise<DataKey>;
  /** Upper bound on the plaintext size. */
  maxPlaintext: number;
  /** Names the object in errors, e.g. `Chunk 3fa9…`. */
  label: string;
  details?: Record<string, unknown>;
}

/**
 * Authenticates, decrypts and decompresses a stored object (`stored` is left as it was).
 * @throws BackupError `integrity_error` on any mismatch, `key_not_found` / `key_mismatch` from the key lookup.
 */
export async function decodeObject(stored: Buffer, options: DecodeOptions): Promise<Buffer> {
  const header = parseObjectHeader(stored, options.label, options.details);
  const key = header.encrypted ? await resolveKey(header.dataKeyId!, options) : null;
  let body: Buffer;
  try {
    body = openObject(stored, header, key, options.aad, false);
  } catch (error) {
    throw damaged(error, options.label, options.details);
  }
  try {
    return await decompressBuffer(body, header.compression, options.maxPlaintext);
  } catch (error) {
    if (error instanceof BackupError && error.code === 'not_implemented') throw error;
    throw integrity(options.label, 'does not decompress', options.details, error);
  }
}

async function resolveKey(dataKeyId: string, options: DecodeOptions): Promise<DataKey> {
  try {
    return await options.resolveKey(dataKeyId);
  } catch (error) {
    if (error instanceof BackupError && error.code === 'integrity_error') {
      const what = `${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}`;
      throw integrity(options.label, `names ${what}`, { ...options.details, ...error.details });
    }
    throw error;
  }
}

/** An ObjectDamage as the object's integrity error; anything else unchanged. */
function damaged(error: unknown, label: string, details?: Record<string, unknown>): unknown {
  return error instanceof ObjectDamage ? integrity(label, error.message, details) : error;
}

function integrity(
  label: string,
  what: string,
  details?: Record<string, unknown>,
  cause?: unknown,
): BackupError {
  return new BackupError('integrity_error', `${label} ${what}`, { details: details ?? {}, cause });
}
