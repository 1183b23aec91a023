import { planRetention, type RetentionCandidate, type RetentionPolicy } from '@backupkit/core';
import { describe, expect, it } from 'vitest';

const DAY = 86_400_000;

/** One completed backup per given ISO time; ids are the times themselves (easy to read in failures). */
function history(times: string[]): RetentionCandidate[] {
  return times.map((t) => ({ backup_id: t, created_at: t, status: 'completed' }));
}

function daily(fromIso: string, toIso: string, hourUtc = '11:00:00'): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${fromIso}T${hourUtc}Z`); t <= Date.parse(`${toIso}T${hourUtc}Z`); t += DAY) {
    out.push(new Date(t).toISOString());
  }
  return out;
}

const iso = (date: string, time = '11:00:00') => new Date(`${date}T${time}Z`).toISOString();
const kept = (plan: ReturnType<typeof planRetention>) => plan.keep.map((d) => d.backup_id).sort();
const NOW = new Date('2100-01-01T00:00:00Z');

interface Case {
  name: string;
  times: string[];
  policy: RetentionPolicy;
  timezone?: string;
  expectKept: string[];
}

const sundays12 = [
  '2019-09-01',
  '2019-09-08',
  '2019-09-15',
  '2019-09-22',
  '2019-09-29',
  '2019-10-06',
  '2019-10-13',
  '2019-10-20',
  '2019-10-27',
  '2019-11-03',
  '2019-11-10',
  '2019-11-17',
].map((d) => iso(d));

const cases: Case[] = [
  {
    // restic docs, "Removing snapshots according to a policy": one backup every Sunday for 12 weeks.
    name: 'restic docs: 12 Sundays, --keep-daily 4 keeps the last four Sundays',
    times: sundays12,
    policy: { days: 4 },
    expectKept: sundays12.slice(8),
  },
  {
    name: '12 Sundays, --keep-weekly 2 --keep-monthly 2: last two weeks plus the newest of Oct',
    times: sundays12,
    policy: { weeks: 2, months: 2 },
    expectKept: [iso('2019-10-27'), iso('2019-11-10'), iso('2019-11-17')],
  },
  {
    name: 'gaps: only days that have a backup count',
    times: ['2024-03-01', '2024-03-02', '2024-03-05', '2024-03-09', '2024-03-10', '2024-03-20'].map((d) =>
      iso(d),
    ),
    policy: { days: 3 },
    expectKept: ['2024-03-09', '2024-03-10', '2024-03-20'].map((d) => iso(d)),
  },
  {
    name: 'several backups per day: the newest of each day is kept',
    times: [
      iso('2024-03-01', '01:00:00'),
      iso('2024-03-01', '13:00:00'),
      iso('2024-03-01', '23:30:00'),
      iso('2024-03-02', '02:00:00'),
      iso('2024-03-02', '14:00:00'),
      iso('2024-03-03', '09:00:00'),
    ],
    policy: { days: 2 },
    expectKept: [iso('2024-03-02', '14:00:00'), iso('2024-03-03', '09:00:00')],
  },
  {
    name: 'a count not spent keeps the oldest backup too (restic "oldest")',
    times: [iso('2024-03-01', '01:00:00'), iso('2024-03-01', '13:00:00'), iso('2024-03-02', '02:00:00')],
    policy: { days: 5 },
    expectKept: [iso('2024-03-01', '01:00:00'), iso('2024-03-01', '13:00:00'), iso('2024-03-02', '02:00:00')],
  },
  {
    name: 'last: the n most recent whatever their day',
    times: [iso('2024-03-01', '01:00:00'), iso('2024-03-01', '13:00:00'), iso('2024-03-01', '14:00:00')],
    policy: { last: 2 },
    expectKept: [iso('2024-03-01', '13:00:00'), iso('2024-03-01', '14:00:00')],
  },
  {
    name: 'timezone: 22:30 in Toronto is the previous UTC day only in UTC',
    // 2024-03-10T03:30Z is 2024-03-09 22:30 in Toronto; 2024-03-10T12:00Z is 2024-03-10 08:00.
    times: [iso('2024-03-08', '12:00:00'), iso('2024-03-10', '03:30:00'), iso('2024-03-10', '12:00:00')],
    policy: { days: 2 },
    timezone: 'America/Toronto',
    expectKept: [iso('2024-03-10', '03:30:00'), iso('2024-03-10', '12:00:00')],
  },
  {
    name: 'timezone UTC: the same history buckets differently',
    times: [iso('2024-03-08', '12:00:00'), iso('2024-03-10', '03:30:00'), iso('2024-03-10', '12:00:00')],
    policy: { days: 2 },
    timezone: 'UTC',
    expectKept: [iso('2024-03-08', '12:00:00'), iso('2024-03-10', '12:00:00')],
  },
  {
    name: 'timezone: Tokyo month boundary (2024-01-31T16:00Z is Feb 1 in Tokyo)',
    times: [iso('2024-01-15', '00:00:00'), iso('2024-01-31', '10:00:00'), iso('2024-01-31', '16:00:00')],
    policy: { months: 2 },
    timezone: 'Asia/Tokyo',
    expectKept: [iso('2024-01-31', '10:00:00'), iso('2024-01-31', '16:00:00')],
  },
  {
    name: 'ISO weeks: 2020-W53 spans the new year (Dec 31 2020 and Jan 3 2021 are one week)',
    times: ['2020-12-27', '2020-12-28', '2020-12-31', '2021-01-03', '2021-01-04'].map((d) => iso(d)),
    policy: { weeks: 2 },
    expectKept: ['2021-01-03', '2021-01-04'].map((d) => iso(d)),
  },
  {
    name: 'unlimited (-1) keeps every bucket',
    times: daily('2024-01-01', '2024-01-10'),
    policy: { days: -1 },
    expectKept: daily('2024-01-01', '2024-01-10'),
  },
  {
    name: 'empty policy deletes nothing',
    times: daily('2024-01-01', '2024-01-05'),
    policy: {},
    expectKept: daily('2024-01-01', '2024-01-05'),
  },
  {
    name: 'all-zero policy is empty too',
    times: daily('2024-01-01', '2024-01-05'),
    policy: { days: 0, weeks: 0, months: 0, years: 0, last: 0 },
    expectKept: daily('2024-01-01', '2024-01-05'),
  },
  {
    name: 'yearly over a multi-year history with a gap year',
    times: [...daily('2019-12-20', '2020-01-05'), ...daily('2022-06-01', '2022-06-03')],
    policy: { years: 3 },
    expectKept: [iso('2019-12-31'), iso('2020-01-05'), iso('2022-06-03')],
  },
];

describe('planRetention: table of histories and policies', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = planRetention(history(c.times), c.policy, { timezone: c.timezone ?? 'UTC', now: NOW });
      expect(kept(plan)).toEqual([...c.expectKept].sort());
      expect(plan.keep.length + plan.forget.length).toBe(c.times.length);
      for (const d of plan.keep) expect(d.reasons.length).toBeGreaterThan(0);
    });
  }
});

describe('planRetention: the restic docs example of 100 years of daily backups', () => {
  it('--keep-daily 7 --keep-weekly 5 --keep-monthly 12 --keep-yearly 75 keeps 7 + 4 + 11 + 74', () => {
    // Ends on Sunday 2024-12-29 so that, as the docs say, the 7 dailies hold exactly one weekly.
    const times = daily('1924-12-30', '2024-12-29');
    expect(times.length).toBeGreaterThan(36_500);
    const plan = planRetention(
      history(times),
      { days: 7, weeks: 5, months: 12, years: 75 },
      { timezone: 'UTC', now: NOW },
    );

    const dailies = daily('2024-12-23', '2024-12-29');
    const weeklies = ['2024-12-29', '2024-12-22', '2024-12-15', '2024-12-08', '2024-12-01'].map((d) =>
      iso(d),
    );
    const monthlies = [iso('2024-12-29')];
    for (let m = 11; m >= 1; m--) monthlies.push(new Date(Date.UTC(2024, m, 0, 11)).toISOString());
    const yearlies = [iso('2024-12-29')];
    for (let y = 2023; y >= 1950; y--) yearlies.push(iso(`${y}-12-31`));
    const expected = new Set([...dailies, ...weeklies, ...monthlies, ...yearlies]);
    expect(expected.size).toBe(7 + 4 + 11 + 74);
    expect(kept(plan)).toEqual([...expected].sort());

    const reasonsOf = (id: string) => plan.keep.find((d) => d.backup_id === id)?.reasons ?? [];
    expect(reasonsOf(iso('2024-12-29'))).toEqual([
      'daily snapshot (2024-12-29)',
      'weekly snapshot (2024-W52)',
      'monthly snapshot (2024-12)',
      'yearly snapshot (2024)',
    ]);
    expect(reasonsOf(iso('1950-12-31'))).toEqual(['yearly snapshot (1950)']);
  });
});

describe('planRetention: invariants', () => {
  it('the newest successful backup survives every policy, random histories', () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const zones = ['UTC', 'America/Toronto', 'Asia/Kolkata', 'Pacific/Auckland'];
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(rand() * 60);
      const start = Date.parse('2021-01-01T00:00:00Z');
      const times = Array.from({ length: n }, () =>
        new Date(start + Math.floor(rand() * 3 * 365 * DAY)).toISOString(),
      );
      const backups = times.map((t, i) => ({
        backup_id: `b${i}`,
        created_at: t,
        status: rand() < 0.15 ? 'failed' : 'completed',
      }));
      const pick = () => (rand() < 0.4 ? 0 : Math.floor(rand() * 5));
      const policy: RetentionPolicy = {
        last: pick(),
        days: pick(),
        weeks: pick(),
        months: pick(),
        years: pick(),
      };
      const now = new Date(start + 2 * 365 * DAY); // some backups lie in the future
      const plan = planRetention(backups, policy, { timezone: zones[round % zones.length] ?? 'UTC', now });

      const successfulPast = backups
        .filter((b) => b.status === 'completed' && Date.parse(b.created_at) <= now.getTime())
        .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
      const keptIds = new Set(plan.keep.map((d) => d.backup_id));
      if (successfulPast[0]) expect(keptIds.has(successfulPast[0].backup_id)).toBe(true);
      for (const b of backups) {
        if (b.status === 'completed' && Date.parse(b.created_at) > now.getTime())
          expect(keptIds.has(b.backup_id)).toBe(true);
        if (b.status !== 'completed') expect(plan.ignored.map((d) => d.backup_id)).toContain(b.backup_id);
      }
      expect(plan.forget.every((d) => !keptIds.has(d.backup_id))).toBe(true);
      expect(plan.keep.length + plan.forget.length + plan.ignored.length).toBe(backups.length);
    }
  });

  it('a backup in the future is kept and says why; failed backups are ignored, never forgotten', () => {
    const backups: RetentionCandidate[] = [
      { backup_id: 'past1', created_at: iso('2024-01-01'), status: 'completed' },
      { backup_id: 'past2', created_at: iso('2024-01-02'), status: 'completed' },
      { backup_id: 'failed', created_at: iso('2024-01-03'), status: 'failed' },
      { backup_id: 'future', created_at: iso('2024-02-01'), status: 'completed' },
    ];
    const plan = planRetention(
      backups,
      { last: 1 },
      { timezone: 'UTC', now: new Date('2024-01-10T00:00:00Z') },
    );
    expect(plan.keep.map((d) => [d.backup_id, d.reasons])).toEqual([
      ['future', ['in the future']],
      ['past2', ['last snapshot (#1)']],
    ]);
    expect(plan.forget.map((d) => d.backup_id)).toEqual(['past1']);
    expect(plan.ignored.map((d) => d.backup_id)).toEqual(['failed']);
  });

  it('rejects a bad policy and an unknown time zone with invalid_backup_config', () => {
    expect(() => planRetention([], { days: 1.5 }, { timezone: 'UTC', now: NOW })).toThrow(
      expect.objectContaining({ code: 'invalid_backup_config' }),
    );
    expect(() =>
      planRetention(history([iso('2024-01-01')]), { days: 1 }, { timezone: 'Mars/Olympus', now: NOW }),
    ).toThrow(expect.objectContaining({ code: 'invalid_backup_config' }));
  });
});
