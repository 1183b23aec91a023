import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogRepository } from '../catalog/catalog-repository.js';
import { atomicAndAnalyticsCases, expectCode } from './catalog-conformance-atomic.js';
import { ownershipCases } from './catalog-conformance-ownership.js';
import {
  iso,
  makeAudit,
  makeBackup,
  makeExecution,
  makeJob,
  makeRestore,
  makeSchedule,
  makeVerification,
  T0,
} from './catalog-fixtures.js';

// Record factories for other suites (services, adapters) that need realistic catalog rows.
export {
  fixtureId,
  makeAudit,
  makeBackup,
  makeExecution,
  makeJob,
  makeRestore,
  makeSchedule,
  makeVerification,
} from './catalog-fixtures.js';

export interface CatalogConformanceOptions {
  /** Shown in the describe block, e.g. `sqlite`. */
  name: string;
  /** A fresh, empty catalog (the suite calls `init()` itself). Called once per test. */
  create: () => Promise<CatalogRepository>;
  /** Runs after each test, after the catalog was closed. */
  cleanup?: () => Promise<void>;
}

/**
 * The behaviour every `CatalogRepository` must have, as vitest blocks. Call it at the top level
 * of a test file: `catalogConformance({ name: 'sqlite', create: async () => createSqliteCatalog(...) })`.
 */
