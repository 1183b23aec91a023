import type { Worker } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import type { ChunkBufferPool } from './chunk-buffer-pool.js';
import type { EncodedObject } from './chunk-codec.js';
import { type ChunkEncoder, type EntryDigest, LocalDigest, type PendingChunk } from './chunk-encoder.js';
import { chunkWorkers } from './chunk-worker.js';
import type { EncoderMessage, EncoderReply } from './chunk-worker-protocol.js';
import type { CompressionSetting } from './compression.js';
import type { DataKey } from './data-key.js';
import type { SharedWorkerPool } from './shared-workers.js';
import { zstdBinding } from './zstd.js';

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
  // Loaded here first: a missing module or a failed native build fails the run with the
  // package's name, before any worker starts.
  if (compression.algorithm === 'zstd') zstdBinding();
  return new WorkerEncoder(key, compression, workers, buffers ?? null);
}

/** A chunk is encoded or dropped once: encoding it again is a bug, dropping it again does nothing. */
function chunkUse() {
  let used = false;
  return {
    encode(): void {
      if (used) throw new BackupError('internal_error', 'Chunk was already encoded or dropped');
      used = true;
    },
    /** Whether this call is the chunk's first use. */
    drop(): boolean {
      if (used) return false;
      used = true;
      return true;
    },
  };
}

class WorkerEncoder implements ChunkEncoder {
  readonly #shared: SharedWorkerPool = chunkWorkers();
  readonly #run = ++runCounter;
  readonly #buffers: ChunkBufferPool | null;
  readonly #workers: Worker[];
  /** Groups this run's requests, to fail them together. */
  readonly #owner = {};
  readonly #digests = new WeakMap<EntryDigest, { worker: Worker; stream: number }>();
  #failure: BackupError | null = null;
  #closed: Promise<void> | null = null;
  #next = 0;
  #nextDigest = 0;

