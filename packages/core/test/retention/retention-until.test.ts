import { retentionUntil } from '@backupkit/core';
import { describe, expect, it } from 'vitest';

describe('retentionUntil', () => {
  it('days 30 → 30 days later at the same wall time', () => {
    const until = retentionUntil(new Date('2024-01-15T12:32:00Z'), { days: 30 }, { timezone: 'UTC' });
    expect(until?.toISOString()).toBe('2024-02-14T12:32:00.000Z');
  });

  it('keeps local wall time across a DST change (Toronto, 02:00 local daily)', () => {
    // 2024-03-01 02:00 EST = 07:00Z; 30 days later is 2024-03-31 02:00 EDT = 06:00Z.
    const until = retentionUntil(
      new Date('2024-03-01T07:00:00Z'),
      { days: 30 },
      { timezone: 'America/Toronto' },
    );
    expect(until?.toISOString()).toBe('2024-03-31T06:00:00.000Z');
  });

  it('a daily job: a mid-week backup lives for the days count, the week’s last for the weeks count', () => {
    const policy = { days: 7, weeks: 4, months: 0 };
    const wednesday = new Date('2024-03-06T02:00:00Z');
    const sunday = new Date('2024-03-10T02:00:00Z');
    expect(
      retentionUntil(wednesday, policy, { timezone: 'UTC', nextBackupAt: new Date('2024-03-07T02:00:00Z') }),
    ).toEqual(new Date('2024-03-13T02:00:00Z'));
    expect(
      retentionUntil(sunday, policy, { timezone: 'UTC', nextBackupAt: new Date('2024-03-11T02:00:00Z') }),
    ).toEqual(new Date('2024-04-07T02:00:00Z'));
  });

  it('months clamp to the end of shorter months; years count calendar years', () => {
    expect(retentionUntil(new Date('2024-01-31T10:00:00Z'), { months: 1 }, { timezone: 'UTC' })).toEqual(
      new Date('2024-02-29T10:00:00Z'),
    );
    expect(retentionUntil(new Date('2024-12-31T10:00:00Z'), { years: 7 }, { timezone: 'UTC' })).toEqual(
      new Date('2031-12-31T10:00:00Z'),
    );
  });

  it('null when nothing expires it: empty policy or an unlimited field', () => {
    expect(retentionUntil(new Date('2024-01-01T00:00:00Z'), {}, { timezone: 'UTC' })).toBeNull();
    expect(retentionUntil(new Date('2024-01-01T00:00:00Z'), { days: -1 }, { timezone: 'UTC' })).toBeNull();
  });

  it('superseded in every bucket by the next run: expires at that run', () => {
    const next = new Date('2024-01-01T02:00:00Z');
    expect(
      retentionUntil(new Date('2024-01-01T01:00:00Z'), { days: 3 }, { timezone: 'UTC', nextBackupAt: next }),
    ).toEqual(next);
  });

  it('last n with a schedule: n intervals later', () => {
    const at = new Date('2024-01-01T00:00:00Z');
    const next = new Date('2024-01-01T06:00:00Z');
    expect(retentionUntil(at, { last: 4 }, { timezone: 'UTC', nextBackupAt: next })).toEqual(
      new Date('2024-01-02T00:00:00Z'),
    );
  });
});
