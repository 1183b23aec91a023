import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import type { ChunkBufferPool } from './chunk-buffer-pool.js';
import { type EncodedObject, encodeObject } from './chunk-codec.js';
import { chunkWorkers } from './chunk-worker.js';
import type { CompressionSetting } from './compression.js';
import { type DataKey, hmacChunkId } from './data-key.js';
import type { CompressionAlgorithm } from './manifest.js';
import { zstdModulePath, zstdNapi } from './zstd-module.js';

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

/** Where workers load zstd-napi from; null when they do not need it (only zstd does). */
function zstdPathFor(algorithm: CompressionAlgorithm): string | null {
  if (algorithm !== 'zstd') return null;
  // Loaded here first: a missing module or a failed native build fails the run with the
  // package's name, before any worker starts.
  zstdNapi();
  return zstdModulePath();
}

let runCounter = 0;

/**
 * An encoder on `workers` of the process's shared chunk workers, attached for this run; its
 * `close` detaches it and resolves once the workers are done with everything it sent (so the
 * pool's memory may then be reused).
 * @throws BackupError `internal_error` when a worker cannot be started; `not_implemented` for
 *   zstd when zstd-napi is not installed.
 */
export function createWorkerEncoder(
  key: DataKey | null,
  compression: Required<CompressionSetting>,
  workers: number,
  buffers?: ChunkBufferPool,
): ChunkEncoder {
  const shared = chunkWorkers();
  const attach = {
    op: 'attach',
    run: ++runCounter,
    memory: buffers?.memory ?? null,
    slotBytes: buffers?.slotBytes ?? 0,
    zstdPath: zstdPathFor(compression.algorithm),
    compression: compression.algorithm,
    level: compression.level,
    key: key ? { encryptionKey: key.encryptionKey, idKey: key.idKey, idBytes: key.idBytes } : null,
  };
  const run = attach.run;
  const pool = shared.acquire(workers);
  for (const worker of pool) shared.post(worker, attach);
  /** Groups this run's requests, to fail them together. */
  const owner = {};
  let failure: BackupError | null = null;
  let closed: Promise<void> | null = null;
  let next = 0;
  let nextDigest = 0;
  const request = (
    worker: Worker,
    message: { seq: number; [field: string]: unknown },
    transfer: ArrayBuffer[] = [],
  ) => {
    if (failure) return Promise.reject(failure);
    return shared.request<WorkerReply>(owner, worker, message, transfer).then((reply) => {
      if (reply.error !== undefined) {
        throw new BackupError('internal_error', `Chunk encoding failed: ${reply.error}`);
      }
      return reply;
    });
  };

  const digests = new WeakMap<EntryDigest, { worker: Worker; stream: number }>();

  return {
    submit(chunk: Buffer, digest?: EntryDigest): PendingChunk {
      const seq = shared.nextSeq();
      const size = chunk.length;
      const slot = buffers ? buffers.slotOf(chunk) : -1;
      const entry = digest ? digests.get(digest) : undefined;
      if (digest && !entry) (digest as LocalDigest).add(chunk);
      if (slot >= 0) {
        // Pooled: every worker reads the slot in place. The id (and the entry hash, whose
        // worker sees the entry's chunks in order) on the entry's worker; the encoding on
        // whichever worker is next, so compression spreads over all of them.
        const idWorker = entry?.worker ?? pool[next++ % pool.length]!;
        const message = { op: 'id', seq, run, slot, length: size, stream: entry?.stream };
        const id = request(idWorker, message).then((r) => r.id!);
        let used = false;
        return {
          size,
          id,
          encode: async (aad) => {
            if (used) throw new BackupError('internal_error', 'Chunk was already encoded or dropped');
            used = true;
            const worker = pool[next++ % pool.length]!;
            const reply = await request(worker, { op: 'encode', seq, run, aad, slot, length: size });
            if (reply.bytes) {
              // It did not fit in the slot: the worker is done with the slot.
              buffers!.release(reply.recycle!);
              return encodedOf(reply);
            }
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
        shared.post(entry.worker, { op: 'hash', run, stream: entry.stream, data: copy }, [copy.buffer]);
      }
      // Transfer the chunk's memory when it owns it whole; otherwise copy just its bytes.
      const worker = pool[next++ % pool.length]!;
      const owned =
        chunk.byteOffset === 0 &&
        chunk.byteLength === chunk.buffer.byteLength &&
        chunk.buffer instanceof ArrayBuffer;
      const data = owned ? chunk : new Uint8Array(chunk);
      const id = request(worker, { op: 'id', seq, run, data }, [data.buffer as ArrayBuffer]).then(
        (r) => r.id!,
      );
      let used = false;
      return {
        size,
        id,
        encode: async (aad) => {
          if (used) throw new BackupError('internal_error', 'Chunk was already encoded or dropped');
          used = true;
          return encodedOf(await request(worker, { op: 'encode', seq, run, aad }));
        },
        drop: () => {
          if (used) return;
          used = true;
          if (!failure) shared.post(worker, { op: 'drop', seq, run });
        },
      };
    },
    openDigest(): EntryDigest {
      if (!buffers) return new LocalDigest();
      const worker = pool[nextDigest++ % pool.length]!;
      const stream = shared.nextSeq();
      const digest: EntryDigest = {
        digest: async () => {
          const seq = shared.nextSeq();
          return (await request(worker, { op: 'digest', seq, run, stream })).digest!;
        },
      };
      digests.set(digest, { worker, stream });
      return digest;
    },
    close: () => {
      closed ??= (async () => {
        failure = new BackupError('aborted', 'The chunk encoder was closed');
        shared.abandon(owner, failure);
        // Each worker answers a detach after everything sent before it: once all have, nothing
        // of this run runs in them any more (a worker that died runs nothing either).
        const barrier = {};
        await Promise.all(
          pool.map((worker) =>
            shared.request(barrier, worker, { op: 'detach', seq: shared.nextSeq(), run }).catch(() => {}),
          ),
        );
        shared.release();
      })();
      return closed;
    },
  };
}
