import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BackupError } from '../errors.js';
import {
  COMPRESSION_IDS,
  type CompressionSetting,
  compressBuffer,
  compressionAlgorithmFromId,
  decompressBuffer,
} from './compression.js';
import type { DataKey } from './data-key.js';
import type { CompressionAlgorithm } from './manifest.js';

/*
 * Stored object layout (chunks and manifests alike), all integers unsigned:
 *
 *   0  magic "BKOB"            4 bytes
 *   4  format version (1)      1
 *   5  compression id          1   (0 none, 1 gzip, 2 brotli, 3 zstd)
 *   6  flags                   1   (bit 0: encrypted)
 *   7  reserved (0)            1
 *   8  data key id            16   (zeros when not encrypted)
 *  24  nonce                  12   (zeros when not encrypted)
 *  36  payload
 *
 * Encrypted: payload = AES-256-GCM(compressed) || 16-byte tag, associated data =
 * header || object AAD (the chunk id or the backup id), so neither the header nor the
 * object's identity can be swapped. Not encrypted: payload = compressed || SHA-256(header ||
 * AAD || compressed), so corruption is still detected before anything is decompressed.
 */
export const OBJECT_MAGIC = Buffer.from('BKOB', 'ascii');
export const OBJECT_FORMAT_VERSION = 1;
export const HEADER_BYTES = 36;
const FLAG_ENCRYPTED = 1;
const TAG_BYTES = 16;
const DIGEST_BYTES = 32;

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

export interface ObjectHeader {
  version: number;
  compression: CompressionAlgorithm;
  encrypted: boolean;
  /** 32 hex, or null when not encrypted. */
  dataKeyId: string | null;
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
  const header = Buffer.alloc(HEADER_BYTES);
  OBJECT_MAGIC.copy(header, 0);
  header[4] = OBJECT_FORMAT_VERSION;
  header[5] = COMPRESSION_IDS[algorithm];
  if (options.key) {
    header[6] = FLAG_ENCRYPTED;
    options.key.idBytes.copy(header, 8);
    const nonce = randomBytes(12);
    nonce.copy(header, 24);
    const cipher = createCipheriv('aes-256-gcm', options.key.encryptionKey, nonce);
    cipher.setAAD(Buffer.concat([header, options.aad]));
    const encrypted = cipher.update(body);
    const final = cipher.final();
    const tag = cipher.getAuthTag();
    return { bytes: Buffer.concat([header, encrypted, final, tag]), compression: algorithm };
  }
  const digest = createHash('sha256').update(header).update(options.aad).update(body).digest();
  return { bytes: Buffer.concat([header, body, digest]), compression: algorithm };
}

/** @throws BackupError `integrity_error` (bad magic, unknown version or fields, truncated). */
export function parseObjectHeader(
  stored: Uint8Array,
  label: string,
  details?: Record<string, unknown>,
): ObjectHeader {
  if (stored.length < HEADER_BYTES || !OBJECT_MAGIC.equals(stored.subarray(0, 4))) {
    throw integrity(label, 'is not a backupkit object (bad header)', details);
  }
  const version = stored[4]!;
  if (version !== OBJECT_FORMAT_VERSION) {
    // repo.json carries the repository's format; an object disagreeing with it is damaged.
    throw integrity(label, `has object format ${version}, expected ${OBJECT_FORMAT_VERSION}`, details);
  }
  const compression = compressionAlgorithmFromId(stored[5]!);
  const flags = stored[6]!;
  if (!compression || (flags & ~FLAG_ENCRYPTED) !== 0 || stored[7] !== 0) {
    throw integrity(label, 'has an invalid header', details);
  }
  const encrypted = (flags & FLAG_ENCRYPTED) !== 0;
  return {
    version,
    compression,
    encrypted,
    dataKeyId: encrypted ? Buffer.from(stored.subarray(8, 24)).toString('hex') : null,
  };
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
 * Authenticates, decrypts and decompresses a stored object.
 * @throws BackupError `integrity_error` on any mismatch, `key_not_found` / `key_mismatch` from the key lookup.
 */
export async function decodeObject(stored: Buffer, options: DecodeOptions): Promise<Buffer> {
  const header = parseObjectHeader(stored, options.label, options.details);
  const headerBytes = stored.subarray(0, HEADER_BYTES);
  let body: Buffer;
  if (header.encrypted) {
    let key: DataKey;
    try {
      key = await options.resolveKey(header.dataKeyId!);
    } catch (error) {
      if (error instanceof BackupError && error.code === 'integrity_error') {
        throw integrity(
          options.label,
          `names ${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}`,
          {
            ...options.details,
            ...error.details,
          },
        );
      }
      throw error;
    }
    if (stored.length < HEADER_BYTES + TAG_BYTES)
      throw integrity(options.label, 'is truncated', options.details);
    const nonce = stored.subarray(24, 36);
    const tag = stored.subarray(stored.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.encryptionKey, nonce);
      decipher.setAAD(Buffer.concat([headerBytes, options.aad]));
      decipher.setAuthTag(tag);
      const first = decipher.update(stored.subarray(HEADER_BYTES, stored.length - TAG_BYTES));
      const final = decipher.final();
      body = final.length === 0 ? first : Buffer.concat([first, final]);
    } catch (error) {
      throw integrity(options.label, 'fails authentication', options.details, error);
    }
  } else {
    if (stored.length < HEADER_BYTES + DIGEST_BYTES)
      throw integrity(options.label, 'is truncated', options.details);
    body = stored.subarray(HEADER_BYTES, stored.length - DIGEST_BYTES);
    const expected = stored.subarray(stored.length - DIGEST_BYTES);
    const actual = createHash('sha256').update(headerBytes).update(options.aad).update(body).digest();
    if (!timingSafeEqual(expected, actual))
      throw integrity(options.label, 'fails its checksum', options.details);
  }
  try {
    return await decompressBuffer(body, header.compression, options.maxPlaintext);
  } catch (error) {
    throw integrity(options.label, 'does not decompress', options.details, error);
  }
}

function integrity(
  label: string,
  what: string,
  details?: Record<string, unknown>,
  cause?: unknown,
): BackupError {
  return new BackupError('integrity_error', `${label} ${what}`, { details: details ?? {}, cause });
}
