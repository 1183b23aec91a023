import type { RetentionPolicy } from './plan-retention.js';
import { isEmptyPolicy, normalizeRetentionPolicy } from './plan-retention.js';
import { isoWeek, zonedFields, zonedToInstant } from './zoned-calendar.js';

export interface RetentionUntilOptions {
  timezone: string;
  /**
   * When the job's next backup after this one is expected (its schedule's next run), or null for
   * unscheduled jobs. A backup that the next run supersedes in a bucket is not kept by that bucket.
   */
  nextBackupAt?: Date | null;
}

/**
 * Estimates when a successful backup taken at `createdAt` will be forgotten, assuming the job
 * keeps backing up on its schedule (one backup per bucket at least). Each policy field keeps the
 * backup while it is the newest of its bucket and fewer than `count` newer buckets exist: that
 * ends `count` calendar units later (same local wall time). The estimate is the latest end over
 * the fields that keep it. Returns null when nothing is known to expire it (empty policy, an
 * unlimited field, no schedule for a `last`-only policy).
 *
 * Throws `BackupError('invalid_backup_config')` for a bad policy or time zone.
 */
export function retentionUntil(
  createdAt: Date,
  policy: RetentionPolicy,
  options: RetentionUntilOptions,
): Date | null {
  const normalized = normalizeRetentionPolicy(policy);
  if (isEmptyPolicy(normalized)) return null;
  const next = options.nextBackupAt ?? null;
  const tz = options.timezone;
  const local = zonedFields(createdAt, tz);
  const sameBucket = (unit: 'hours' | 'days' | 'weeks' | 'months' | 'years'): boolean => {
    if (next === null) return false;
    const n = zonedFields(next, tz);
    switch (unit) {
      case 'hours':
        return (
          n.year === local.year && n.month === local.month && n.day === local.day && n.hour === local.hour
        );
      case 'days':
        return n.year === local.year && n.month === local.month && n.day === local.day;
      case 'weeks': {
        const a = isoWeek(local.year, local.month, local.day);
        const b = isoWeek(n.year, n.month, n.day);
        return a.year === b.year && a.week === b.week;
      }
      case 'months':
        return n.year === local.year && n.month === local.month;
      case 'years':
        return n.year === local.year;
    }
  };

  let latest: number | null = null;
  const consider = (ms: number) => {
    latest = latest === null ? ms : Math.max(latest, ms);
  };
  const units = ['hours', 'days', 'weeks', 'months', 'years'] as const;
  for (const unit of units) {
    const count = normalized[unit] ?? 0;
    if (count === 0 || sameBucket(unit)) continue;
    if (count === -1) return null;
    consider(addLocal(local, unit, count, tz).getTime());
  }
  const last = normalized.last ?? 0;
  if (last === -1) return null;
  if (last > 0 && next !== null)
    consider(createdAt.getTime() + last * (next.getTime() - createdAt.getTime()));
  if (latest === null) {
    // Superseded in every bucket by the next run: it goes when that run's retention is applied.
    return next;
  }
  return new Date(latest);
}

function addLocal(
  local: ReturnType<typeof zonedFields>,
  unit: 'hours' | 'days' | 'weeks' | 'months' | 'years',
  count: number,
  tz: string,
): Date {
  const f = { ...local };
  if (unit === 'hours') f.hour += count;
  if (unit === 'days') f.day += count;
  if (unit === 'weeks') f.day += 7 * count;
  if (unit === 'months' || unit === 'years') {
    const months = unit === 'months' ? count : 12 * count;
    const target = new Date(Date.UTC(f.year, f.month - 1 + months, 1));
    const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
    f.year = target.getUTCFullYear();
    f.month = target.getUTCMonth() + 1;
    f.day = Math.min(f.day, lastDay);
  }
  return zonedToInstant(f, tz);
}
