import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import { lend } from '../util/lent-buffers.js';
import { HEADER_BYTES } from './chunk-codec.js';
import { CHUNK_DECODER_WORKER_SOURCE } from './chunk-decoder-worker.js';
import type { DataKey } from './data-key.js';
import { WORKER_GC_SOURCE } from './worker-gc.js';
import { WORKER_RESOURCE_LIMITS } from './worker-limits.js';

/** Reads verified chunk plaintext; `close` when done. */
export interface ChunkReader {
  /**
   * The chunk's plaintext. It may be lent out of a reusable pool (see util/lent-buffers.ts):
   * whoever consumes it last may hand it back with `giveBack` once done with its bytes.
   * @throws BackupError like `Repository.getChunk`.
   */
  getChunk(id: string, options?: { signal?: AbortSignal }): Promise<Buffer>;
  close(): Promise<void>;
}

export interface ChunkDecoder {
  /** Authenticates, decompresses and re-checks the id of a stored chunk whose header was parsed already. */
  decode(stored: Buffer, aad: Buffer, chunkId: string, key: DataKey | null, label: string): Promise<Buffer>;
  close(): Promise<void>;
}

export interface WorkerDecoderOptions {
  /**
   * Bytes of each shared-memory slot. A chunk is decoded in a slot when its stored object and
   * its plaintext fit in it together (default 8 MiB + 64 KiB: a chunk of the chunker's default
   * 4 MiB maximum, even stored uncompressed).
   */
  slotBytes?: number;
  /** Slots (default 8 per worker). With every slot lent out, chunks come back in fresh buffers. */
  slots?: number;
}

interface Reply {
  seq: number;
  /** Plaintext bytes at the front of the request's slot. */
  length?: number;
  plaintext?: Uint8Array;
  error?: string;
  integrity?: boolean;
}

const DEFAULT_SLOT_BYTES = 8 * 1024 * 1024 + 64 * 1024;
const SLOTS_PER_WORKER = 8;

function requireHere(): NodeJS.Require {
  return createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
}

/**
 * Decodes chunks in `workers` worker threads (decrypt, decompress and the id's HMAC off the
 * main thread). The stored object is copied into a slot of one SharedArrayBuffer and the
 * worker decodes it in place, plaintext at the slot's front; the plaintext comes back as a
 * view of the slot, lent out until handed back.
 *
 * Why slots: a fresh (or transferred) multi-megabyte buffer per chunk counts as new external
 * memory on the main thread, and every few tens of megabytes of that makes V8 run a full
 * garbage collection — about a third of a restore's CPU time before this. Slots are
 * allocated once; the free list is last-in first-out, so only as many slots are ever touched
 * (made resident) as are in use at once.
 */
export function createWorkerDecoder(
  workers: number,
  maxPlaintext: number,
  options: WorkerDecoderOptions = {},
): ChunkDecoder {
  const slotBytes = Math.ceil((options.slotBytes ?? DEFAULT_SLOT_BYTES) / 8) * 8;
  const slotCount = Math.max(0, Math.floor(options.slots ?? SLOTS_PER_WORKER * workers));
  const memory = new SharedArrayBuffer(slotBytes * slotCount);
  const free: number[] = [];
  for (let i = slotCount - 1; i >= 0; i--) free.push(i);
  let closed = false;
  const releaseSlot = (slot: number) => {
    if (!closed) free.push(slot);
  };

  const workerData = {
    zstdPath: requireHere().resolve('zstd-napi'),
    headerBytes: HEADER_BYTES,
    maxPlaintext,
    names: ['none', 'gzip', 'brotli', 'zstd'],
    memory,
    slotBytes,
  };
  const waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: unknown) => void }>();
  let failure: BackupError | null = null;
  const failAll = (error: BackupError) => {
    failure ??= error;
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  const pool = Array.from({ length: workers }, () => {
    const worker = new Worker(WORKER_GC_SOURCE + CHUNK_DECODER_WORKER_SOURCE, {
      eval: true,
      workerData,
      resourceLimits: WORKER_RESOURCE_LIMITS,
    });
    worker.on('message', (reply: Reply) => {
      const waiter = waiting.get(reply.seq);
      waiting.delete(reply.seq);
      waiter?.resolve(reply);
    });
    worker.on('error', (error) =>
      failAll(new BackupError('internal_error', 'A chunk decoder worker failed', { cause: error })),
    );
    worker.on('exit', (code) => {
      if (code !== 0)
        failAll(new BackupError('internal_error', `A chunk decoder worker exited with code ${code}`));
    });
    return { worker, keys: new Set<string>(), pending: 0 };
  });
  let seq = 0;
  return {
    async decode(stored, aad, chunkId, key, label) {
      if (failure) throw failure;
      const n = ++seq;
      // The least busy worker: chunks differ in size, so round robin would queue behind a big one.
      let slot = pool[0]!;
      for (const s of pool) if (s.pending < slot.pending) slot = s;
      if (key && !slot.keys.has(key.id)) {
        slot.worker.postMessage({
          op: 'key',
          id: key.id,
          encryptionKey: key.encryptionKey,
          idKey: key.idKey,
        });
        slot.keys.add(key.id);
      }
      const inSlot = stored.length <= slotBytes / 2 ? free.pop() : undefined;
      const message: Record<string, unknown> = {
        op: 'decode',
        seq: n,
        aad,
        chunkId,
        dataKeyId: key?.id ?? null,
      };
      const transfer: ArrayBuffer[] = [];
      if (inSlot !== undefined) {
        // The stored bytes go to the slot's end; the worker writes the plaintext from its front.
        new Uint8Array(memory, (inSlot + 1) * slotBytes - stored.length, stored.length).set(stored);
        message.slot = inSlot;
        message.storedLength = stored.length;
      } else {
        // A copy (of compressed bytes: cheap) is transferred: the driver may still own `stored`.
        const data = new Uint8Array(stored);
        message.stored = data;
        transfer.push(data.buffer as ArrayBuffer);
      }
      slot.pending++;
      let reply: Reply;
      try {
        reply = await new Promise<Reply>((resolve, reject) => {
          waiting.set(n, { resolve, reject });
          slot.worker.postMessage(message, transfer);
        });
      } catch (error) {
        if (inSlot !== undefined) releaseSlot(inSlot);
        throw error;
      } finally {
        slot.pending--;
      }
      if (reply.length === undefined && inSlot !== undefined) releaseSlot(inSlot);
      if (reply.error !== undefined) {
        if (reply.integrity) {
          throw new BackupError('integrity_error', `${label} ${reply.error}`, {
            details: { chunk_id: chunkId },
          });
        }
        throw new BackupError('internal_error', `Chunk decoding failed: ${reply.error}`, {
          details: { chunk_id: chunkId },
        });
      }
      if (reply.length !== undefined && inSlot !== undefined) {
        const view = Buffer.from(memory, inSlot * slotBytes, reply.length);
        return lend(view, () => releaseSlot(inSlot));
      }
      const out = reply.plaintext!;
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    async close() {
      closed = true;
      failAll(new BackupError('aborted', 'The chunk decoder was closed'));
      await Promise.all(pool.map((s) => s.worker.terminate()));
    },
  };
}
