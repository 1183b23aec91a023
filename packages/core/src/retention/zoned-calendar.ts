import { BackupError } from '../errors.js';

/** Wall-clock fields of an instant in one IANA time zone. */
export interface ZonedFields {
  year: number;
  /** 1-12 */
  month: number;
  /** 1-31 */
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        hourCycle: 'h23',
      });
    } catch (cause) {
      throw new BackupError('invalid_backup_config', `Unknown time zone: ${timezone}`, {
        cause,
        details: { field: 'timezone', value: timezone },
      });
    }
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/**
 * Throws `BackupError('invalid_backup_config')` unless `timezone` is an IANA zone this runtime knows.
 */
export function assertTimeZone(timezone: string): void {
  formatterFor(timezone);
}

/** The wall-clock reading of `instant` in `timezone`. Throws `invalid_backup_config` for an unknown zone. */
export function zonedFields(instant: Date, timezone: string): ZonedFields {
  if (timezone === 'UTC' || timezone === 'Etc/UTC') {
    // Fast path: long histories are bucketed in UTC often enough to matter.
    return {
      year: instant.getUTCFullYear(),
      month: instant.getUTCMonth() + 1,
      day: instant.getUTCDate(),
      hour: instant.getUTCHours(),
      minute: instant.getUTCMinutes(),
      second: instant.getUTCSeconds(),
    };
  }
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year ?? 0,
    month: fields.month ?? 1,
    day: fields.day ?? 1,
    hour: fields.hour ?? 0,
    minute: fields.minute ?? 0,
    second: fields.second ?? 0,
  };
}

/** ISO-8601 week of a calendar date: weeks run Monday to Sunday; week 1 holds the year's first Thursday. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
  // The Thursday of this week decides which year the week belongs to.
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const weekYear = date.getUTCFullYear();
  const dayOfYear = Math.floor((date.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000) + 1;
  return { year: weekYear, week: Math.ceil(dayOfYear / 7) };
}

function offsetMs(instantMs: number, timezone: string): number {
  const f = zonedFields(new Date(instantMs), timezone);
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `timezone` shows these fields (month and day may
 * overflow, as with `Date.UTC`). In a spring-forward gap the later offset is used, so the result
 * lands just after the gap; in a fall-back overlap the first occurrence is returned.
 */
export function zonedToInstant(fields: ZonedFields, timezone: string): Date {
  const wall = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
  const first = wall - offsetMs(wall, timezone);
  const second = wall - offsetMs(first, timezone);
  // Two candidate offsets around a transition: prefer the earlier instant that reads back right.
  const candidates = [Math.min(first, second), Math.max(first, second)];
  for (const candidate of candidates) {
    const back = zonedFields(new Date(candidate), timezone);
    if (Date.UTC(back.year, back.month - 1, back.day, back.hour, back.minute, back.second) === wall) {
      return new Date(candidate);
    }
  }
  return new Date(Math.max(first, second));
}
