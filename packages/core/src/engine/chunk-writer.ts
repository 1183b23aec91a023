import { toBackupError } from '../errors.js';
import type { CompressionSetting } from '../repository/compression.js';
import type { Repository } from '../repository/repository.js';
import { Semaphore } from '../util/semaphore.js';

export interface ChunkWriterOptions {
  repository: Repository;
  compression: Required<CompressionSetting>;
  /** Stored chunks (id → stored bytes) from one listing at the start; null = trust nothing, head() each. */
  known: Map<string, number> | null;
  /** Chunk writes in flight at once (each holds one plaintext + one encoded chunk). */
  concurrency: number;
  signal: AbortSignal;
  /** Called when a background write fails, so the run can stop its readers. */
  onFailure: (error: unknown) => void;
}

/**
 * Deduplicates and stores a run's chunks: a chunk already stored (per the listing, or a
 * head() in full runs) or already handled in this run is not written again; new chunks are
 * compressed, encrypted and put in the background with a bounded number in flight, so the
 * reader waits (backpressure) instead of memory growing.
 */
export class ChunkWriter {
  readonly #options: ChunkWriterOptions;
  readonly #slots: Semaphore;
  /** Every chunk this run references → its stored size (0 until a write or head finishes). */
  readonly #referenced = new Map<string, number>();
  readonly #inFlight = new Set<Promise<void>>();
  #failure: unknown = undefined;
  newChunks = 0;
  newBytes = 0;
  storedBytes = 0;

  constructor(options: ChunkWriterOptions) {
    this.#options = options;
    this.#slots = new Semaphore(Math.max(1, Math.floor(options.concurrency)));
  }

  /** The first background failure, if any. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Whether the chunk is stored already as far as this run can tell without I/O. */
  isKnown(id: string): boolean {
    return this.#referenced.has(id) || (this.#options.known?.has(id) ?? false);
  }

  /** Records a reference to a chunk known to be stored (a reused entry's chunk). */
  reference(id: string): void {
    if (this.#referenced.has(id)) return;
    this.#referenced.set(id, this.#options.known?.get(id) ?? 0);
  }

  /**
   * Makes sure chunk `id` with this plaintext ends up stored. Resolves once the chunk is
   * accepted (the write may still be running); rejects with the first background failure.
   */
  async add(id: string, plaintext: Buffer): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#referenced.has(id)) return;
    const known = this.#options.known;
    if (known?.has(id)) {
      this.#referenced.set(id, known.get(id)!);
      return;
    }
    this.#referenced.set(id, 0);
    await this.#slots.acquire();
    if (this.#failure !== undefined) {
      this.#slots.release();
      throw this.#failure;
    }
    const task = this.#store(id, plaintext).finally(() => {
      this.#slots.release();
      this.#inFlight.delete(task);
    });
    this.#inFlight.add(task);
  }

  async #store(id: string, plaintext: Buffer): Promise<void> {
    try {
      const result = await this.#options.repository.putChunk(id, plaintext, this.#options.compression, {
        // With a listing, absence is known; full runs head() every chunk they would reuse.
        assumeAbsent: this.#options.known !== null,
        signal: this.#options.signal,
      });
      this.#referenced.set(id, result.storedBytes);
      if (result.written) {
        this.newChunks++;
        this.newBytes += plaintext.length;
        this.storedBytes += result.storedBytes;
      }
    } catch (error) {
      // Writes interrupted because the run is already stopping are not the cause of the stop.
      if (this.#options.signal.aborted) return;
      if (this.#failure === undefined) {
        this.#failure = toBackupError(error, 'storage_error');
        this.#options.onFailure(this.#failure);
      }
    }
  }

  /** Waits for every write in flight; throws the first failure. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Waits for writes in flight without throwing (cleanup after a failure). */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  get distinctChunks(): number {
    return this.#referenced.size;
  }

  get referencedStoredBytes(): number {
    let total = 0;
    for (const size of this.#referenced.values()) total += size;
    return total;
  }
}
