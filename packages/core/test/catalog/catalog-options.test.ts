import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresCatalog, createSqliteCatalog, SQLITE_MIGRATIONS } from '@backupkit/core';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTempDatabase } from '../../../../test-support/postgres.js';
import { makeBackup, makeJob } from '../../src/testing/catalog-fixtures.js';

describe('createSqliteCatalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bk-sqlite-opt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the directory, uses WAL, records its schema version and keeps data across reopen', async () => {
    const path = join(dir, 'a', 'b', 'catalog.db');
    const first = createSqliteCatalog({ path });
    await first.init();
    const job = makeJob();
    await first.insertJob(job);
    await first.close();
    expect(existsSync(path)).toBe(true);

    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.at(-1)!.version);
    const row = raw.prepare('SELECT id, source FROM backup_jobs WHERE job_id = ?').get(job.job_id) as {
      id: string;
      source: string;
    };
    expect(row.id).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(row.source)).toEqual(job.source);
    raw.close();

    const second = createSqliteCatalog({ path });
    await second.init();
    expect(await second.getJob(job.job_id)).toEqual(job);
    await second.close();
  });

  it('refuses use before init()', async () => {
    const catalog = createSqliteCatalog({ path: join(dir, 'never.db') });
    await expect(catalog.getJob('job_x')).rejects.toMatchObject({ code: 'internal_error' });
  });
});

describe('createPostgresCatalog', () => {
  it('works on a pool it does not own, leaves it open on close, and keeps schemas apart', async () => {
    const db = await createTempDatabase('bk_catalog_opt');
    const pool = new pg.Pool({ connectionString: db.url, max: 3 });
    try {
      const a = createPostgresCatalog({ pool, schema: 'tenant_a' });
      const b = createPostgresCatalog({ pool, schema: 'tenant_b' });
      await Promise.all([a.init(), b.init()]);
      const backup = makeBackup();
      await a.insertBackup(backup);
      expect(await a.getBackup(backup.backup_id)).toEqual(backup);
      expect(await b.getBackup(backup.backup_id)).toBeNull();
      await a.close();
      await b.close();
      const columns = await pool.query(
        `SELECT column_name, data_type FROM information_schema.columns
          WHERE table_schema = 'tenant_a' AND table_name = 'backup_jobs' AND column_name IN ('id', 'created_by', 'source', 'created_at')
          ORDER BY column_name`,
      );
      expect(columns.rows).toEqual([
        { column_name: 'created_at', data_type: 'timestamp with time zone' },
        { column_name: 'created_by', data_type: 'text' },
        { column_name: 'id', data_type: 'uuid' },
        { column_name: 'source', data_type: 'jsonb' },
      ]);
    } finally {
      await pool.end();
      await db.drop();
    }
  });

  it('rejects a schema name that is not a plain identifier', () => {
    expect(() =>
      createPostgresCatalog({ connectionString: 'postgres://x@127.0.0.1/x', schema: 'a"; DROP' }),
    ).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it('reports an unreachable server as unavailable', async () => {
    const catalog = createPostgresCatalog({ connectionString: 'postgres://postgres@127.0.0.1:1/none' });
    await expect(catalog.init()).rejects.toMatchObject({ code: 'unavailable' });
    await catalog.close();
  });
});
