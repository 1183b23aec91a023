import type { CliIo } from '../io.js';
import { jsonLines } from './json-lines.js';
import { plainLines } from './plain-lines.js';
import type { ProgressSink, ProgressUpdate } from './progress-update.js';
import { terminalBar } from './terminal-bar.js';

export type { ProgressUpdate } from './progress-update.js';
export type ProgressDisplay = ProgressSink;

/** Plain lines and JSON lines come at most this often (`BACKUPKIT_PROGRESS_INTERVAL_MS` changes it). */
const DEFAULT_INTERVAL_MS = 5000;

/**
 * The display for long work: JSON lines on stderr with `--json`; a bar when stdout is a
 * terminal; plain periodic lines otherwise.
 */
export function startProgress(
  io: CliIo,
  options: { label: string; unit: 'bytes' | 'items'; json: boolean },
): ProgressSink {
  const configured = Number(io.env.BACKUPKIT_PROGRESS_INTERVAL_MS);
  const intervalMs = Number.isFinite(configured) && configured >= 0 ? configured : DEFAULT_INTERVAL_MS;
  if (options.json) return jsonLines(io.stderr, options.label, intervalMs);
  if (io.stdout.isTTY) return terminalBar(io.stdout, options.label, options.unit);
  return plainLines(io.stdout, options.label, options.unit, intervalMs);
}

/** A reading from core's transfer progress (backups and restores). */
export function transferUpdate(p: {
  percent: number;
  bytesDone: number;
  bytesEstimated: number;
  bytesPerSecond: number;
  estimatedCompletionAt: Date | null;
}): ProgressUpdate {
  const eta = p.estimatedCompletionAt ? (p.estimatedCompletionAt.getTime() - Date.now()) / 1000 : null;
  return {
    percent: p.percent,
    done: p.bytesDone,
    total: Math.max(p.bytesEstimated, p.bytesDone),
    rate: p.bytesPerSecond,
    etaSeconds: eta === null ? null : Math.max(0, eta),
  };
}
