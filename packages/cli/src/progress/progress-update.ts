/** One reading of long work, whatever core reported it in (backup, restore, verification). */
export interface ProgressUpdate {
  /** 0–100; 100 only when done. */
  percent: number;
  /** Work done and expected, in bytes (or items for item counters). */
  done: number;
  total: number;
  /** Measured rate in units per second (0 until measured). */
  rate: number;
  /** Seconds left, or null until something was measured. */
  etaSeconds: number | null;
}

/** Where a verb reports progress: a bar, plain lines or JSON lines (see start-progress.ts). */
export interface ProgressSink {
  update(update: ProgressUpdate): void;
  /** Ends the display: the last update was final, or the work failed (`completed` false). */
  stop(completed: boolean): void;
}
