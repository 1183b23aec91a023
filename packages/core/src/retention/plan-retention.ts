import { BackupError } from '../errors.js';
import { isoWeek, zonedFields } from './zoned-calendar.js';

/**
 * A job's retention policy, read like restic's `forget --keep-*`: how many of the most recent
 * days / ISO weeks / months / years that have a successful backup keep their newest backup, plus
 * `last` most recent backups. `-1` means unlimited. Absent or 0 fields keep nothing by themselves.
 */
export interface RetentionPolicy {
  last?: number;
  hours?: number;
  days?: number;
  weeks?: number;
  months?: number;
  years?: number;
}

/** The subset of a backup record retention reads. */
export interface RetentionCandidate {
  backup_id: string;
  /** ISO time the backup was taken (its snapshot time). */
  created_at: string;
  /** Only `completed` backups take part; others are reported as ignored. */
  status: string;
}

export interface RetentionDecision {
  backup_id: string;
  created_at: string;
  /** Why it is kept, e.g. `daily snapshot (2024-03-05)`; empty for forgotten backups. */
  reasons: string[];
}

export interface RetentionPlan {
  /** Newest first. */
  keep: RetentionDecision[];
  /** Newest first: what applying the plan deletes. */
  forget: RetentionDecision[];
  /** Backups that are not successful and so are outside retention (never deleted by it). */
  ignored: RetentionDecision[];
}

export interface RetentionOptions {
  /** IANA zone whose calendar defines days, weeks, months and years (the job's schedule zone). */
  timezone: string;
  /** Backups after `now` are never deleted (a clock skew must not cost data). */
  now: Date;
}

type RuleName = keyof RetentionPolicy;

interface Rule {
  name: RuleName;
  label: string;
  bucket: (time: Date, index: number, timezone: string) => string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

// Order matches restic's evaluation order; it decides the order of reasons only.
const RULES: readonly Rule[] = [
  { name: 'last', label: 'last snapshot', bucket: (_t, index) => `#${index + 1}` },
  {
    name: 'hours',
    label: 'hourly snapshot',
    bucket: (t, _i, tz) => {
      const f = zonedFields(t, tz);
      return `${f.year}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}`;
    },
  },
  {
    name: 'days',
    label: 'daily snapshot',
    bucket: (t, _i, tz) => {
      const f = zonedFields(t, tz);
      return `${f.year}-${pad(f.month)}-${pad(f.day)}`;
    },
  },
  {
    name: 'weeks',
    label: 'weekly snapshot',
    bucket: (t, _i, tz) => {
      const f = zonedFields(t, tz);
      const w = isoWeek(f.year, f.month, f.day);
      return `${w.year}-W${pad(w.week)}`;
    },
  },
  {
    name: 'months',
    label: 'monthly snapshot',
    bucket: (t, _i, tz) => {
      const f = zonedFields(t, tz);
      return `${f.year}-${pad(f.month)}`;
    },
  },
  { name: 'years', label: 'yearly snapshot', bucket: (t, _i, tz) => String(zonedFields(t, tz).year) },
];

/**
 * Throws `BackupError('invalid_backup_config')` when a field is not an integer ≥ -1.
 * Returns the normalised policy (only the known fields).
 */
export function normalizeRetentionPolicy(
  policy: Record<string, unknown> | RetentionPolicy | null,
): RetentionPolicy {
  const out: RetentionPolicy = {};
  if (policy === null) return out;
  for (const rule of RULES) {
    const value = (policy as Record<string, unknown>)[rule.name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -1) {
      throw new BackupError('invalid_backup_config', `retention.${rule.name} must be an integer >= -1`, {
        details: { field: `retention.${rule.name}` },
      });
    }
    out[rule.name] = value;
  }
  return out;
}

/** True when no field keeps anything: such a policy deletes nothing (as restic refuses to). */
export function isEmptyPolicy(policy: RetentionPolicy): boolean {
  return RULES.every((rule) => (policy[rule.name] ?? 0) === 0);
}

/**
 * Decides which successful backups a policy keeps and which it forgets, with restic's
 * `forget --keep-*` semantics: per field, walk backups newest first and keep the newest backup of
 * each new bucket (calendar hour/day/ISO week/month/year in `timezone`) until the field's count is
 * spent; fields combine by union; a field whose count is not spent keeps the oldest backup too.
 * The newest successful backup is always kept, backups after `now` are never forgotten, and an
 * empty policy forgets nothing. Pure: reads no clock and touches no storage.
 *
 * Throws `BackupError('invalid_backup_config')` for a bad policy or an unknown time zone.
 */
export function planRetention(
  backups: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  options: RetentionOptions,
): RetentionPlan {
  const normalized = normalizeRetentionPolicy(policy);
  const nowMs = options.now.getTime();
  const decide = (b: RetentionCandidate, reasons: string[]): RetentionDecision => ({
    backup_id: b.backup_id,
    created_at: b.created_at,
    reasons,
  });

  const ignored = backups.filter((b) => b.status !== 'completed').map((b) => decide(b, []));
  const successful = backups
    .filter((b) => b.status === 'completed')
    .map((b) => ({ backup: b, time: new Date(b.created_at) }))
    .sort(
      (a, b) => b.time.getTime() - a.time.getTime() || (a.backup.backup_id < b.backup.backup_id ? 1 : -1),
    );

  const keep: RetentionDecision[] = [];
  const forget: RetentionDecision[] = [];
  const future = successful.filter((s) => s.time.getTime() > nowMs);
  for (const s of future) keep.push(decide(s.backup, ['in the future']));
  const walk = successful.filter((s) => s.time.getTime() <= nowMs);

  if (isEmptyPolicy(normalized)) {
    for (const s of walk) keep.push(decide(s.backup, ['policy is empty']));
    return { keep, forget, ignored };
  }

  const state = RULES.map((rule) => ({
    rule,
    remaining: normalized[rule.name] ?? 0,
    lastBucket: null as string | null,
  }));
  walk.forEach((s, index) => {
    const reasons: string[] = [];
    const oldest = index === walk.length - 1;
    for (const entry of state) {
      if (entry.remaining === 0) continue;
      const bucket = entry.rule.bucket(s.time, index, options.timezone);
      if (bucket !== entry.lastBucket) {
        reasons.push(`${entry.rule.label} (${bucket})`);
      } else if (oldest) {
        // Counts left when history runs out: keep the oldest to make history as long as allowed.
        reasons.push(`oldest ${entry.rule.label} (${bucket})`);
      } else {
        continue;
      }
      entry.lastBucket = bucket;
      if (entry.remaining > 0) entry.remaining -= 1;
    }
    if (index === 0 && reasons.length === 0) reasons.push('newest successful backup');
    if (reasons.length > 0) keep.push(decide(s.backup, reasons));
    else forget.push(decide(s.backup, []));
  });
  return { keep, forget, ignored };
}
