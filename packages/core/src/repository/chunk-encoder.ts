import { createHash } from 'node:crypto';
import { BackupError } from '../errors.js';
import type { ChunkBufferPool } from './chunk-buffer-pool.js';
import { type EncodedObject, encodeObject } from './chunk-codec.js';
import type { CompressionSetting } from './compression.js';
import { type DataKey, hmacChunkId } from './data-key.js';

/** A chunk handed to an encoder: its id comes first, then it is either encoded or dropped. */
export interface PendingChunk {
  /** Plaintext bytes. */
  readonly size: number;
  /** The chunk id (HMAC-SHA-256 under the data key, or SHA-256). */
  readonly id: Promise<string>;
  /** Compresses and encrypts the chunk (once, after `id`); `aad` binds its identity. */
  encode(aad: Uint8Array): Promise<EncodedObject>;
  /** Forgets the chunk (already stored). */
  drop(): void;
}

/**
 * Computes chunk ids and encodes chunks for one backup run, in worker threads when `workers`
 * > 0 so that hashing, compression and encryption run beside the main thread (which is busy
 * reading and chunking). `submit` takes ownership of the buffer: it may be detached.
 */
export interface ChunkEncoder {
  /** Takes the chunk over; with `digest` (from `openDigest`), it is added to that entry hash. */
  submit(chunk: Buffer, digest?: EntryDigest): PendingChunk;
  /**
   * An entry-wide SHA-256, computed beside the main thread where possible (in a worker, over
   * the pooled chunks in place): submit the entry's chunks with it, in order.
   */
  openDigest(): EntryDigest;
  close(): Promise<void>;
}

/** An entry-wide SHA-256 from {@link ChunkEncoder.openDigest}. */
export interface EntryDigest {
  /** Hex SHA-256 of the chunks submitted with it, in order. */
  digest(): Promise<string>;
}

/** An entry hash computed on the calling thread. */
export class LocalDigest implements EntryDigest {
  readonly #hash = createHash('sha256');
  add(chunk: Uint8Array): void {
    this.#hash.update(chunk);
  }
  async digest(): Promise<string> {
    return this.#hash.digest('hex');
  }
}

export function createInProcessEncoder(
  key: DataKey | null,
  compression: Required<CompressionSetting>,
  pool?: ChunkBufferPool,
): ChunkEncoder {
  return {
    submit(chunk: Buffer, digest?: EntryDigest): PendingChunk {
      (digest as LocalDigest | undefined)?.add(chunk);
      let plaintext: Buffer | null = chunk;
      const recycle = () => pool?.release(pool.slotOf(chunk));
      const id = Promise.resolve(
        key ? hmacChunkId(key, chunk) : createHash('sha256').update(chunk).digest('hex'),
      );
      return {
        size: chunk.length,
        id,
        encode: async (aad) => {
          if (!plaintext) throw new BackupError('internal_error', 'Chunk was already encoded or dropped');
          const data = plaintext;
          plaintext = null;
          try {
            const encoded = await encodeObject(data, { compression, aad, key });
            // No workers: everything already runs on this thread, the stored bytes' hash too.
            encoded.sha256 = createHash('sha256').update(encoded.bytes).digest('hex');
            return encoded;
          } finally {
            recycle();
          }
        },
        drop: () => {
          if (plaintext) recycle();
          plaintext = null;
        },
      };
    },
    openDigest: () => new LocalDigest(),
    close: async () => {},
  };
}
