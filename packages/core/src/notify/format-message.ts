import type { NotificationMessage } from './notifier.js';
import { maskSecrets } from './notifier.js';

const OUTCOME_WORD = { success: 'succeeded', failure: 'FAILED', warning: 'completed with warnings' } as const;
const KIND_WORD = { backup: 'Backup', restore: 'Restore', verification: 'Verification' } as const;

/** `1.5 GiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** `1h 2m 3s`, `45s`, `0.4s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 10) return `${Math.round(seconds * 10) / 10}s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h ? `${h}h` : '', h || m ? `${m}m` : '', `${s}s`].filter(Boolean).join(' ');
}

export function formatSubject(message: NotificationMessage, prefix = '[backupkit]'): string {
  return `${prefix} ${KIND_WORD[message.kind]} ${OUTCOME_WORD[message.outcome]}: ${message.job_name}`;
}

/** A plain-text body a person can read at a glance: job, outcome, sizes, duration, error. */
export function formatText(message: NotificationMessage): string {
  const lines: Array<[string, string | null | undefined]> = [
    ['Job', `${message.job_name} (${message.job_id})`],
    ['Outcome', `${KIND_WORD[message.kind]} ${OUTCOME_WORD[message.outcome]}`],
    ['Execution', message.execution_id],
    ['Backup', message.backup_id],
    ['Trigger', message.trigger],
    ['Started', message.started_at],
    ['Completed', message.completed_at],
    ['Duration', message.duration === null ? null : formatDuration(message.duration)],
    ['Data size', message.logical_size == null ? null : formatBytes(message.logical_size)],
    ['Stored size', message.file_size == null ? null : formatBytes(message.file_size)],
    ['New data stored', message.new_bytes == null ? null : formatBytes(message.new_bytes)],
  ];
  const out = lines
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${`${k}:`.padEnd(17)}${v}`);
  if (message.error) {
    out.push('', `Error (${message.error.code}):`, `  ${maskSecrets(message.error.message)}`);
  }
  if (message.warnings && message.warnings.length > 0) {
    out.push('', 'Warnings:', ...message.warnings.map((w) => `  - ${maskSecrets(w)}`));
  }
  out.push('', '-- sent by backupkit');
  return `${out.join('\n')}\n`;
}
