/** What a running backup or restore reports. */
export interface TransferProgress {
  /** Plaintext bytes processed so far (read and stored, reused, or restored). */
  bytesDone: number;
  /** The source's estimate of the total (grows to `bytesDone` when the estimate was low). */
  bytesEstimated: number;
  entriesDone: number;
  /** Entries known so far (for backups the list is discovered as the run goes). */
  entriesTotal: number;
  /** 0–100; reaches 100 only when the run is complete. */
  percent: number;
  /** Measured plaintext throughput since the start. */
  bytesPerSecond: number;
  /** Projected from the measured throughput; null until something was measured. */
  estimatedCompletionAt: Date | null;
  elapsedMs: number;
}

export interface BackupProgress extends TransferProgress {
  chunksWritten: number;
  /** Stored (compressed, encrypted) bytes written so far. */
  bytesStored: number;
  /** Entry names being read right now. */
  currentEntries: string[];
}

/** Computes percent / throughput / ETA and throttles how often a callback fires. */
export class ProgressMeter {
  readonly #started = performance.now();
  readonly #startedAt = Date.now();
  readonly #intervalMs: number;
  #lastEmit = -Infinity;
  bytesDone = 0;
  bytesEstimated: number;
  entriesDone = 0;
  entriesTotal = 0;

  constructor(bytesEstimated: number, intervalMs: number) {
    this.bytesEstimated = Math.max(0, bytesEstimated);
    this.#intervalMs = intervalMs;
  }

  /** True when enough time passed since the last emission (or `force`). */
  due(force = false): boolean {
    const now = performance.now();
    if (!force && now - this.#lastEmit < this.#intervalMs) return false;
    this.#lastEmit = now;
    return true;
  }

  snapshot(complete = false): TransferProgress {
    const elapsedMs = performance.now() - this.#started;
    const estimated = Math.max(this.bytesEstimated, this.bytesDone);
    const bytesPerSecond = elapsedMs > 0 ? (this.bytesDone / elapsedMs) * 1000 : 0;
    let percent: number;
    if (complete) percent = 100;
    else if (estimated > 0) percent = Math.min(99, Math.floor((this.bytesDone / estimated) * 100));
    else percent = 0;
    const remaining = estimated - this.bytesDone;
    const estimatedCompletionAt = complete
      ? new Date(this.#startedAt + elapsedMs)
      : bytesPerSecond > 0 && estimated > 0
        ? new Date(this.#startedAt + elapsedMs + (remaining / bytesPerSecond) * 1000)
        : null;
    return {
      bytesDone: this.bytesDone,
      bytesEstimated: estimated,
      entriesDone: this.entriesDone,
      entriesTotal: Math.max(this.entriesTotal, this.entriesDone),
      percent,
      bytesPerSecond: Math.round(bytesPerSecond),
      estimatedCompletionAt,
      elapsedMs: Math.round(elapsedMs),
    };
  }
}
