import type { ProgressUpdate } from './progress-update.js';

/**
 * A reading for work whose reporter gives only done and total units (verification): the rate
 * and ETA measured since `startedAt` (ms since the epoch).
 */
export function measuredUpdate(
  startedAt: number,
  percent: number,
  done: number,
  total: number,
): ProgressUpdate {
  const elapsed = (Date.now() - startedAt) / 1000;
  const rate = elapsed > 0 ? done / elapsed : 0;
  return {
    percent,
    done,
    total: Math.max(total, done),
    rate: Math.round(rate),
    etaSeconds: rate > 0 ? Math.max(0, (total - done) / rate) : null,
  };
}
