import { RateEstimate } from './rate-estimate.js';

/** What a running backup or restore reports. */
export interface TransferProgress {
  /** Plaintext bytes processed so far (read and stored, reused, or restored). */
  bytesDone: number;
  /** The estimate of the total (corrected as entries finish; never below `bytesDone`). */
  bytesEstimated: number;
  entriesDone: number;
  /** Entries known so far (for backups the list is discovered as the run goes). */
  entriesTotal: number;
  /**
   * Work done and expected, in bytes of content it is worth: for backups the bytes themselves;
   * for restores the bytes plus what the target prices on top (index builds, keys, checks).
   * `percent` and `estimatedCompletionAt` come from these.
   */
  workDone: number;
  workTotal: number;
  /** 0–100; reaches 100 only when the run is complete. */
  percent: number;
  /** Measured plaintext throughput since the start. */
  bytesPerSecond: number;
  /** Projected from the rate of work measured since the start; null until something was measured. */
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

/** Integer percent of `done` over `total`: 100 only when `complete`, else at most 99. */
export function percentOf(done: number, total: number, complete = false): number {
  if (complete) return 100;
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(99, Math.floor((done / total) * 100)));
}

/**
 * When work that started at `startedAt` (ms since the epoch) ends if it goes on at the rate
 * measured so far: `elapsed × total / done`. Null until some work was measured.
 */
export function projectedEnd(startedAt: number, now: number, done: number, total: number): Date | null {
  const elapsed = now - startedAt;
  if (!(done > 0) || !(total > 0) || elapsed < 0) return null;
  return new Date(startedAt + (elapsed * Math.max(total, done)) / done);
}

/** Computes percent / throughput / ETA and throttles how often a callback fires. */
export class ProgressMeter {
  readonly #started = performance.now();
  readonly #startedAt = Date.now();
  /** When the first work was done: the rate is measured from there, past connecting and listing. */
  #workingSince: number | null = null;
  readonly #rate = new RateEstimate();
  readonly #intervalMs: number;
  #lastEmit = -Infinity;
  bytesDone = 0;
  bytesEstimated: number;
  entriesDone = 0;
  entriesTotal = 0;
  /** Work units (see TransferProgress); while `workTotal` is 0 the bytes stand in for them. */
  workDone = 0;
  workTotal = 0;
  /**
   * How the remaining work can be spread: over `lanes` at once, except `longest` (the most
   * left on one entry, which only one lane can do) and `after` (what only starts once every
   * entry is done). Lets the ETA see the one long entry that finishes alone.
   */
  schedule = { lanes: 1, longest: 0, after: 0 };

  constructor(bytesEstimated: number, intervalMs: number) {
    this.bytesEstimated = Math.max(0, bytesEstimated);
    this.#intervalMs = intervalMs;
  }

  /**
   * Calls `report` every interval until the returned function is called, so progress is also
   * reported while nothing moves (a long index build): the ETA then slips as time passes
   * instead of standing still at a moment already gone.
   */
  heartbeat(report: () => void): () => void {
    const timer = setInterval(report, Math.max(10, this.#intervalMs));
    timer.unref?.();
    return () => clearInterval(timer);
  }

  /** Notes that work is being done (the first call starts the rate's clock). */
  working(): void {
    this.#workingSince ??= this.#startedAt + (performance.now() - this.#started);
  }

  /** True when enough time passed since the last emission (or `force`). */
  due(force = false): boolean {
    const now = performance.now();
    if (!force && now - this.#lastEmit < this.#intervalMs) return false;
    this.#lastEmit = now;
    return true;
  }

  /**
   * The rest at the pace measured (see RateEstimate); with `schedule`, no sooner than its
   * longest entry can end on one lane.
   */
  #projectedEnd(now: number, done: number, total: number): Date | null {
    if (!(total > 0)) return null;
    const rate = this.#rate.at(this.#workingSince ?? this.#startedAt, now, done);
    if (rate === null || !(rate > 0)) return null;
    const remaining = Math.max(0, total - done);
    const { lanes, longest, after } = this.schedule;
    const critical =
      lanes > 1 && longest > 0 ? Math.max(remaining - after, longest * lanes) + after : remaining;
    return new Date(now + Math.max(remaining, critical) / rate);
  }

  snapshot(complete = false): TransferProgress {
    const elapsedMs = performance.now() - this.#started;
    const estimated = Math.max(this.bytesEstimated, this.bytesDone);
    const byWork = this.workTotal > 0;
    const done = byWork ? this.workDone : this.bytesDone;
    const total = byWork ? Math.max(this.workTotal, this.workDone) : estimated;
    const now = this.#startedAt + elapsedMs;
    return {
      bytesDone: this.bytesDone,
      bytesEstimated: estimated,
      entriesDone: this.entriesDone,
      entriesTotal: Math.max(this.entriesTotal, this.entriesDone),
      workDone: done,
      workTotal: total,
      percent: percentOf(done, total, complete),
      bytesPerSecond: elapsedMs > 0 ? Math.round((this.bytesDone / elapsedMs) * 1000) : 0,
      estimatedCompletionAt: complete ? new Date(now) : this.#projectedEnd(now, done, total),
      elapsedMs: Math.round(elapsedMs),
    };
  }
}

/**
 * How far a restore is, as bytes of its content: its estimated bytes scaled by the share of
 * its work done (so index builds count, not only the bytes streamed).
 */
export function restoredShare(progress: TransferProgress): number {
  if (!(progress.workTotal > 0)) return progress.bytesDone;
  return Math.round((progress.bytesEstimated * progress.workDone) / progress.workTotal);
}
