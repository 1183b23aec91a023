import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPostgresCatalog,
  createSqliteCatalog,
  migratePostgres,
  POSTGRES_MIGRATIONS,
  SQLITE_MIGRATIONS,
} from '@backupkit/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createTempDatabase, withClient } from '../../../../test-support/postgres.js';
import { makeBackup, makeJob } from '../../src/testing/catalog-fixtures.js';

// A principal without `admin` lists jobs by `created_by` and everything else by
// `job_id IN (its jobs)`: catalogs created before that index get it on their next init().
describe('index on the jobs a principal created', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bk-created-by-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SQLite: a version 1 catalog is upgraded in place, keeps its rows, and the filter uses the index', async () => {
    const path = join(dir, 'v1.db');
    const v1 = SQLITE_MIGRATIONS.find((m) => m.version === 1)!;
    const job = makeJob({ created_by: 'user_a' });
    const raw = new Database(path);
    raw.exec(v1.sql);
    raw.pragma('user_version = 1');
    raw.close();

    const catalog = createSqliteCatalog({ path });
    await catalog.init();
    await catalog.insertJob(job);
    await catalog.insertBackup(makeBackup({ job_id: job.job_id }));
    expect(await catalog.listJobs({ created_by: 'user_a', status: 'active', limit: 5, offset: 0 })).toEqual({
      items: [job],
      total: 1,
    });
    expect((await catalog.listBackups({ owner: 'user_a', limit: 5, offset: 0 })).total).toBe(1);
    await catalog.close();

    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.at(-1)!.version);
    const plan = check
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM backup_jobs WHERE "status" = ? AND "created_by" = ? ORDER BY "created_at" DESC`,
      )
      .all('active', 'user_a') as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join('\n')).toContain('USING INDEX backup_jobs_created_by');
    check.close();
  });

  it('PostgreSQL: a version 1 schema gets migration 2 once; the owner lookups can use the index', async () => {
    const db = await createTempDatabase('bk_created_by');
    try {
      await withClient(db.url, (client) =>
        migratePostgres(
          { query: (sql, params) => client.query(sql, params), release() {} },
          'owned',
          POSTGRES_MIGRATIONS.filter((m) => m.version === 1),
        ),
      );
      const catalog = createPostgresCatalog({ connectionString: db.url, schema: 'owned' });
      await catalog.init();
      const job = makeJob({ created_by: 'user_a' });
      await catalog.insertJob(job);
      expect((await catalog.listJobs({ created_by: 'user_a', limit: 5, offset: 0 })).items).toEqual([job]);
      await catalog.close();

      await withClient(db.url, async (client) => {
        const versions = await client.query(
          'SELECT version FROM owned.backupkit_migrations ORDER BY version',
        );
        expect(versions.rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
        await client.query('SET enable_seqscan = off');
        const plan = await client.query(
          `EXPLAIN SELECT "job_id" FROM owned.backup_jobs WHERE "created_by" = 'user_a'`,
        );
        expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('backup_jobs_created_by');
      });
    } finally {
      await db.drop();
    }
  });
});