export function catalogConformance(options: CatalogConformanceOptions): void {
  describe(`CatalogRepository conformance: ${options.name}`, () => {
    let catalog: CatalogRepository;
    beforeEach(async () => {
      catalog = await options.create();
      await catalog.init();
    });
    afterEach(async () => {
      await catalog.close();
      await options.cleanup?.();
    });

    it('init() is idempotent and keeps data', async () => {
      const job = makeJob();
      await catalog.insertJob(job);
      await catalog.init();
      await catalog.init();
      expect(await catalog.getJob(job.job_id)).toEqual(job);
    });

    it('jobs: round trip, duplicates, patch, not_found, list filters and totals', async () => {
      const job = makeJob({
        description: 'línea "quoted" \\ back\nslash',
        last_run: '2024-01-15T02:00:00.000Z',
      });
      await catalog.insertJob(job);
      expect(await catalog.getJob(job.job_id)).toEqual(job);
      expect(await catalog.getJob('job_missing')).toBeNull();
      await expectCode(catalog.insertJob(job), 'conflict');

      const updated = await catalog.updateJob(job.job_id, {
        status: 'paused',
        retention: { keep_daily: 7 },
        next_run: null,
      });
      expect(updated).toEqual({ ...job, status: 'paused', retention: { keep_daily: 7 }, next_run: null });
      expect(await catalog.getJob(job.job_id)).toEqual(updated);
      await expectCode(catalog.updateJob('job_missing', { status: 'paused' }), 'not_found');

      for (let i = 0; i < 5; i++)
        await catalog.insertJob(makeJob({ created_at: iso(Date.parse(T0) + (i + 1) * 1000) }));
      const all = await catalog.listJobs({ limit: 3, offset: 0 });
      expect(all.total).toBe(6);
      expect(all.items).toHaveLength(3);
      expect(all.items.map((j) => j.created_at)).toEqual(
        [...all.items.map((j) => j.created_at)].sort().reverse(),
      );
      const rest = await catalog.listJobs({ limit: 10, offset: 3 });
      expect(rest.items).toHaveLength(3);
      expect(rest.items.at(-1)?.job_id).toBe(job.job_id);
      const paused = await catalog.listJobs({ status: 'paused', limit: 10, offset: 0 });
      expect(paused).toEqual({ items: [updated], total: 1 });
    });

    it('schedules: upsert replaces, due listing, delete, compare-and-set claims', async () => {
      const s = makeSchedule();
      await catalog.upsertSchedule(s);
      expect(await catalog.getSchedule(s.job_id)).toEqual(s);
      const replaced = { ...s, frequency: 'monthly', day_of_month: 31, day_of_week: null, enabled: false };
      await catalog.upsertSchedule(replaced);
      expect(await catalog.getSchedule(s.job_id)).toEqual(replaced);
      await catalog.upsertSchedule({ ...replaced, enabled: true });

      const later = makeSchedule({ next_execution: '2024-01-18T00:00:00.000Z' });
      const disabled = makeSchedule({ enabled: false, next_execution: '2024-01-01T00:00:00.000Z' });
      const never = makeSchedule({ next_execution: null });
      for (const x of [later, disabled, never]) await catalog.upsertSchedule(x);
      const due = await catalog.listDueSchedules('2024-01-17T07:30:00.000Z');
      expect(due.map((d) => d.job_id)).toEqual([s.job_id]);
      expect((await catalog.listDueSchedules('2024-01-19T00:00:00Z')).map((d) => d.job_id)).toEqual([
        s.job_id,
        later.job_id,
      ]);

      const next = '2024-01-24T07:30:00.000Z';
      const now = '2024-01-17T07:30:01.000Z';
      expect(await catalog.claimScheduleOccurrence(s.job_id, '2024-01-10T07:30:00.000Z', next, now)).toBe(
        false,
      );
      expect(await catalog.claimScheduleOccurrence(s.job_id, s.next_execution as string, next, now)).toBe(
        true,
      );
      expect(await catalog.claimScheduleOccurrence(s.job_id, s.next_execution as string, next, now)).toBe(
        false,
      );
      const claimed = await catalog.getSchedule(s.job_id);
      expect(claimed?.next_execution).toBe(next);
      expect(claimed?.last_executed).toBe(now);
      expect(
        await catalog.claimScheduleOccurrence(disabled.job_id, disabled.next_execution as string, next, now),
      ).toBe(false);
      expect(await catalog.claimScheduleOccurrence('job_missing', next, null, now)).toBe(false);

      await catalog.deleteSchedule(s.job_id);
      expect(await catalog.getSchedule(s.job_id)).toBeNull();
      await catalog.deleteSchedule(s.job_id);
    });

    it('executions: round trip, one active per job, listing, patch, not_found', async () => {
      const jobId = 'job_exec_a';
      const first = makeExecution({ job_id: jobId, error: { code: 'x', message: 'ü', details: { a: [1] } } });
      await catalog.insertExecution(first);
      expect(await catalog.getExecution(first.execution_id)).toEqual(first);
      expect(await catalog.getExecution('exec_missing')).toBeNull();
      await expectCode(
        catalog.insertExecution(makeExecution({ job_id: jobId, status: 'running' })),
        'execution_in_progress',
      );
      // Terminal executions do not block.
      await catalog.insertExecution(
        makeExecution({ job_id: jobId, status: 'failed', created_at: '2024-01-14T00:00:00.000Z' }),
      );

      const done = await catalog.updateExecution(first.execution_id, {
        status: 'completed',
        progress: 100,
        completed_at: '2024-01-15T15:00:00Z',
        error: null,
      });
      expect(done).toMatchObject({
        status: 'completed',
        progress: 100,
        completed_at: '2024-01-15T15:00:00.000Z',
        error: null,
      });
      const second = makeExecution({
        job_id: jobId,
        created_at: '2024-01-16T00:00:00.000Z',
        trigger: 'schedule',
        scheduled_for: '2024-01-16T00:00:00.000Z',
      });
      await catalog.insertExecution(second);
      expect(await catalog.latestExecution(jobId)).toEqual(second);
      const failedOne = (
        await catalog.listExecutions({ job_id: jobId, status: ['failed'], limit: 1, offset: 0 })
      ).items[0];
      await expectCode(
        catalog.updateExecution(failedOne?.execution_id as string, { status: 'running' }),
        'execution_in_progress',
      );
      await catalog.updateExecution(second.execution_id, { status: 'completed' });
      // One execution per scheduled occurrence, whatever its status.
      await expectCode(
        catalog.insertExecution(makeExecution({ job_id: jobId, scheduled_for: second.scheduled_for })),
        'conflict',
      );
      await catalog.updateExecution(second.execution_id, { status: 'queued' });
      expect(await catalog.latestExecution('job_none')).toBeNull();
      await expectCode(catalog.updateExecution('exec_missing', { progress: 1 }), 'not_found');

      await catalog.insertExecution(makeExecution({ job_id: 'job_exec_b' }));
      const mine = await catalog.listExecutions({ job_id: jobId, limit: 2, offset: 0 });
      expect(mine.total).toBe(3);
      expect(mine.items.map((e) => e.execution_id)).toEqual([second.execution_id, first.execution_id]);
      const active = await catalog.listExecutions({ status: ['queued', 'running'], limit: 10, offset: 0 });
      expect(active.total).toBe(2);
      expect((await catalog.listExecutions({ status: ['failed'], limit: 10, offset: 0 })).total).toBe(1);
    });

    it('executions: claims follow priority then age; expired leases are listed', async () => {
      const base = Date.parse(T0);
      const specs = [
        { priority: 0, at: 0 },
        { priority: 5, at: 3 },
        { priority: 5, at: 1 },
        { priority: -1, at: 0 },
        { priority: 0, at: 2 },
      ];
      const made = specs.map((p, i) =>
        makeExecution({
          job_id: `job_claim_${i}`,
          priority: p.priority,
          created_at: iso(base + p.at * 1000),
        }),
      );
      for (const e of made) await catalog.insertExecution(e);
      await catalog.insertExecution(
        makeExecution({ job_id: 'job_claim_done', status: 'completed', priority: 99 }),
      );
      const order: string[] = [];
      for (let i = 0; i < made.length; i++) {
        const claimed = await catalog.claimQueuedExecution(
          `worker_${i}`,
          iso(base + 60_000 * (i + 1)),
          iso(base + 10_000),
        );
        expect(claimed).toMatchObject({
          status: 'running',
          owner: `worker_${i}`,
          lease_expires_at: iso(base + 60_000 * (i + 1)),
        });
        expect(claimed?.started_at).toBe(iso(base + 10_000));
        order.push(claimed?.execution_id as string);
      }
      expect(order).toEqual([2, 1, 0, 4, 3].map((i) => (made[i] as { execution_id: string }).execution_id));
      expect(await catalog.claimQueuedExecution('w', iso(base), iso(base))).toBeNull();

      const expired = await catalog.listExpiredLeases(iso(base + 150_000));
      expect(expired.map((e) => e.execution_id)).toEqual([order[0], order[1]]);
      expect(await catalog.listExpiredLeases(iso(base))).toEqual([]);
    });

    it('backups: round trip, patch, not_found, filters, paging, totals, newest first', async () => {
      const b = makeBackup({ metadata: { emoji: '🦀', deep: { list: [1, 'two', null, { three: 3 }] } } });
      await catalog.insertBackup(b);
      expect(await catalog.getBackup(b.backup_id)).toEqual(b);
      expect(await catalog.getBackup('backup_missing')).toBeNull();
      await expectCode(catalog.insertBackup(b), 'conflict');
      const patched = await catalog.updateBackup(b.backup_id, {
        verified_at: '2024-01-16T00:00:00.000Z',
        verification_status: 'passed',
      });
      expect(patched).toEqual({
        ...b,
        verified_at: '2024-01-16T00:00:00.000Z',
        verification_status: 'passed',
      });
      await expectCode(catalog.updateBackup('backup_missing', { status: 'deleted' }), 'not_found');
      await catalog.updateBackup(b.backup_id, { status: 'deleted' });

      const base = Date.parse('2024-02-01T00:00:00.000Z');
      const rows = Array.from({ length: 25 }, (_, i) =>
        makeBackup({
          job_id: i % 2 ? 'job_list_a' : 'job_list_b',
          backup_type: i % 3 === 0 ? 'full' : 'incremental',
          status: i % 5 === 0 ? 'failed' : 'completed',
          created_at: iso(base + i * 3_600_000),
        }),
      );
      for (const r of rows) await catalog.insertBackup(r);
      const expectList = async (
        filter: Parameters<CatalogRepository['listBackups']>[0],
        want: typeof rows,
      ) => {
        const sorted = [...want].sort((x, y) => (x.created_at < y.created_at ? 1 : -1));
        const got = await catalog.listBackups(filter);
        expect(got.total).toBe(sorted.length);
        expect(got.items).toEqual(sorted.slice(filter.offset, filter.offset + filter.limit));
      };
      const everything = [...rows, { ...patched, status: 'deleted' as const }];
      await expectList({ limit: 10, offset: 0 }, everything);
      await expectList(
        { limit: 4, offset: 3, job_id: 'job_list_a' },
        rows.filter((r) => r.job_id === 'job_list_a'),
      );
      await expectList(
        { limit: 50, offset: 0, backup_type: 'full', status: 'completed' },
        rows.filter((r) => r.backup_type === 'full' && r.status === 'completed'),
      );
      await expectList(
        { limit: 50, offset: 0, date_from: iso(base + 5 * 3_600_000), date_to: '2024-02-01T10:00:00Z' },
        rows.slice(5, 11),
      );
      await expectList({ limit: 5, offset: 100 }, everything);
    });

    it('restores and verifications: round trip, latest, patch, not_found', async () => {
      const r = makeRestore();
      await catalog.insertRestore(r);
      expect(await catalog.getRestore(r.restore_id)).toEqual(r);
      expect(await catalog.getRestore('restore_missing')).toBeNull();
      const done = await catalog.updateRestore(r.restore_id, {
        status: 'completed',
        progress: 100,
        result: { tables: 3, rows: 12_345 },
      });
      expect(done).toEqual({ ...r, status: 'completed', progress: 100, result: { tables: 3, rows: 12_345 } });
      await expectCode(catalog.updateRestore('restore_missing', { progress: 1 }), 'not_found');

      const older = makeVerification({ backup_id: 'backup_v', created_at: '2024-01-01T00:00:00.000Z' });
      const newer = makeVerification({
        backup_id: 'backup_v',
        error: 'checksum mismatch — ß',
        test_restore_options: null,
      });
      await catalog.insertVerification(older);
      await catalog.insertVerification(newer);
      expect(await catalog.getVerification(older.verification_id)).toEqual(older);
      expect(await catalog.latestVerification('backup_v')).toEqual(newer);
      expect(await catalog.latestVerification('backup_none')).toBeNull();
      expect(await catalog.getVerification('verify_missing')).toBeNull();
      const passed = await catalog.updateVerification(older.verification_id, {
        status: 'passed',
        integrity_check: true,
        result: { ok: true },
      });
      expect(passed).toEqual({ ...older, status: 'passed', integrity_check: true, result: { ok: true } });
      await expectCode(catalog.updateVerification('verify_missing', { progress: 1 }), 'not_found');
    });

    it('audit: append, filters, newest first, totals', async () => {
      const base = Date.parse(T0);
      const entries = Array.from({ length: 12 }, (_, i) =>
        makeAudit({
          at: iso(base + i * 1000),
          principal: i % 3 ? 'admin_1' : null,
          action: i % 2 ? 'job.create' : 'backup.restore',
          outcome: i === 4 ? 'denied' : 'success',
        }),
      );
      for (const e of entries) await catalog.appendAudit(e);
      const page = await catalog.listAudit({ limit: 5, offset: 0 });
      expect(page.total).toBe(12);
      expect(page.items).toEqual(entries.slice(-5).reverse());
      const filtered = await catalog.listAudit({
        principal: 'admin_1',
        action: 'job.create',
        limit: 50,
        offset: 0,
      });
      expect(filtered.items).toEqual(
        entries.filter((e) => e.principal === 'admin_1' && e.action === 'job.create').reverse(),
      );
      expect(filtered.total).toBe(filtered.items.length);
    });

    atomicAndAnalyticsCases(() => catalog);
    ownershipCases(() => catalog);
  });
}
