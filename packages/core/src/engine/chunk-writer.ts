import { toBackupError } from '../errors.js';
import type { ChunkBufferPool } from '../repository/chunk-buffer-pool.js';
import type { ChunkEncoder, EntryDigest, PendingChunk } from '../repository/chunk-encoder.js';
import type { ChunkIndex } from '../repository/chunk-index.js';
import type { BlobOrder, PackWriter, WrittenPack } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';
import { Semaphore } from '../util/semaphore.js';
import { ByteBudget } from './byte-budget.js';

export interface ChunkWriterOptions {
  repository: Repository;
  encoder: ChunkEncoder;
  /** The repository's chunk index as loaded at the start: what is stored already. */
  index: ChunkIndex;
  /** Where this run's new chunks go. */
  packs: PackWriter;
  /**
   * Stored-bytes SHA-256 of chunks an earlier backup recorded (id → its stored size and digest),
   * carried into this run's record for chunks it reuses with that same stored size.
   */
  knownDigests?: ReadonlyMap<string, { size: number; sha256: string }>;
  /** Chunks in flight at once, from submission to stored (each holds a plaintext and an encoded chunk). */
  concurrency: number;
  /**
   * Plaintext bytes in flight at once (the memory a chunk's buffer pins, from submission to
   * stored): what bounds the run's memory, whatever the number of workers.
   */
  maxInFlightBytes: number;
  /** The pool the chunks are cut into, if any (a pooled chunk pins a whole slot). */
  pool?: ChunkBufferPool;
  signal: AbortSignal;
  /** Called when a background step fails, so the run can stop its readers. */
  onFailure: (error: unknown) => void;
}

/**
 * Deduplicates and stores a run's chunks. Each submitted chunk gets its id from the encoder;
 * one already stored (per the index: no request per chunk) or already handled in this run is
 * dropped, a new one is compressed, encrypted and appended to a pack. All of it runs in the
 * background with a bounded number of chunks in flight, so a reader that gets ahead waits
 * (backpressure) instead of memory growing.
 */
export class ChunkWriter {
  readonly #options: ChunkWriterOptions;
  readonly #slots: Semaphore;
  readonly #bytes: ByteBudget;
  /** Every chunk this run references → its stored size (0 until a write or head finishes). */
  readonly #referenced = new Map<string, number>();
  /** Stored-bytes SHA-256 of referenced chunks, where known (written now, or carried over). */
  readonly #digests = new Map<string, string>();
  readonly #inFlight = new Set<Promise<void>>();
  #failure: unknown = undefined;
  newChunks = 0;
  newBytes = 0;
  storedBytes = 0;

  constructor(options: ChunkWriterOptions) {
    this.#options = options;
    this.#slots = new Semaphore(Math.max(1, Math.floor(options.concurrency)));
    this.#bytes = new ByteBudget(options.maxInFlightBytes);
  }

  /** The first background failure, if any. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Whether the chunk is stored already as far as this run can tell without I/O. */
  isKnown(id: string): boolean {
    return this.#referenced.has(id) || this.#options.index.has(id);
  }

  /** Records a reference to a chunk known to be stored (a reused entry's chunk). */
  reference(id: string): void {
    if (this.#referenced.has(id)) return;
    this.#seen(id, this.#options.index.get(id)?.length ?? 0);
  }

  /** Records a referenced chunk stored earlier, with its digest when the earlier record matches. */
  #seen(id: string, size: number): void {
    this.#referenced.set(id, size);
    const earlier = this.#options.knownDigests?.get(id);
    // Only for the very object the earlier backup saw (as far as its size tells).
    if (earlier && size > 0 && earlier.size === size) this.#digests.set(id, earlier.sha256);
  }

  /**
   * Hands a chunk over (the buffer may be detached), adding it to `digest` when given; `order`
   * (entry, chunk number) keeps an entry's chunks together in packs. Resolves once a slot is
   * free, with the chunk's id still pending; rejects with the first background failure.
   */
  async submit(chunk: Buffer, digest?: EntryDigest, order?: BlobOrder): Promise<{ id: Promise<string> }> {
    if (this.#failure !== undefined) throw this.#failure;
    // What the chunk pins: its whole slot when it is the front of a pooled one.
    const pool = this.#options.pool;
    const pinned = pool && pool.slotOf(chunk) >= 0 ? pool.slotBytes : chunk.length;
    await this.#bytes.acquire(pinned);
    await this.#slots.acquire();
    if (this.#failure !== undefined) {
      this.#slots.release();
      this.#bytes.release(pinned);
      throw this.#failure;
    }
    const pending = this.#options.encoder.submit(chunk, digest);
    pending.id.catch(() => {}); // awaited by the entry; failures surface through #failure too
    const task = this.#store(pending, order).finally(() => {
      this.#slots.release();
      this.#bytes.release(pinned);
      this.#inFlight.delete(task);
    });
    this.#inFlight.add(task);
    return { id: pending.id };
  }

  async #store(pending: PendingChunk, order: BlobOrder | undefined): Promise<void> {
    let dropped = false;
    const drop = () => {
      dropped = true;
      pending.drop();
    };
    try {
      const id = await pending.id;
      if (this.#referenced.has(id)) return drop();
      const stored = this.#options.index.get(id);
      if (stored) {
        this.#seen(id, stored.length);
        return drop();
      }
      this.#referenced.set(id, 0);
      const encoded = await pending.encode(this.#options.repository.chunkAad(id));
      dropped = true;
      const storedBytes = encoded.bytes.length;
      await this.#options.packs.add(id, encoded.bytes, pending.size, order);
      // Only once copied into its pack (a failed add may have been reading the shared bytes).
      encoded.release?.();
      this.#referenced.set(id, storedBytes);
      if (encoded.sha256) this.#digests.set(id, encoded.sha256);
      this.newChunks++;
      this.newBytes += pending.size;
      this.storedBytes += storedBytes;
    } catch (error) {
      if (!dropped) pending.drop();
      // Steps interrupted because the run is already stopping are not the cause of the stop.
      if (this.#options.signal.aborted) return;
      if (this.#failure === undefined) {
        this.#failure = toBackupError(error, 'storage_error');
        this.#options.onFailure(this.#failure);
      }
    }
  }

  /**
   * Waits for every chunk in flight, seals and uploads the last pack, and returns the packs this
   * run wrote (to be indexed before the manifest); throws the first failure.
   */
  async finish(): Promise<WrittenPack[]> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
    if (this.#failure !== undefined) throw this.#failure;
    return this.#options.packs.finish();
  }

  /** Waits for chunks and uploads in flight without throwing (cleanup after a failure). */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    await this.#options.packs.settle();
  }

  get distinctChunks(): number {
    return this.#referenced.size;
  }

  /** Stored bytes of each referenced chunk whose stored size this run learned (for `Manifest.stored_chunks`). */
  storedSizes(): Record<string, number> {
    const sizes: Record<string, number> = {};
    for (const [id, size] of this.#referenced) if (size > 0) sizes[id] = size;
    return sizes;
  }

  /** Stored-bytes SHA-256 of each referenced chunk where known (for `Manifest.stored_chunk_sha256`). */
  storedDigests(): Record<string, string> {
    const digests: Record<string, string> = {};
    for (const id of this.#referenced.keys()) {
      const digest = this.#digests.get(id);
      if (digest) digests[id] = digest;
    }
    return digests;
  }

  get referencedStoredBytes(): number {
    let total = 0;
    for (const size of this.#referenced.values()) total += size;
    return total;
  }
}
