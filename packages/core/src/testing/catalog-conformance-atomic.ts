import { isBackupError } from '@backupkit/core';
import { beforeEach, expect, it } from 'vitest';
import type { CatalogRepository } from '../catalog/catalog-repository.js';
import {
  analyticsDataSet,
  iso,
  makeExecution,
  makeSchedule,
  recountAnalytics,
  T0,
} from './catalog-fixtures.js';

/** Expects `promise` to reject with a BackupError of `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isBackupError(error) ? error.code : error).toBe(code);
}

/**
 * The operations several instances race on (rate counters, execution slots, schedule and queue
 * claims) and the analytics aggregates; declared inside `catalogConformance`'s describe block.
 */
export function atomicAndAnalyticsCases(current: () => CatalogRepository): void {
  let catalog: CatalogRepository;
  // vitest runs beforeEach hooks in declaration order: the outer one has created the catalog.
  beforeEach(() => {
    catalog = current();
  });

  it('rate counters: count per key and window, new windows restart', async () => {
    const w1 = '2024-01-15T14:30:00.000Z';
    const w2 = '2024-01-15T14:31:00.000Z';
    expect(await catalog.incrementRateCounter('admin_1:create', w1)).toBe(1);
    expect(await catalog.incrementRateCounter('admin_1:create', w1)).toBe(2);
    expect(await catalog.incrementRateCounter('admin_2:create', w1)).toBe(1);
    expect(await catalog.incrementRateCounter('admin_1:create', w1)).toBe(3);
    expect(await catalog.incrementRateCounter('admin_1:create', w2)).toBe(1);
    const counts = await Promise.all(
      Array.from({ length: 20 }, () => catalog.incrementRateCounter('admin_3:list', w2)),
    );
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('concurrency: 20 parallel insertExecution for one job, exactly one wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => catalog.insertExecution(makeExecution({ job_id: 'job_race' }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(isBackupError(r.reason, 'execution_in_progress')).toBe(true);
    expect((await catalog.listExecutions({ job_id: 'job_race', limit: 50, offset: 0 })).total).toBe(1);
  });

  it('concurrency: 20 parallel claims of one schedule occurrence, exactly one wins', async () => {
    const s = makeSchedule();
    await catalog.upsertSchedule(s);
    const wins = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        catalog.claimScheduleOccurrence(
          s.job_id,
          s.next_execution as string,
          iso(Date.parse(T0) + (i + 1) * 86_400_000),
          T0,
        ),
      ),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('concurrency: 10 workers claim 30 queued executions, each exactly once', async () => {
    const made = Array.from({ length: 30 }, (_, i) =>
      makeExecution({ job_id: `job_q_${i}`, priority: i % 4, created_at: iso(Date.parse(T0) + i) }),
    );
    for (const e of made) await catalog.insertExecution(e);
    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (;;) {
          const e = await catalog.claimQueuedExecution(`worker_${w}`, '2030-01-01T00:00:00.000Z', T0);
          if (!e) return;
          expect(e.owner).toBe(`worker_${w}`);
          claimed.push(e.execution_id);
        }
      }),
    );
    expect(claimed).toHaveLength(30);
    expect(new Set(claimed)).toEqual(new Set(made.map((e) => e.execution_id)));
    const running = await catalog.listExecutions({ status: ['running'], limit: 100, offset: 0 });
    expect(running.total).toBe(30);
  });

  it('analytics: empty catalog gives zeros', async () => {
    const a = await catalog.analytics({});
    expect(a.overview).toEqual({
      total_jobs: 0,
      active_jobs: 0,
      total_backups: 0,
      successful_backups: 0,
      failed_backups: 0,
      total_restores: 0,
      successful_restores: 0,
      failed_restores: 0,
      total_storage_used: 0,
      average_backup_size: 0,
    });
    expect([a.job_breakdown, a.backup_types, a.storage_breakdown, a.time_series]).toEqual([[], [], [], []]);
  });

  it('analytics: matches a plain recount of a few hundred rows, with every filter', async () => {
    const data = analyticsDataSet();
    for (const j of data.jobs) await catalog.insertJob(j);
    for (const b of data.backups) await catalog.insertBackup(b);
    for (const e of data.executions)
      await catalog.insertExecution({ ...e, status: e.status === 'queued' ? 'cancelled' : e.status });
    for (const r of data.restores) await catalog.insertRestore(r);
    const filters = [
      {},
      { job_id: 'job_an_1' },
      { job_id: 'job_an_unknown' },
      { date_from: '2024-03-05T00:00:00Z', date_to: '2024-03-12T12:00:00Z' },
      { job_id: 'job_an_3', date_from: '2024-03-10T00:00:00.000Z' },
      { date_to: '2024-03-02T23:59:59.999Z' },
    ];
    for (const filter of filters)
      expect(await catalog.analytics(filter)).toEqual(recountAnalytics(data, filter));
    // new_bytes is a sum of successful backups only: failed executions add nothing, and each
    // job's new bytes are a real share of its stored bytes (the data set varies that share).
    const unknown = (await catalog.analytics({ job_id: 'job_an_unknown' })).job_breakdown;
    expect(unknown.map((j) => [j.successful, j.new_bytes])).toEqual([[0, 0]]);
    for (const job of (await catalog.analytics({})).job_breakdown.filter((j) => j.successful > 0)) {
      expect(job.new_bytes).toBeGreaterThan(0);
      expect(job.new_bytes).toBeLessThan(job.total_size);
    }
    await expectCode(catalog.analytics({ date_from: 'not a date' }), 'validation_failed');
  });
}
