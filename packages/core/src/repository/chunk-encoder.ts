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
  submit(chunk: Buffer): PendingChunk;
  close(): Promise<void>;
}

export function createInProcessEncoder(
  key: DataKey | null,
  compression: Required<CompressionSetting>,
  pool?: ChunkBufferPool,
): ChunkEncoder {
  return {
    submit(chunk: Buffer): PendingChunk {
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
            return await encodeObject(data, { compression, aad, key });
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
    const worker = new Worker(CHUNK_ENCODER_WORKER_SOURCE, { eval: true, workerData });
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
  const request = (worker: Worker, seq: number, message: object, transfer: ArrayBuffer[] = []) =>
    new Promise<WorkerReply>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.set(seq, { resolve, reject });
      worker.postMessage(message, transfer);
    });

  return {
    submit(chunk: Buffer): PendingChunk {
      const seq = ++seqCounter;
      const worker = pool[next++ % pool.length]!;
      const size = chunk.length;
      // A pooled chunk is read in place (the worker frees its slot); otherwise transfer the
      // chunk's memory when it owns it whole, or copy just its bytes.
      const slot = buffers ? buffers.slotOf(chunk) : -1;
      let message: object;
      let transfer: ArrayBuffer[] = [];
      if (slot >= 0) message = { op: 'id', seq, slot, length: size };
      else {
        const owned =
          chunk.byteOffset === 0 &&
          chunk.byteLength === chunk.buffer.byteLength &&
          chunk.buffer instanceof ArrayBuffer;
        const data = owned ? chunk : new Uint8Array(chunk);
        message = { op: 'id', seq, data };
        transfer = [data.buffer as ArrayBuffer];
      }
      const id = request(worker, seq, message, transfer).then((r) => r.id!);
      let used = false;
      return {
        size,
        id,
        encode: async (aad) => {
          if (used) throw new BackupError('internal_error', 'Chunk was already encoded or dropped');
          used = true;
          const reply = await request(worker, seq, { op: 'encode', seq, aad });
          const bytes = reply.bytes!;
          return {
            bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
            compression: reply.compression!,
          };
        },
        drop: () => {
          if (used) return;
          used = true;
          if (!failure) worker.postMessage({ op: 'drop', seq });
        },
      };
    },
    close: async () => {
      failAll(new BackupError('aborted', 'The chunk encoder was closed'));
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
