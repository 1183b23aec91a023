import { nextRunAfter, nextRuns, zonedFields } from '@backupkit/core';
import { describe, expect, it } from 'vitest';

const TORONTO = 'America/Toronto';
const localDay = (d: Date, tz: string) => {
  const f = zonedFields(d, tz);
  return `${f.year}-${String(f.month).padStart(2, '0')}-${String(f.day).padStart(2, '0')}`;
};
const runsOnLocalDay = (times: Date[], day: string, tz: string) =>
  times.filter((t) => localDay(t, tz) === day);

describe('nextRunAfter: DST in America/Toronto', () => {
  for (const time of ['02:30', '01:30', '02:00', '03:00']) {
    it(`daily ${time} runs exactly once on the spring-forward day (2024-03-10)`, () => {
      const runs = nextRuns(
        { frequency: 'daily', time, timezone: TORONTO },
        new Date('2024-03-08T12:00:00Z'),
        5,
      );
      expect(runsOnLocalDay(runs, '2024-03-10', TORONTO)).toHaveLength(1);
      for (const day of ['2024-03-09', '2024-03-11', '2024-03-12'])
        expect(runsOnLocalDay(runs, day, TORONTO)).toHaveLength(1);
    });
    it(`daily ${time} runs exactly once on the fall-back day (2024-11-03)`, () => {
      const runs = nextRuns(
        { frequency: 'daily', time, timezone: TORONTO },
        new Date('2024-11-01T12:00:00Z'),
        5,
      );
      expect(runsOnLocalDay(runs, '2024-11-03', TORONTO)).toHaveLength(1);
      for (const day of ['2024-11-02', '2024-11-04', '2024-11-05'])
        expect(runsOnLocalDay(runs, day, TORONTO)).toHaveLength(1);
    });
  }

  it('02:30 on the spring-forward day runs just after the gap, at 03:00 EDT', () => {
    const next = nextRunAfter(
      { frequency: 'daily', time: '02:30', timezone: TORONTO },
      new Date('2024-03-10T05:00:00Z'),
    );
    expect(next?.toISOString()).toBe('2024-03-10T07:00:00.000Z');
  });

  it('01:30 on the fall-back day runs at the first 01:30 (EDT), not again an hour later', () => {
    const spec = { frequency: 'daily', time: '01:30', timezone: TORONTO };
    const first = nextRunAfter(spec, new Date('2024-11-03T04:00:00Z'));
    expect(first?.toISOString()).toBe('2024-11-03T05:30:00.000Z');
    const second = first ? nextRunAfter(spec, first) : null;
    expect(second?.toISOString()).toBe('2024-11-04T06:30:00.000Z');
  });

  it('daily 02:00 Toronto created 2024-01-15T12:30Z → next_run 2024-01-16T07:00Z', () => {
    const next = nextRunAfter(
      { frequency: 'daily', time: '02:00', timezone: TORONTO },
      new Date('2024-01-15T12:30:00Z'),
    );
    expect(next?.toISOString()).toBe('2024-01-16T07:00:00.000Z');
  });
});

describe('nextRunAfter: frequencies', () => {
  it('hourly uses the minute of time', () => {
    const runs = nextRuns(
      { frequency: 'hourly', time: '00:15', timezone: 'UTC' },
      new Date('2024-01-01T10:20:00Z'),
      3,
    );
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2024-01-01T11:15:00.000Z',
      '2024-01-01T12:15:00.000Z',
      '2024-01-01T13:15:00.000Z',
    ]);
  });

  it('weekly on day_of_week (0 = Sunday, 7 = Sunday too)', () => {
    const at = new Date('2024-01-03T00:00:00Z'); // a Wednesday
    expect(
      nextRunAfter(
        { frequency: 'weekly', day_of_week: 1, time: '04:00', timezone: 'UTC' },
        at,
      )?.toISOString(),
    ).toBe('2024-01-08T04:00:00.000Z');
    expect(
      nextRunAfter(
        { frequency: 'weekly', day_of_week: 7, time: '04:00', timezone: 'UTC' },
        at,
      )?.toISOString(),
    ).toBe('2024-01-07T04:00:00.000Z');
  });

  it('monthly on day 31 runs on the last day of shorter months', () => {
    const runs = nextRuns(
      { frequency: 'monthly', day_of_month: 31, time: '02:00', timezone: 'UTC' },
      new Date('2024-01-01T00:00:00Z'),
      5,
    );
    expect(runs.map((d) => d.toISOString().slice(0, 10))).toEqual([
      '2024-01-31',
      '2024-02-29',
      '2024-03-31',
      '2024-04-30',
      '2024-05-31',
    ]);
  });

  it('monthly on day 30 runs once in February (its last day) and on the 30th otherwise', () => {
    const runs = nextRuns(
      { frequency: 'monthly', day_of_month: 30, time: '02:00', timezone: 'UTC' },
      new Date('2025-01-01T00:00:00Z'),
      4,
    );
    expect(runs.map((d) => d.toISOString().slice(0, 10))).toEqual([
      '2025-01-30',
      '2025-02-28',
      '2025-03-30',
      '2025-04-30',
    ]);
  });

  it('a cron expression, read in the zone', () => {
    const runs = nextRuns(
      { frequency: '0 */6 * * 1-5', timezone: 'Europe/Paris' },
      new Date('2024-01-05T20:00:00Z'),
      3,
    );
    // Friday 2024-01-05 21:00Z = 22:00 Paris; next weekday slots are Monday 00:00, 06:00, 12:00 Paris.
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2024-01-07T23:00:00.000Z',
      '2024-01-08T05:00:00.000Z',
      '2024-01-08T11:00:00.000Z',
    ]);
  });

  it('a disabled schedule has no next run', () => {
    expect(nextRunAfter({ frequency: 'daily', enabled: false }, new Date())).toBeNull();
  });

  it('rejects bad input with invalid_backup_config naming the field', () => {
    const bad = [
      [{ frequency: 'fortnightly' }, 'schedule.frequency'],
      [{ frequency: '61 * * * *' }, 'schedule.frequency'],
      [{ frequency: 'daily', time: '25:00' }, 'schedule.time'],
      [{ frequency: 'daily', time: '2:00' }, 'schedule.time'],
      [{ frequency: 'weekly', day_of_week: 9 }, 'schedule.day_of_week'],
      [{ frequency: 'monthly', day_of_month: 0 }, 'schedule.day_of_month'],
      [{ frequency: 'daily', timezone: 'Mars/Olympus' }, 'schedule.timezone'],
    ] as const;
    for (const [spec, field] of bad) {
      expect(() => nextRunAfter(spec, new Date('2024-01-01T00:00:00Z'))).toThrow(
        expect.objectContaining({ code: 'invalid_backup_config', details: { field } }),
      );
    }
  });
});
