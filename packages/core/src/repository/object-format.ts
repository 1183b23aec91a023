import { createCipheriv, createDecipheriv, createHash, randomFillSync, timingSafeEqual } from 'node:crypto';
import { releaseNow } from '../util/release-memory.js';
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
 *
 * This module is the format's only implementation: the main thread and the chunk workers both
 * seal and open objects with it. Compression stays with the callers (asynchronous on the main
 * thread, synchronous in the workers): here the payload is already compressed.
 */
export const OBJECT_MAGIC = Buffer.from('BKOB', 'ascii');
export const OBJECT_FORMAT_VERSION = 1;
export const HEADER_BYTES = 36;
const FLAG_ENCRYPTED = 1;
const TAG_BYTES = 16;
const DIGEST_BYTES = 32;
const NONCE_AT = 24;
const NONCE_BYTES = 12;

/** Stored in each object header; never renumber. */
export const COMPRESSION_IDS: Readonly<Record<CompressionAlgorithm, number>> = Object.freeze({
  none: 0,
  gzip: 1,
  brotli: 2,
  zstd: 3,
});
const BY_ID: ReadonlyArray<CompressionAlgorithm> = ['none', 'gzip', 'brotli', 'zstd'];

/**
 * The cipher runs over pieces of this size, each piece's output freed as soon as it is copied
 * out: no chunk-sized cipher buffer is left per chunk for the collector (in a worker thread,
 * whose small heap rarely collects, those were tens of MiB resident).
 */
const CIPHER_PIECE = 64 * 1024;

export function compressionAlgorithmFromId(id: number): CompressionAlgorithm | undefined {
  return BY_ID[id];
}

export interface ObjectHeader {
  version: number;
  compression: CompressionAlgorithm;
  encrypted: boolean;
  /** 32 hex, or null when not encrypted. */
  dataKeyId: string | null;
}

/** What is wrong with a stored object, e.g. "fails authentication" (callers name the object). */
export class ObjectDamage extends Error {}

/** The key material sealing needs (a repository data key has it). */
export interface SealKey {
  readonly idBytes: Uint8Array;
  readonly encryptionKey: Uint8Array;
}

/** Bytes of the stored object for a payload of `bodyLength` compressed bytes. */
export function sealedLength(bodyLength: number, encrypted: boolean): number {
  return HEADER_BYTES + bodyLength + (encrypted ? TAG_BYTES : DIGEST_BYTES);
}

/**
 * The stored object for the compressed `body`: written into `target` when it is large enough
 * (`body` may be the front of `target` itself: nothing is overwritten before it is read), else
 * into a buffer of its own, exactly its size. Returns a view of the object's bytes.
 */
export function sealObject(
  body: Uint8Array,
  compression: CompressionAlgorithm,
  key: SealKey | null,
  aad: Uint8Array,
  target?: Buffer,
): Buffer {
  const total = sealedLength(body.length, key !== null);
  const out = target && target.length >= total ? target.subarray(0, total) : Buffer.allocUnsafeSlow(total);
  const header = Buffer.alloc(HEADER_BYTES);
  OBJECT_MAGIC.copy(header, 0);
  header[4] = OBJECT_FORMAT_VERSION;
  header[5] = COMPRESSION_IDS[compression];
  if (key) {
    header[6] = FLAG_ENCRYPTED;
    header.set(key.idBytes, 8);
    randomFillSync(header, NONCE_AT, NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.encryptionKey, header.subarray(NONCE_AT, HEADER_BYTES));
    cipher.setAAD(Buffer.concat([header, aad]));
    // Each piece is written one piece late: `body` may lie at the front of `out`, and the
    // output (HEADER_BYTES further on) must not overwrite bytes still to be read.
    let at = HEADER_BYTES;
    let late: Buffer | null = null;
    for (let i = 0; i < body.length; i += CIPHER_PIECE) {
      const piece = cipher.update(body.subarray(i, Math.min(body.length, i + CIPHER_PIECE)));
      if (late) at += copyAndRelease(late, out, at);
      late = piece;
    }
    if (late) at += copyAndRelease(late, out, at);
    at += cipher.final().copy(out, at);
    header.copy(out, 0);
    cipher.getAuthTag().copy(out, at);
  } else {
    const digest = createHash('sha256').update(header).update(aad).update(body).digest();
    out.set(body, HEADER_BYTES); // a memmove when `body` is the front of `out`
    header.copy(out, 0);
    digest.copy(out, HEADER_BYTES + body.length);
  }
  return out;
}

