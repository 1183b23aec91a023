import { BackupError } from '../errors.js';
import { lend } from '../util/lent-buffers.js';
import { missingOptionalModule } from '../util/optional-module.js';
import { chunkWorkers } from './chunk-worker.js';
import type { DecoderMessage, DecoderReply } from './chunk-worker-protocol.js';
import type { DataKey } from './data-key.js';
import { SlotChooser } from './slot-chooser.js';
import { giveBackSlotMemory, takeSlotMemory } from './slot-memory.js';

/** Reads verified chunk plaintext; `close` when done. */
export interface ChunkReader {
  /**
   * The chunk's plaintext. It may be lent out of a reusable pool (see util/lent-buffers.ts):
   * whoever consumes it last may hand it back with `giveBack` once done with its bytes.
   * @throws BackupError like `Repository.getChunk`.
   */
  getChunk(id: string, options?: { signal?: AbortSignal; size?: number }): Promise<Buffer>;
  /**
   * The chunks of a sequence (an entry's, in order), read in few range requests with the next
   * ones read ahead: `get(i)` is what `getChunk(ids[i])` would give. Ask in order.
   */
  sequence(ids: readonly string[], options?: { signal?: AbortSignal }): ChunkSequence;
  close(): Promise<void>;
}

export interface ChunkSequence {
  /** @throws BackupError like `Repository.getChunk`. */
  get(index: number, size?: number): Promise<Buffer>;
}

export interface ChunkDecoder {
  /**
   * Authenticates, decompresses and re-checks the id of a stored chunk whose header was parsed
   * already. With `owned`, `stored` is the caller's to give away (a buffer owning its memory
   * whole): it is transferred to the worker instead of copied.
   */
  decode(
    stored: Buffer,
    aad: Buffer,
    chunkId: string,
    key: DataKey | null,
    label: string,
    owned?: boolean,
    /** The plaintext's size when known (the manifest's): picks the slot it fits best. */
    size?: number,
  ): Promise<Buffer>;
  close(): Promise<void>;
}

export interface WorkerDecoderOptions {
  /**
   * Bytes of each shared-memory slot: a chunk's plaintext is written into one when it fits
   * (default 4 MiB + 64 KiB: a chunk of the chunker's default 4 MiB maximum).
   */
  slotBytes?: number;
  /** Slots (default 8 per worker). With every slot lent out, chunks come back in fresh buffers. */
  slots?: number;
}

const DEFAULT_SLOT_BYTES = 4 * 1024 * 1024 + 64 * 1024;
const SLOTS_PER_WORKER = 8;

let readerCounter = 0;

/**
 * Decodes chunks on `workers` of the process's shared chunk workers (decrypt, decompress and
 * the id's HMAC off the main thread). The stored object goes to the worker (transferred), which
 * writes the plaintext into a slot of one SharedArrayBuffer; the plaintext comes back as a view
 * of the slot, lent out until handed back.
 *
 * Why slots: a fresh (or transferred) multi-megabyte buffer per chunk counts as new external
 * memory on the main thread, and every few tens of megabytes of that makes V8 run a full
 * garbage collection — about a third of a restore's CPU time before this. Slots are
 * allocated once, and a chunk goes to the free slot that needs the fewest new pages made
 * resident: given its size, the smallest slot already touched that far, else the most touched
 * one. (Last-in first-out was measured touching whole 4 MiB slots for every chunk in flight,
 * since each slot in turn got a large chunk.) The memory is the process's slot memory: a closed
 * decoder whose slots were all handed back gives it back for the next run (a backup's chunk
 * slots, another reader's), which reuses the pages already resident.
 */
