import type { ProgressEvent } from './events.js';
import type { WriteChain } from './write-chain.js';

/** One progress update of an execution, restore or verification, as events carry it. */
export type ProgressUpdate = Omit<ProgressEvent, 'id' | 'job_id'>;

/**
 * Records and announces a run's progress at most every `intervalMs`: the catalog write goes
 * through the run's WriteChain (so it never lands after the final status) and the same numbers
 * go out as a progress event.
 */
export class ProgressReporter {
  readonly #intervalMs: number;
  readonly #writes: WriteChain;
  readonly #write: (update: ProgressUpdate) => Promise<unknown>;
  readonly #emit: (update: ProgressUpdate) => void;
  #last = -Infinity;

  constructor(options: {
    intervalMs: number;
    writes: WriteChain;
    write: (update: ProgressUpdate) => Promise<unknown>;
    emit: (update: ProgressUpdate) => void;
  }) {
    this.#intervalMs = options.intervalMs;
    this.#writes = options.writes;
    this.#write = options.write;
    this.#emit = options.emit;
  }

  /** Records and emits `update` unless the last one was less than `intervalMs` ago. */
  report(update: ProgressUpdate): void {
    const now = Date.now();
    if (now - this.#last < this.#intervalMs) return;
    this.#last = now;
    void this.#writes.run(() => this.#write(update)).catch(() => {});
    this.#emit(update);
  }
}
