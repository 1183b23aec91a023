import type { OutputStream } from '../io.js';
import type { ProgressSink } from './progress-update.js';

/**
 * `--json` progress: one JSON object a line on stderr, at most every `intervalMs` and at 100%,
 * so stdout holds nothing but the verb's one result document.
 */
export function jsonLines(stream: OutputStream, label: string, intervalMs: number): ProgressSink {
  let last = Number.NEGATIVE_INFINITY;
  let finished = false;
  return {
    update(u) {
      const now = Date.now();
      const final = u.percent >= 100;
      if (finished || (!final && now - last < intervalMs)) return;
      last = now;
      finished = final;
      stream.write(
        `${JSON.stringify({
          type: 'progress',
          operation: label,
          percent: u.percent,
          done: u.done,
          total: u.total,
          rate: u.rate,
          eta_seconds: u.etaSeconds,
        })}\n`,
      );
    },
    stop() {},
  };
}
