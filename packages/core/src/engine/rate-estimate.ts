/** The window a recent pace is measured over, at least (ms). */
const MIN_WINDOW_MS = 1_000;
/**
 * The recent pace counts down to this share of the pace since the start: a stretch with nothing
 * credited (an index build) makes the ETA slip, by up to a third of what is left, and no more.
 */
const FLOOR = 0.75;
/** Samples kept; past this, every other one is dropped (the window only needs a coarse history). */
const MAX_SAMPLES = 512;

/**
 * The pace of a run's work, for its ETA: measured over the recent half of the run (at least a
 * second), so a slow start (workers warming up, the first connections, a busy machine) stops
 * weighing once the run is well under way; and never below FLOOR of the pace since the start,
 * so a stretch with nothing credited (a long index build) makes the ETA slip without running off.
 */
export class RateEstimate {
  #samples: Array<[number, number]> = [];

  /**
   * Units per millisecond at `now` (ms since the epoch) with `done` units done, work having
   * started at `since`; records the sample. Null until something was done.
   */
  at(since: number, now: number, done: number): number | null {
    if (!(done > 0) || now <= since) return null;
    const windowStart = now - Math.max(MIN_WINDOW_MS, (now - since) / 2);
    let past: [number, number] | undefined;
    for (const sample of this.#samples) {
      if (sample[0] > windowStart) break;
      past = sample;
    }
    this.#record(now, done);
    const average = done / (now - since);
    if (!past || now <= past[0]) return average;
    return Math.max((done - past[1]) / (now - past[0]), average * FLOOR);
  }

  #record(now: number, done: number): void {
    const last = this.#samples.at(-1);
    if (last && last[0] >= now) return;
    this.#samples.push([now, done]);
    if (this.#samples.length > MAX_SAMPLES) this.#samples = this.#samples.filter((_, i) => i % 2 === 0);
  }
}
