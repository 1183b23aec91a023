import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import type { ChunkBufferPool } from './chunk-buffer-pool.js';
import {
  type EncodedObject,
  encodeObject,
  HEADER_BYTES,
  OBJECT_FORMAT_VERSION,
  OBJECT_MAGIC,
} from './chunk-codec.js';
import { CHUNK_ENCODER_WORKER_SOURCE } from './chunk-encoder-worker.js';
import { COMPRESSION_IDS, type CompressionSetting } from './compression.js';
import { type DataKey, hmacChunkId } from './data-key.js';
import type { CompressionAlgorithm } from './manifest.js';
import { WORKER_GC_SOURCE } from './worker-gc.js';
import { WORKER_RESOURCE_LIMITS } from './worker-limits.js';

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

class LocalDigest implements EntryDigest {
  readonly #hash = createHash('sha256');
  add(chunk: Uint8Array): void {
    this.#hash.update(chunk);
  }
  async digest(): Promise<string> {
    return this.#hash.digest('hex');
  }
}

function encodedOf(reply: WorkerReply): EncodedObject {
  const bytes = reply.bytes!;
  return {
    bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    compression: reply.compression!,
    sha256: reply.sha256,
  };
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

interface Waiter {
  resolve: (value: WorkerReply) => void;
  reject: (error: unknown) => void;
}

interface WorkerReply {
  seq: number;
  id?: string;
  bytes?: Uint8Array;
  compression?: CompressionAlgorithm;
  error?: string;
  digest?: string;
  /** Hex SHA-256 of the stored object (replies to `encode`). */
  sha256?: string;
  /** Bytes of the stored object written into the chunk's slot. */
  length?: number;
  /** A pool slot the worker is done with. */
  recycle?: number;
}

/** Resolves modules from this file, whether it runs as ESM, as the CJS build or under a test runner. */
function requireHere(): NodeJS.Require {
  return createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
}

/** @throws BackupError `internal_error` when a worker cannot be started. */
export function createWorkerEncoder(
  key: DataKey | null,
  compression: Required<CompressionSetting>,
  workers: number,
  buffers?: ChunkBufferPool,
): ChunkEncoder {
  const workerData = {
    memory: buffers?.memory ?? null,
    slotBytes: buffers?.slotBytes ?? 0,
    zstdPath: requireHere().resolve('zstd-napi'),
    compression: compression.algorithm,
    level: compression.level,
    key: key ? { encryptionKey: key.encryptionKey, idKey: key.idKey, idBytes: key.idBytes } : null,
    headerBytes: HEADER_BYTES,
    magic: [...OBJECT_MAGIC],
    version: OBJECT_FORMAT_VERSION,
    ids: COMPRESSION_IDS,
  };
  const pool: Worker[] = [];
  const waiting = new Map<number, Waiter>();
  let failure: BackupError | null = null;
  const failAll = (error: BackupError) => {
    failure ??= error;
    for (const waiter of waiting.values()) waiter.reject(error);
    waiting.clear();
  };
  for (let i = 0; i < workers; i++) {
    const worker = new Worker(WORKER_GC_SOURCE + CHUNK_ENCODER_WORKER_SOURCE, {
      eval: true,
      workerData,
      resourceLimits: WORKER_RESOURCE_LIMITS,
    });
    worker.on('message', (reply: WorkerReply) => {
      if (reply.recycle !== undefined) buffers?.release(reply.recycle);
      const waiter = waiting.get(reply.seq);
      if (!waiter) return;
      waiting.delete(reply.seq);
      if (reply.error !== undefined) {
        waiter.reject(new BackupError('internal_error', `Chunk encoding failed: ${reply.error}`));
      } else waiter.resolve(reply);
    });
    worker.on('error', (error) =>
      failAll(new BackupError('internal_error', 'A chunk encoder worker failed', { cause: error })),
    );
    worker.on('exit', (code) => {
      if (code !== 0)
        failAll(new BackupError('internal_error', `A chunk encoder worker exited with code ${code}`));
    });
    pool.push(worker);
  }
  let seqCounter = 0;
  let next = 0;
  let nextDigest = 0;
  let streamCounter = 0;
  const request = (worker: Worker, seq: number, message: object, transfer: ArrayBuffer[] = []) =>
    new Promise<WorkerReply>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.set(seq, { resolve, reject });
      worker.postMessage(message, transfer);
    });

  const digests = new WeakMap<EntryDigest, { worker: Worker; stream: number }>();

  return {
    submit(chunk: Buffer, digest?: EntryDigest): PendingChunk {
      const seq = ++seqCounter;
      const size = chunk.length;
      const slot = buffers ? buffers.slotOf(chunk) : -1;
      const entry = digest ? digests.get(digest) : undefined;
      if (digest && !entry) (digest as LocalDigest).add(chunk);
      if (slot >= 0) {
        // Pooled: every worker reads the slot in place. The id (and the entry hash, whose
        // worker sees the entry's chunks in order) on the entry's worker; the encoding on
        // whichever worker is next, so compression spreads over all of them.
        const idWorker = entry?.worker ?? pool[next++ % pool.length]!;
        const message = { op: 'id', seq, slot, length: size, stream: entry?.stream };
        const id = request(idWorker, seq, message).then((r) => r.id!);
        let used = false;
        return {
          size,
          id,
          encode: async (aad) => {
            if (used) throw new BackupError('internal_error', 'Chunk was already encoded or dropped');
            used = true;
            const worker = pool[next++ % pool.length]!;
            const reply = await request(worker, seq, { op: 'encode', seq, aad, slot, length: size });
            if (reply.bytes) return encodedOf(reply);
            // Stored over the plaintext, in the slot: it stays ours until released.
            const memory = buffers!.memory;
            return {
              bytes: Buffer.from(memory, slot * buffers!.slotBytes, reply.length!),
              compression: reply.compression!,
              sha256: reply.sha256,
              release: () => buffers!.release(slot),
            };
          },
          drop: () => {
            if (used) return;
            used = true;
            buffers!.release(slot);
          },
        };
      }
      if (entry) {
        // Outside the pool (a rare fallback): the entry's worker hashes a copy of its own, in
        // order, since the chunk's memory may be transferred elsewhere below.
        const copy = new Uint8Array(chunk);
        entry.worker.postMessage({ op: 'hash', stream: entry.stream, data: copy }, [copy.buffer]);
      }
      // Transfer the chunk's memory when it owns it whole; otherwise copy just its bytes.
      const worker = pool[next++ % pool.length]!;
      const owned =
        chunk.byteOffset === 0 &&
        chunk.byteLength === chunk.buffer.byteLength &&
        chunk.buffer instanceof ArrayBuffer;
      const data = owned ? chunk : new Uint8Array(chunk);
      const id = request(worker, seq, { op: 'id', seq, data }, [data.buffer as ArrayBuffer]).then(
        (r) => r.id!,
      );
      let used = false;
      return {
        size,
        id,
        encode: async (aad) => {
          if (used) throw new BackupError('internal_error', 'Chunk was already encoded or dropped');
          used = true;
          return encodedOf(await request(worker, seq, { op: 'encode', seq, aad }));
        },
        drop: () => {
          if (used) return;
          used = true;
          if (!failure) worker.postMessage({ op: 'drop', seq });
        },
      };
    },
    openDigest(): EntryDigest {
      if (!buffers) return new LocalDigest();
      const worker = pool[nextDigest++ % pool.length]!;
      const stream = ++streamCounter;
      const digest: EntryDigest = {
        digest: async () => {
          const seq = ++seqCounter;
          return (await request(worker, seq, { op: 'digest', seq, stream })).digest!;
        },
      };
      digests.set(digest, { worker, stream });
      return digest;
    },
    close: async () => {
      failAll(new BackupError('aborted', 'The chunk encoder was closed'));
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