/** Reads and checks an object's header. @throws ObjectDamage */
export function readObjectHeader(stored: Uint8Array): ObjectHeader {
  if (stored.length < HEADER_BYTES || !OBJECT_MAGIC.equals(stored.subarray(0, 4))) {
    throw new ObjectDamage('is not a backupkit object (bad header)');
  }
  const version = stored[4]!;
  if (version !== OBJECT_FORMAT_VERSION) {
    // repo.json carries the repository's format; an object disagreeing with it is damaged.
    throw new ObjectDamage(`has object format ${version}, expected ${OBJECT_FORMAT_VERSION}`);
  }
  const compression = compressionAlgorithmFromId(stored[5]!);
  const flags = stored[6]!;
  if (!compression || (flags & ~FLAG_ENCRYPTED) !== 0 || stored[7] !== 0) {
    throw new ObjectDamage('has an invalid header');
  }
  const encrypted = (flags & FLAG_ENCRYPTED) !== 0;
  return {
    version,
    compression,
    encrypted,
    dataKeyId: encrypted ? Buffer.from(stored.subarray(8, NONCE_AT)).toString('hex') : null,
  };
}

/**
 * Authenticates the object and returns its compressed payload. An encrypted payload is
 * decrypted in place when `inPlace` (the caller gives `stored` up), else into a new buffer.
 * @throws ObjectDamage when the object is truncated or fails authentication or its checksum.
 */
export function openObject(
  stored: Buffer,
  header: ObjectHeader,
  key: { readonly encryptionKey: Uint8Array } | null,
  aad: Uint8Array,
  inPlace: boolean,
): Buffer {
  const headerBytes = stored.subarray(0, HEADER_BYTES);
  if (!header.encrypted) {
    if (stored.length < HEADER_BYTES + DIGEST_BYTES) throw new ObjectDamage('is truncated');
    const body = stored.subarray(HEADER_BYTES, stored.length - DIGEST_BYTES);
    const actual = createHash('sha256').update(headerBytes).update(aad).update(body).digest();
    if (!timingSafeEqual(actual, stored.subarray(stored.length - DIGEST_BYTES))) {
      throw new ObjectDamage('fails its checksum');
    }
    return body;
  }
  if (!key) throw new Error('an encrypted object needs its data key');
  if (stored.length < HEADER_BYTES + TAG_BYTES) throw new ObjectDamage('is truncated');
  const end = stored.length - TAG_BYTES;
  const out = inPlace ? stored.subarray(HEADER_BYTES, end) : Buffer.allocUnsafe(end - HEADER_BYTES);
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      key.encryptionKey,
      stored.subarray(NONCE_AT, HEADER_BYTES),
    );
    decipher.setAAD(Buffer.concat([headerBytes, aad]));
    decipher.setAuthTag(stored.subarray(end));
    // Each piece's output lands at or before the bytes still to be read: safe in place.
    let at = 0;
    for (let i = HEADER_BYTES; i < end; i += CIPHER_PIECE) {
      at += copyAndRelease(decipher.update(stored.subarray(i, Math.min(end, i + CIPHER_PIECE))), out, at);
    }
    at += decipher.final().copy(out, at);
    return out.subarray(0, at);
  } catch {
    throw new ObjectDamage('fails authentication');
  }
}

function copyAndRelease(piece: Buffer, out: Buffer, at: number): number {
  const n = piece.copy(out, at);
  releaseNow(piece);
  return n;
}
