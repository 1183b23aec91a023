import { createPostgresCatalog, isBackupError, type PostgresCatalog } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../test-support/postgres.js';
import { makeExecution, makeSchedule, T0 } from '../../src/testing/catalog-fixtures.js';

// Several service instances share one catalog database: each has its own pool, nothing in-process is shared.
describe('PostgresCatalog: instances sharing one database', () => {
  let db: TempDatabase;
  let instances: PostgresCatalog[];

  beforeAll(async () => {
    db = await createTempDatabase('bk_catalog_multi');
    instances = Array.from({ length: 4 }, () =>
      createPostgresCatalog({ connectionString: db.url, schema: 'backupkit', maxConnections: 6 }),
    );
    // Started together: the advisory lock serialises the migrations.
    await Promise.all(instances.map((c) => c.init()));
  });
  afterAll(async () => {
    await Promise.all(instances.map((c) => c.close()));
    await db.drop();
  });

  it('applied each migration exactly once', async () => {
    const rows = await withClient(
      db.url,
      async (c) => (await c.query('SELECT version, name FROM backupkit.backupkit_migrations')).rows,
    );
    expect(rows).toEqual([
      { version: 1, name: 'initial' },
      { version: 2, name: 'jobs_created_by' },
      { version: 3, name: 'restore_estimated_completion' },
    ]);
    await Promise.all(instances.map((c) => c.init()));
  });

  it('one execution per job wins across instances', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) =>
        (instances[i % 4] as PostgresCatalog).insertExecution(makeExecution({ job_id: 'job_multi' })),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(isBackupError(r.reason, 'execution_in_progress')).toBe(true);
  });

  it('one instance claims a schedule occurrence', async () => {
    const s = makeSchedule();
    await (instances[0] as PostgresCatalog).upsertSchedule(s);
    const wins = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        (instances[i % 4] as PostgresCatalog).claimScheduleOccurrence(
          s.job_id,
          s.next_execution as string,
          '2024-02-01T00:00:00.000Z',
          T0,
        ),
      ),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('queued executions are claimed once each by workers on every instance', async () => {
    const made = Array.from({ length: 40 }, (_, i) =>
      makeExecution({ job_id: `job_mq_${i}`, priority: i % 3 }),
    );
    for (const e of made) await (instances[1] as PostgresCatalog).insertExecution(e);
    const claimed: Array<{ id: string; owner: string }> = [];
    await Promise.all(
      instances.flatMap((catalog, n) =>
        Array.from({ length: 3 }, async (_, w) => {
          for (;;) {
            const e = await catalog.claimQueuedExecution(`i${n}w${w}`, '2030-01-01T00:00:00.000Z', T0);
            if (!e) return;
            claimed.push({ id: e.execution_id, owner: e.owner as string });
          }
        }),
      ),
    );
    const ids = claimed.map((c) => c.id);
    // Each claimed once (the earlier test's queued execution is claimed too).
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(made.map((e) => e.execution_id)));
    expect(
      (await (instances[2] as PostgresCatalog).listExecutions({ status: ['queued'], limit: 10, offset: 0 }))
        .total,
    ).toBe(0);
    expect(new Set(claimed.map((c) => c.owner.slice(0, 2))).size).toBeGreaterThan(1);
  });

  it('rate counters are shared', async () => {
    const counts = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (instances[i % 4] as PostgresCatalog).incrementRateCounter('admin_9:create', '2024-01-15T14:30:00Z'),
      ),
    );
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});
