import { formatBytes, formatDuration } from '../format.js';
import type { OutputStream } from '../io.js';
import type { ProgressSink, ProgressUpdate } from './progress-update.js';

/**
 * Progress for logs and pipes: one plain line (no control characters) every `intervalMs` at
 * most, and the final line at 100%.
 */
export function plainLines(
  stream: OutputStream,
  label: string,
  unit: 'bytes' | 'items',
  intervalMs: number,
): ProgressSink {
  const amount = (n: number) => (unit === 'bytes' ? formatBytes(n) : String(Math.round(n)));
  let last = Number.NEGATIVE_INFINITY;
  let lastPercent = -1;
  const line = (u: ProgressUpdate) =>
    `${label}: ${u.percent}% ${amount(u.done)} / ${amount(u.total)}, ${amount(u.rate)}/s, ETA ${u.percent >= 100 ? '0s' : formatDuration(u.etaSeconds)}\n`;
  return {
    update(u) {
      const now = Date.now();
      const final = u.percent >= 100;
      if (final ? lastPercent === 100 : now - last < intervalMs || u.percent === lastPercent) return;
      last = now;
      lastPercent = u.percent;
      stream.write(line(u));
    },
    stop() {},
  };
}
