import cliProgress from 'cli-progress';
import { formatBytes, formatDuration } from '../format.js';
import type { OutputStream } from '../io.js';
import type { ProgressSink, ProgressUpdate } from './progress-update.js';

/**
 * A progress bar redrawn in place (cli-progress) for a terminal: percent, bytes done of the
 * total, rate and ETA. The ETA is core's (measured on the work's own scale, index builds
 * included), not the bar's guess from the values.
 */
export function terminalBar(stream: OutputStream, label: string, unit: 'bytes' | 'items'): ProgressSink {
  const amount = (n: number) => (unit === 'bytes' ? formatBytes(n) : String(Math.round(n)));
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} |{bar}| {percentage}% | {doneText} / {totalText} | {rateText} | ETA {etaText}`,
      // cli-progress drives a tty.WriteStream (cursor moves, line clears); the CLI hands it
      // process.stdout only when that is a terminal.
      stream: stream as NodeJS.WriteStream,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 24,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const payload = (u: ProgressUpdate) => ({
    doneText: amount(u.done),
    totalText: amount(u.total),
    rateText: `${amount(u.rate)}/s`,
    etaText: u.percent >= 100 ? '0s' : formatDuration(u.etaSeconds),
  });
  return {
    update(u) {
      // The bar's percentage is value / total: scale to core's percent, so 100% means done.
      const value = Math.min(u.percent, 100);
      if (!started) {
        bar.start(100, value, payload(u));
        started = true;
      } else {
        bar.update(value, payload(u));
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
