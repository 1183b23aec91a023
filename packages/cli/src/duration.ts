import { usageError } from './usage-error.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `0`, `90s`, `30m`, `1h`, `2d` in milliseconds.
 * @throws BackupError `invalid_request` (exit 2) naming the flag.
 */
export function parseDuration(value: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw usageError(`${flag} takes a duration such as 0, 90s, 30m, 1h or 2d`, flag);
  const amount = Number(match[1]);
  if (match[2] === undefined && amount !== 0) {
    throw usageError(`${flag} needs a unit (ms, s, m, h or d)`, flag);
  }
  return Math.round(amount * (UNITS[match[2] ?? 'ms'] ?? 1));
}
