import { Cron } from 'croner';
import { BackupError } from '../errors.js';
import { assertTimeZone, zonedFields } from '../retention/zoned-calendar.js';

/** A job's `schedule` as the API takes it (and as `backup_schedules` stores it). */
export interface ScheduleSpec {
  /** `hourly` | `daily` | `weekly` | `monthly`, or a cron expression (5 or 6 fields). */
  frequency: string;
  /** `HH:MM` local time (for `hourly` only the minute counts). Default `00:00`. */
  time?: string | null;
  /** 0 (Sunday) … 6 (Saturday); 7 is Sunday too. For `weekly`; default 0. */
  day_of_week?: number | null;
  /** 1 … 31; for `monthly`, default 1. Days past a month's end run on its last day. */
  day_of_month?: number | null;
  /** IANA zone the times are read in. Default `UTC`. */
  timezone?: string | null;
  enabled?: boolean;
}

const FREQUENCIES = new Set(['hourly', 'daily', 'weekly', 'monthly']);

function invalid(message: string, field: string, cause?: unknown): BackupError {
  return new BackupError('invalid_backup_config', message, {
    cause,
    details: { field: `schedule.${field}` },
  });
}

function parseTime(time: string | null | undefined): { hour: number; minute: number } {
  if (time === null || time === undefined) return { hour: 0, minute: 0 };
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (match === null) throw invalid(`schedule.time must be HH:MM (24-hour), got "${time}"`, 'time');
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

interface CompiledSchedule {
  /** Croner patterns; the next run is the earliest valid candidate of any. */
  crons: Cron[];
  /** For day_of_month > 28: the `L` pattern only counts in months shorter than this day. */
  lastDayFallbackFor: number | null;
  timezone: string;
}

/**
 * Checks a schedule and turns it into croner patterns. Throws `BackupError('invalid_backup_config')`
 * naming the bad field (bad frequency or cron expression, time, day, or time zone).
 */
export function compileSchedule(spec: ScheduleSpec): CompiledSchedule {
  const timezone = spec.timezone ?? 'UTC';
  try {
    assertTimeZone(timezone);
  } catch (cause) {
    throw invalid(`Unknown time zone: ${timezone}`, 'timezone', cause);
  }
  const frequency = spec.frequency.trim();
  const make = (pattern: string, field: string) => {
    try {
      return new Cron(pattern, { timezone, paused: true });
    } catch (cause) {
      throw invalid(
        `Invalid schedule: ${cause instanceof Error ? cause.message : String(cause)}`,
        field,
        cause,
      );
    }
  };
  if (!FREQUENCIES.has(frequency)) {
    if (!/\s/.test(frequency)) {
      throw invalid(
        `schedule.frequency must be hourly, daily, weekly, monthly or a cron expression`,
        'frequency',
      );
    }
    return { crons: [make(frequency, 'frequency')], lastDayFallbackFor: null, timezone };
  }
  const { hour, minute } = parseTime(spec.time);
  switch (frequency) {
    case 'hourly':
      return { crons: [make(`${minute} * * * *`, 'time')], lastDayFallbackFor: null, timezone };
    case 'daily':
      return { crons: [make(`${minute} ${hour} * * *`, 'time')], lastDayFallbackFor: null, timezone };
    case 'weekly': {
      const dow = spec.day_of_week ?? 0;
      if (!Number.isInteger(dow) || dow < 0 || dow > 7)
        throw invalid('schedule.day_of_week must be 0-6 (0 = Sunday)', 'day_of_week');
      return {
        crons: [make(`${minute} ${hour} * * ${dow % 7}`, 'day_of_week')],
        lastDayFallbackFor: null,
        timezone,
      };
    }
    default: {
      const dom = spec.day_of_month ?? 1;
      if (!Number.isInteger(dom) || dom < 1 || dom > 31)
        throw invalid('schedule.day_of_month must be 1-31', 'day_of_month');
      const crons = [make(`${minute} ${hour} ${dom} * *`, 'day_of_month')];
      if (dom > 28) crons.push(make(`${minute} ${hour} L * *`, 'day_of_month'));
      return { crons, lastDayFallbackFor: dom > 28 ? dom : null, timezone };
    }
  }
}

/**
 * The first occurrence strictly after `after`, DST-correct in the schedule's zone (croner: a
 * time that does not exist on a spring-forward day runs once, just after the gap; a time that
 * occurs twice on a fall-back day runs once, at the first). Null when the pattern never runs again
 * or the schedule is disabled.
 *
 * Throws `BackupError('invalid_backup_config')` for an invalid schedule.
 */
export function nextRunAfter(spec: ScheduleSpec, after: Date): Date | null {
  if (spec.enabled === false) return null;
  const compiled = compileSchedule(spec);
  return nextOf(compiled, after);
}

/** The next `count` occurrences after `after` (for previews and tests). */
export function nextRuns(spec: ScheduleSpec, after: Date, count: number): Date[] {
  const compiled = compileSchedule(spec);
  const out: Date[] = [];
  let from = after;
  while (out.length < count) {
    const next = nextOf(compiled, from);
    if (next === null) break;
    out.push(next);
    from = next;
  }
  return out;
}

function nextOf(compiled: CompiledSchedule, after: Date): Date | null {
  let best: Date | null = null;
  compiled.crons.forEach((cron, index) => {
    let from = after;
    // The `L` fallback only stands in for months too short for the configured day.
    for (let guard = 0; guard < 24; guard++) {
      const candidate = cron.nextRun(from);
      if (candidate === null) return;
      if (index === 1 && compiled.lastDayFallbackFor !== null) {
        const day = zonedFields(candidate, compiled.timezone).day;
        if (day >= compiled.lastDayFallbackFor) {
          from = candidate;
          continue;
        }
      }
      if (best === null || candidate < best) best = candidate;
      return;
    }
  });
  return best;
}

/** Occurrences sampled to find a schedule's shortest gap: enough to cover a burst of seconds. */
const INTERVAL_SAMPLE = 64;

/**
 * The shortest gap, in whole seconds, between consecutive occurrences among the next few after
 * `after` (a cron of every second gives 1), or null when it runs at most once more. Presets run
 * at most hourly; a cron expression may fire in bursts, so the gaps are sampled, not assumed.
 *
 * Throws `BackupError('invalid_backup_config')` for an invalid schedule.
 */
export function shortestInterval(spec: ScheduleSpec, after: Date): number | null {
  const runs = nextRuns({ ...spec, enabled: true }, after, INTERVAL_SAMPLE);
  let shortest: number | null = null;
  for (let i = 1; i < runs.length; i++) {
    const gap = Math.round((runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000);
    if (shortest === null || gap < shortest) shortest = gap;
  }
  return shortest;
}
