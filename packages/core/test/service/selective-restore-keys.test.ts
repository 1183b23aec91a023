import { rm } from 'node:fs/promises';
import { type BackupService, createBackupService, createMemoryCatalog, type View } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../test-support/postgres.js';
import { KEY_ID, TEMP_ACCESS, tempDir, testKeys } from './helpers.js';

/** Foreign keys of the tables a restore creates, where the table referenced is not restored. */
describe('selective restore: foreign keys to tables outside the restore', () => {
  let source: TempDatabase;
  let dataDir: string;
  let service: BackupService;
  let backupId: string;
  const targets: TempDatabase[] = [];

  beforeAll(async () => {
    source = await createTempDatabase('bk_sel_src');
    await withClient(source.url, (c) =>
      c.query(`CREATE TABLE a (id int PRIMARY KEY, label text);
               CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL CONSTRAINT b_a_fk REFERENCES a(id), note text);
               INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 50) g;
               INSERT INTO b SELECT g, 1 + g % 50, 'b' || g FROM generate_series(1, 200) g;`),
    );
    dataDir = await tempDir('sel-restore');
    service = createBackupService({
      catalog: createMemoryCatalog(),
      dataDir,
      keys: testKeys(),
      secretKey: Buffer.alloc(32, 1),
      access: TEMP_ACCESS,
    });
    const job = await service.createJob({
      job_name: 'fk pair',
      backup_type: 'full',
      source: { type: 'database', connection_string: source.url },
      destination: { type: 'local', path: 'sel' },
      encryption: { enabled: true, key_id: KEY_ID },
    });
    const run = await service.executeJob(job.job_id as string);
    const status = await service.waitFor(run.execution_id as string, { timeoutMs: 60_000 });
    expect(status.status, JSON.stringify(status.error)).toBe('completed');
    backupId = (status.result as View).backup_id as string;
  });

  afterAll(async () => {
    await service?.stop({ cancelRunning: true });
    for (const db of [source, ...targets]) await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function restore(tables: string[], setup?: string): Promise<{ status: View; url: string }> {
    const target = await createTempDatabase('bk_sel_dst');
    targets.push(target);
    if (setup) await withClient(target.url, (c) => c.query(setup));
    const created = await service.createRestore({
      backup_id: backupId,
      destination: { type: 'database', connection_string: target.url, tables },
      restore_options: { verify_after_restore: true },
    });
    return {
      status: await service.waitFor(created.restore_id as string, { timeoutMs: 60_000 }),
      url: target.url,
    };
  }

  const foreignKeys = (url: string) =>
    withClient(url, async (c) => {
      const { rows } = await c.query<{ name: string; valid: boolean }>(
        `SELECT conname AS name, convalidated AS valid FROM pg_constraint WHERE contype = 'f' ORDER BY 1`,
      );
      return rows;
    });
  const count = (url: string, table: string) =>
    withClient(url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n));

  it('restoring only b into an empty database completes with its data, and warns that b_a_fk was left out', async () => {
    const { status, url } = await restore(['b']);
    expect(status.status, JSON.stringify(status.error)).toBe('completed');
    expect(status.error).toBeNull();
    const result = status.result as View;
    expect(result).toMatchObject({ tables_restored: 1, records_restored: 200 });
    expect(result.warnings).toEqual([
      'Foreign key b_a_fk on public.b was not created: it references public.a, which is neither restored nor in the target',
    ]);
    // The key left out on purpose does not count as a constraint that failed to verify.
    expect(status.verification).toMatchObject({ status: 'passed', constraints_verified: true });
    expect(await count(url, 'b')).toBe(200);
    expect(await foreignKeys(url)).toEqual([]);
    await withClient(url, async (c) => {
      expect((await c.query(`SELECT to_regclass('public.a') AS t`)).rows[0].t).toBeNull();
    });
  });

  it('restoring only b into a database that has a creates the key, without a warning', async () => {
    const { status, url } = await restore(
      ['b'],
      'CREATE TABLE a (id int PRIMARY KEY, label text); INSERT INTO a SELECT g, NULL FROM generate_series(1, 50) g',
    );
    expect(status.status, JSON.stringify(status.error)).toBe('completed');
    expect((status.result as View).warnings).toBeUndefined();
    expect(await foreignKeys(url)).toEqual([{ name: 'b_a_fk', valid: true }]);
    expect(await count(url, 'b')).toBe(200);
    // It is the real key: it bites.
    await withClient(url, async (c) => {
      await expect(c.query('INSERT INTO b VALUES (999, 999, null)')).rejects.toThrow(/foreign key/);
    });
  });

  it('restoring a and b creates the key, without a warning', async () => {
    const { status, url } = await restore(['a', 'b']);
    expect(status.status, JSON.stringify(status.error)).toBe('completed');
    expect(status.result).toMatchObject({ tables_restored: 2, records_restored: 250 });
    expect((status.result as View).warnings).toBeUndefined();
    expect(status.verification).toMatchObject({ status: 'passed', constraints_verified: true });
    expect(await foreignKeys(url)).toEqual([{ name: 'b_a_fk', valid: true }]);
    expect(await count(url, 'a')).toBe(50);
  });
});
