import { beforeEach, expect, it } from 'vitest';
import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { BackupRecord, JobRecord } from '../catalog/records.js';
import {
  analyticsDataSet,
  iso,
  makeBackup,
  makeJob,
  makeRestore,
  OWNER_A,
  OWNER_B,
  recountAnalytics,
  T0,
} from './catalog-fixtures.js';

const newestFirst = <R extends { created_at: string }>(rows: R[]) =>
  [...rows].sort((x, y) => (x.created_at < y.created_at ? 1 : x.created_at > y.created_at ? -1 : 0));

/**
 * The filters that scope a principal to the jobs it created (`listJobs` `created_by`,
 * `listBackups` and `analytics` `owner`); declared inside `catalogConformance`'s describe block.
 */
export function ownershipCases(current: () => CatalogRepository): void {
  let catalog: CatalogRepository;
  // vitest runs beforeEach hooks in declaration order: the outer one has created the catalog.
  beforeEach(() => {
    catalog = current();
  });

  it('jobs: created_by filter, alone and with status, paged, totals', async () => {
    const base = Date.parse(T0);
    const jobs: JobRecord[] = [];
    for (let i = 0; i < 9; i++) {
      jobs.push(
        makeJob({
          created_by: [OWNER_A, OWNER_B, null][i % 3] as string | null,
          status: i % 4 === 0 ? 'paused' : 'active',
          created_at: iso(base + i * 1000),
        }),
      );
    }
    for (const job of jobs) await catalog.insertJob(job);
    const mine = newestFirst(jobs.filter((j) => j.created_by === OWNER_A));
    expect(await catalog.listJobs({ created_by: OWNER_A, limit: 10, offset: 0 })).toEqual({
      items: mine,
      total: 3,
    });
    expect(await catalog.listJobs({ created_by: OWNER_A, limit: 1, offset: 1 })).toEqual({
      items: mine.slice(1, 2),
      total: 3,
    });
    const paused = mine.filter((j) => j.status === 'paused');
    expect(paused.length).toBeGreaterThan(0);
    expect(await catalog.listJobs({ created_by: OWNER_A, status: 'paused', limit: 10, offset: 0 })).toEqual({
      items: paused,
      total: paused.length,
    });
    expect(await catalog.listJobs({ created_by: 'principal_none', limit: 10, offset: 0 })).toEqual({
      items: [],
      total: 0,
    });
    expect((await catalog.listJobs({ limit: 20, offset: 0 })).total).toBe(9);
  });

  it("backups: owner filter covers the owner's deleted jobs, not others' or row-less jobs; combines", async () => {
    const live = makeJob({ created_by: OWNER_A });
    const deleted = makeJob({ created_by: OWNER_A, status: 'deleted' });
    const other = makeJob({ created_by: OWNER_B });
    const nobody = makeJob({ created_by: null });
    for (const job of [live, deleted, other, nobody]) await catalog.insertJob(job);
    const base = Date.parse('2024-02-01T00:00:00.000Z');
    const jobIds = [live.job_id, deleted.job_id, other.job_id, nobody.job_id, 'job_without_row'];
    const backups: BackupRecord[] = Array.from({ length: 20 }, (_, i) =>
      makeBackup({
        job_id: jobIds[i % jobIds.length] as string,
        status: i % 7 === 0 ? 'failed' : 'completed',
        created_at: iso(base + i * 60_000),
      }),
    );
    for (const backup of backups) await catalog.insertBackup(backup);
    const expectList = async (
      filter: Parameters<CatalogRepository['listBackups']>[0],
      want: BackupRecord[],
    ) => {
      const sorted = newestFirst(want);
      expect(await catalog.listBackups(filter)).toEqual({
        items: sorted.slice(filter.offset, filter.offset + filter.limit),
        total: sorted.length,
      });
    };
    const ofA = backups.filter((b) => b.job_id === live.job_id || b.job_id === deleted.job_id);
    expect(ofA.length).toBe(8);
    await expectList({ owner: OWNER_A, limit: 50, offset: 0 }, ofA);
    await expectList({ owner: OWNER_A, limit: 3, offset: 2 }, ofA);
    await expectList(
      { owner: OWNER_A, status: 'completed', limit: 50, offset: 0 },
      ofA.filter((b) => b.status === 'completed'),
    );
    await expectList(
      { owner: OWNER_A, job_id: deleted.job_id, limit: 50, offset: 0 },
      backups.filter((b) => b.job_id === deleted.job_id),
    );
    // Someone else's job, a job without a row, an unknown owner: nothing, and a zero total.
    await expectList({ owner: OWNER_A, job_id: other.job_id, limit: 50, offset: 0 }, []);
    await expectList({ owner: OWNER_A, job_id: 'job_without_row', limit: 50, offset: 0 }, []);
    await expectList({ owner: 'principal_none', limit: 50, offset: 0 }, []);
    await expectList(
      { owner: OWNER_B, limit: 50, offset: 0 },
      backups.filter((b) => b.job_id === other.job_id),
    );
    await expectList({ limit: 50, offset: 0 }, backups);
  });

  it('analytics: owner filter matches a plain recount; owners partition the jobs they created', async () => {
    const data = analyticsDataSet(3, 160);
    for (const j of data.jobs) await catalog.insertJob(j);
    for (const b of data.backups) await catalog.insertBackup(b);
    for (const e of data.executions)
      await catalog.insertExecution({ ...e, status: e.status === 'queued' ? 'cancelled' : e.status });
    for (const r of data.restores) await catalog.insertRestore(r);
    // A restore of a backup whose job has no row belongs to nobody.
    const orphan = makeRestore({ backup_id: 'backup_without_job', created_at: '2024-03-05T00:00:00.000Z' });
    await catalog.insertRestore(orphan);
    const withOrphan = { ...data, restores: [...data.restores, orphan] };
    const filters = [
      { owner: OWNER_A },
      { owner: OWNER_B },
      { owner: OWNER_A, job_id: 'job_an_3' },
      { owner: OWNER_A, job_id: 'job_an_0' },
      { owner: OWNER_B, date_from: '2024-03-05T00:00:00Z', date_to: '2024-03-12T12:00:00Z' },
      { owner: 'principal_none' },
    ];
    for (const filter of filters)
      expect(await catalog.analytics(filter), JSON.stringify(filter)).toEqual(
        recountAnalytics(withOrphan, filter),
      );

    const a = await catalog.analytics({ owner: OWNER_A });
    const b = await catalog.analytics({ owner: OWNER_B });
    const all = await catalog.analytics({});
    // job_an_3 is deleted: its backups still count for its creator, the job itself does not.
    expect(a.job_breakdown.map((j) => j.job_id).sort()).toEqual(['job_an_1', 'job_an_3']);
    expect(a.overview.total_jobs).toBe(1);
    expect(b.job_breakdown.map((j) => j.job_id).sort()).toEqual(['job_an_0', 'job_an_2', 'job_an_4']);
    expect(b.overview.total_jobs).toBe(3);
    // Only the row-less job's failures (and the orphan restore) belong to neither owner.
    const unknown = all.job_breakdown.find((j) => j.job_id === 'job_an_unknown')?.backups ?? 0;
    expect(unknown).toBeGreaterThan(0);
    expect(a.overview.total_backups + b.overview.total_backups + unknown).toBe(all.overview.total_backups);
    expect(a.overview.total_storage_used + b.overview.total_storage_used).toBe(
      all.overview.total_storage_used,
    );
    expect(a.overview.total_restores + b.overview.total_restores + 1).toBe(all.overview.total_restores);
    expect((await catalog.analytics({ owner: OWNER_A, job_id: 'job_an_0' })).overview.total_backups).toBe(0);
  });
}