  constructor(
    key: DataKey | null,
    compression: Required<CompressionSetting>,
    workers: number,
    buffers: ChunkBufferPool | null,
  ) {
    this.#buffers = buffers;
    this.#workers = this.#shared.acquire(workers);
    const attach: EncoderMessage = {
      op: 'attach',
      run: this.#run,
      memory: buffers?.memory ?? null,
      slotBytes: buffers?.slotBytes ?? 0,
      compression: compression.algorithm,
      level: compression.level,
      key: key ? { encryptionKey: key.encryptionKey, idKey: key.idKey, idBytes: key.idBytes } : null,
    };
    for (const worker of this.#workers) this.#shared.post(worker, attach);
  }

  submit(chunk: Buffer, digest?: EntryDigest): PendingChunk {
    const entry = digest ? this.#digests.get(digest) : undefined;
    if (digest && !entry) (digest as LocalDigest).add(chunk);
    const slot = this.#buffers ? this.#buffers.slotOf(chunk) : -1;
    return slot >= 0 ? this.#submitPooled(chunk.length, slot, entry) : this.#submitSent(chunk, entry);
  }

  /**
   * A chunk in a slot of the run's pool, which every worker reads in place. The id (and the
   * entry hash, whose worker sees the entry's chunks in order) on the entry's worker; the
   * encoding on whichever worker is next, so compression spreads over all of them.
   */
  #submitPooled(size: number, slot: number, entry?: { worker: Worker; stream: number }): PendingChunk {
    const buffers = this.#buffers!;
    const seq = this.#shared.nextSeq();
    const run = this.#run;
    const idWorker = entry?.worker ?? this.#nextWorker();
    const id = this.#request(idWorker, { op: 'id', seq, run, slot, length: size, stream: entry?.stream });
    const use = chunkUse();
    const encode = async (aad: Uint8Array): Promise<EncodedObject> => {
      use.encode();
      const reply = await this.#request(this.#nextWorker(), {
        op: 'encode',
        seq,
        run,
        aad,
        slot,
        length: size,
      });
      if (reply.bytes) {
        // It did not fit in the slot: the worker is done with the slot.
        buffers.release(reply.recycle!);
        return encodedOf(reply);
      }
      // Stored over the plaintext, in the slot: it stays ours until released.
      return {
        bytes: Buffer.from(buffers.memory, slot * buffers.slotBytes, reply.length!),
        compression: reply.compression!,
        sha256: reply.sha256,
        release: () => buffers.release(slot),
      };
    };
    const drop = () => {
      if (use.drop()) buffers.release(slot);
    };
    return { size, id: id.then((r) => r.id!), encode, drop };
  }

  /** A chunk outside the pool (a rare fallback): its bytes go to one worker, which keeps them. */
  #submitSent(chunk: Buffer, entry?: { worker: Worker; stream: number }): PendingChunk {
    const seq = this.#shared.nextSeq();
    const run = this.#run;
    if (entry) {
      // The entry's worker hashes a copy of its own, in order, since the chunk's memory may be
      // transferred elsewhere below.
      const copy = new Uint8Array(chunk);
      this.#shared.post(entry.worker, { op: 'hash', run, stream: entry.stream, data: copy }, [copy.buffer]);
    }
    // Transfer the chunk's memory when it owns it whole; otherwise copy just its bytes.
    const worker = this.#nextWorker();
    const owned =
      chunk.byteOffset === 0 &&
      chunk.byteLength === chunk.buffer.byteLength &&
      chunk.buffer instanceof ArrayBuffer;
    const data = owned ? chunk : new Uint8Array(chunk);
    const size = chunk.length;
    const id = this.#request(worker, { op: 'id', seq, run, data }, [data.buffer as ArrayBuffer]);
    const use = chunkUse();
    const encode = async (aad: Uint8Array) => {
      use.encode();
      return encodedOf(await this.#request(worker, { op: 'encode', seq, run, aad }));
    };
    const drop = () => {
      if (use.drop() && !this.#failure) this.#shared.post(worker, { op: 'drop', seq, run });
    };
    return { size, id: id.then((r) => r.id!), encode, drop };
  }

  openDigest(): EntryDigest {
    if (!this.#buffers) return new LocalDigest();
    const worker = this.#workers[this.#nextDigest++ % this.#workers.length]!;
    const stream = this.#shared.nextSeq();
    const digest: EntryDigest = {
      digest: async () => {
        const seq = this.#shared.nextSeq();
        return (await this.#request(worker, { op: 'digest', seq, run: this.#run, stream })).digest!;
      },
    };
    this.#digests.set(digest, { worker, stream });
    return digest;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#failure = new BackupError('aborted', 'The chunk encoder was closed');
      this.#shared.abandon(this.#owner, this.#failure);
      // Each worker answers a detach after everything sent before it: once all have, nothing
      // of this run runs in them any more (a worker that died runs nothing either).
      const barrier = {};
      await Promise.all(
        this.#workers.map((worker) =>
          this.#shared
            .request(barrier, worker, { op: 'detach', seq: this.#shared.nextSeq(), run: this.#run })
            .catch(() => {}),
        ),
      );
      this.#shared.release();
    })();
    return this.#closed;
  }

  #nextWorker(): Worker {
    return this.#workers[this.#next++ % this.#workers.length]!;
  }

  #request(worker: Worker, message: EncoderMessage & { seq: number }, transfer: ArrayBuffer[] = []) {
    if (this.#failure) return Promise.reject(this.#failure);
    return this.#shared.request<EncoderReply>(this.#owner, worker, message, transfer).then((reply) => {
      if (reply.error !== undefined) {
        throw new BackupError('internal_error', `Chunk encoding failed: ${reply.error}`);
      }
      return reply;
    });
  }
}

function encodedOf(reply: EncoderReply): EncodedObject {
  const bytes = reply.bytes!;
  return {
    bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    compression: reply.compression!,
    sha256: reply.sha256,
  };
}