export function createWorkerDecoder(
  workers: number,
  maxPlaintext: number,
  options: WorkerDecoderOptions = {},
): ChunkDecoder {
  const slotBytes = Math.ceil((options.slotBytes ?? DEFAULT_SLOT_BYTES) / 8) * 8;
  const slotCount = Math.max(0, Math.floor(options.slots ?? SLOTS_PER_WORKER * workers));
  // The process's slot memory (see slot-memory.ts), shared with backups that run later.
  const slotMemory = slotCount > 0 ? takeSlotMemory(slotBytes * slotCount) : null;
  const memory = slotMemory?.memory ?? new SharedArrayBuffer(0);
  const slots = new SlotChooser(slotCount);
  let closed: Promise<void> | null = null;
  const releaseSlot = (slot: number) => {
    if (!closed) slots.release(slot);
  };

  const shared = chunkWorkers();
  const reader = ++readerCounter;
  const pool = shared.acquire(workers).map((worker) => ({ worker, keys: new Set<string>(), pending: 0 }));
  for (const slot of pool)
    shared.post(slot.worker, { op: 'attach', reader, memory, slotBytes, maxPlaintext });
  /** Groups this decoder's requests, to fail them together. */
  const owner = {};
  let failure: BackupError | null = null;
  return {
    async decode(stored, aad, chunkId, key, label, owned = false, size) {
      if (failure) throw failure;
      const n = shared.nextSeq();
      // The least busy worker: chunks differ in size, so round robin would queue behind a big one.
      let slot = pool[0]!;
      for (const s of pool) if (s.pending < slot.pending) slot = s;
      if (key && !slot.keys.has(key.id)) {
        shared.post(slot.worker, {
          op: 'key',
          reader,
          id: key.id,
          encryptionKey: key.encryptionKey,
          idKey: key.idKey,
        });
        slot.keys.add(key.id);
      }
      const inSlot = slots.take(size);
      const message: Extract<DecoderMessage, { op: 'decode' }> = {
        op: 'decode',
        seq: n,
        reader,
        aad,
        chunkId,
        dataKeyId: key?.id ?? null,
        stored: new Uint8Array(0),
      };
      // The stored bytes go to the worker (freed there, beside the work, not left to this
      // thread's collector): given away when they are ours, else a copy (of compressed bytes:
      // cheap), since the driver may still hold them.
      const whole =
        owned &&
        stored.byteOffset === 0 &&
        stored.byteLength === stored.buffer.byteLength &&
        stored.buffer instanceof ArrayBuffer;
      const data = whole ? stored : new Uint8Array(stored);
      message.stored = data;
      const transfer = [data.buffer as ArrayBuffer];
      if (inSlot !== undefined) message.slot = inSlot;
      slot.pending++;
      let reply: DecoderReply;
      try {
        reply = await shared.request<DecoderReply>(owner, slot.worker, message, transfer);
      } catch (error) {
        if (inSlot !== undefined) releaseSlot(inSlot);
        throw error;
      } finally {
        slot.pending--;
      }
      if (reply.length === undefined && inSlot !== undefined) releaseSlot(inSlot);
      if (reply.error !== undefined) {
        if (reply.missing !== undefined) {
          throw missingOptionalModule(reply.missing, 'Reading zstd-compressed data', new Error(reply.error));
        }
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
        slots.wrote(inSlot, reply.length);
        const view = Buffer.from(memory, inSlot * slotBytes, reply.length);
        return lend(view, () => releaseSlot(inSlot));
      }
      const out = reply.plaintext!;
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    close() {
      closed ??= (async () => {
        // Every slot handed back (and, after the detach below, no worker still in one): the
        // memory can serve the next decoder. Otherwise a lent view may still be read.
        const reusable = slots.allFree;
        failure = new BackupError('aborted', 'The chunk decoder was closed');
        shared.abandon(owner, failure);
        // Each worker answers a detach after everything sent before it (and forgets the keys).
        const barrier = {};
        await Promise.all(
          pool.map(({ worker }) =>
            shared.request(barrier, worker, { op: 'detach', seq: shared.nextSeq(), reader }).catch(() => {}),
          ),
        );
        shared.release();
        if (reusable && slotMemory) giveBackSlotMemory(slotMemory);
      })();
      return closed;
    },
  };
}
