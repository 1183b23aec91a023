import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { BackupError } from '../errors.js';
import { HEADER_BYTES } from './chunk-codec.js';
import { CHUNK_DECODER_WORKER_SOURCE } from './chunk-decoder-worker.js';
import type { DataKey } from './data-key.js';
import { WORKER_GC_SOURCE } from './worker-gc.js';
import { WORKER_RESOURCE_LIMITS } from './worker-limits.js';

/** Reads verified chunk plaintext; `close` when done. */
export interface ChunkReader {
  /** @throws BackupError like `Repository.getChunk`. */
  getChunk(id: string, options?: { signal?: AbortSignal }): Promise<Buffer>;
  close(): Promise<void>;
}

export interface ChunkDecoder {
  /** Authenticates, decompresses and re-checks the id of a stored chunk whose header was parsed already. */
  decode(stored: Buffer, aad: Buffer, chunkId: string, key: DataKey | null, label: string): Promise<Buffer>;
  close(): Promise<void>;
}

interface Reply {
  seq: number;
  plaintext?: Uint8Array;
  error?: string;
  integrity?: boolean;
}

function requireHere(): NodeJS.Require {
  return createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
}

/** Decodes chunks in `workers` worker threads (decrypt, decompress and the id's HMAC off the main thread). */
export function createWorkerDecoder(workers: number, maxPlaintext: number): ChunkDecoder {
  const workerData = {
    zstdPath: requireHere().resolve('zstd-napi'),
    headerBytes: HEADER_BYTES,
    maxPlaintext,
    names: ['none', 'gzip', 'brotli', 'zstd'],
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
    return { worker, keys: new Set<string>() };
  });
  let seq = 0;
  return {
    async decode(stored, aad, chunkId, key, label) {
      if (failure) throw failure;
      const n = ++seq;
      const slot = pool[n % pool.length]!;
      if (key && !slot.keys.has(key.id)) {
        slot.worker.postMessage({
          op: 'key',
          id: key.id,
          encryptionKey: key.encryptionKey,
          idKey: key.idKey,
        });
        slot.keys.add(key.id);
      }
      // A copy (of compressed bytes: cheap) is transferred: the driver may still own `stored`.
      const data = new Uint8Array(stored);
      const reply = await new Promise<Reply>((resolve, reject) => {
        waiting.set(n, { resolve, reject });
        slot.worker.postMessage(
          { op: 'decode', seq: n, stored: data, aad, chunkId, dataKeyId: key?.id ?? null },
          [data.buffer as ArrayBuffer],
        );
      });
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
      const out = reply.plaintext!;
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    async close() {
      failAll(new BackupError('aborted', 'The chunk decoder was closed'));
      await Promise.all(pool.map((s) => s.worker.terminate()));
    },
  };
}
