import { Readable } from 'node:stream';
import { BackupError, createPostgresRestoreTarget, createPostgresSource } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../../test-support/postgres.js';
import { EngineHarness } from './pg-engine-helpers.js';
import { drainBackup, restoreDrained, tableDigest, tableObjects } from './pg-test-helpers.js';

async function ourSessions(db: TempDatabase): Promise<number> {
  return withClient(db.url, async (c) => {
    const r = await c.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'backupkit%'`,
      [db.name],
    );
    return r.rows[0].n as number;
  });
}

describe('postgres edge cases', () => {
  let db: TempDatabase;
  const dbs: TempDatabase[] = [];

  beforeAll(async () => {
    db = await createTempDatabase('bk_pg_edge');
    await withClient(db.url, (c) =>
      c.query(`
        CREATE SCHEMA "My Schema";
        CREATE TABLE "My Schema"."Odd ""Name"".t" (
          "Id" int PRIMARY KEY, "Label" text COLLATE "C" NOT NULL, "select" text);
        CREATE INDEX "Odd idx" ON "My Schema"."Odd ""Name"".t" ("Label" DESC, ("select" || 'x'));
        INSERT INTO "My Schema"."Odd ""Name"".t" SELECT i, 'b' || i, CASE WHEN i % 2 = 0 THEN 'a' END
          FROM generate_series(1, 30) i;
        CREATE UNLOGGED TABLE "My Schema".tuned (id int) WITH (fillfactor = 70, autovacuum_enabled = false);
        INSERT INTO "My Schema".tuned VALUES (1), (2);
        CREATE TABLE parents (id int PRIMARY KEY);
        CREATE TABLE kids (id int PRIMARY KEY, parent int REFERENCES parents);
        INSERT INTO parents SELECT generate_series(1, 10);
        INSERT INTO kids SELECT i, 1 + i % 10 FROM generate_series(1, 20) i;
        CREATE TABLE empty_one (id int PRIMARY KEY, v text);
        CREATE TABLE big (id int, body text);
        INSERT INTO big SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 100000) i;`),
    );
  });
  afterAll(async () => {
    for (const d of [db, ...dbs]) await d?.drop();
  });

  it('quotes odd schema, table, column and index names and keeps column collations', async () => {
    const backup = await drainBackup({ connection_string: db.url, tables: ['"My Schema".*'] });
    expect(backup.manifest.entries.map((e) => e.name).sort()).toEqual([
      'My Schema.Odd "Name".t',
      'My Schema.tuned',
    ]);
    const target = await createTempDatabase('bk_pg_dst');
    dbs.push(target);
    await restoreDrained(backup, { connection_string: target.url }, { verify_after_restore: true });
    const table = `"My Schema"."Odd ""Name"".t"`;
    expect(await tableDigest(target.url, table)).toEqual(await tableDigest(db.url, table));
    expect(await tableObjects(target.url, table)).toEqual(await tableObjects(db.url, table));
    const collation = await withClient(target.url, (c) =>
      c.query(`SELECT collname FROM pg_attribute a JOIN pg_collation co ON co.oid = a.attcollation
                WHERE attrelid = '"My Schema"."Odd ""Name"".t"'::regclass AND attname = 'Label'`),
    );
    expect(collation.rows[0].collname).toBe('C');
    const tuned = await withClient(target.url, (c) =>
      c.query(`SELECT relpersistence, reloptions FROM pg_class WHERE oid = '"My Schema".tuned'::regclass`),
    );
    expect(tuned.rows[0]).toEqual({
      relpersistence: 'u',
      reloptions: ['fillfactor=70', 'autovacuum_enabled=false'],
    });
    expect(await tableDigest(target.url, '"My Schema".tuned')).toMatchObject({ rows: 2 });
  });

  it('keeps a foreign key from an unselected table, NOT VALID with a warning, when restored rows break it', async () => {
    const backup = await drainBackup({ connection_string: db.url, tables: ['parents', 'kids'] });
    const target = await createTempDatabase('bk_pg_dst');
    dbs.push(target);
    await restoreDrained(backup, { connection_string: target.url });
    // After the backup, a parent and its kids were added in the target.
    await withClient(target.url, (c) =>
      c.query('INSERT INTO parents VALUES (11); INSERT INTO kids VALUES (21, 11)'),
    );
    const { result } = await restoreDrained(
      backup,
      { connection_string: target.url, tables: ['parents'], overwrite_existing: true },
      { verify_after_restore: true },
    );
    expect(result.warnings).toEqual([expect.stringMatching(/kids_parent_fkey.*NOT VALID/)]);
    expect(await tableDigest(target.url, 'kids')).toMatchObject({ rows: 21 }); // untouched
    expect(await tableDigest(target.url, 'parents')).toEqual(await tableDigest(db.url, 'parents'));
    const fk = await withClient(target.url, (c) =>
      c.query(`SELECT convalidated FROM pg_constraint WHERE conname = 'kids_parent_fkey'`),
    );
    expect(fk.rows).toEqual([{ convalidated: false }]);
  });

  it('verify_after_restore catches a restored table that reads back differently', async () => {
    const backup = await drainBackup({ connection_string: db.url, tables: ['parents'] });
    const target = await createTempDatabase('bk_pg_dst');
    dbs.push(target);
    // Same column names, another type: every row loads, but reads back as "1.00", not "1".
    await withClient(target.url, (c) => c.query('CREATE TABLE parents (id numeric(10,2) PRIMARY KEY)'));
    const destination = { connection_string: target.url, overwrite_existing: true };
    await expect(restoreDrained(backup, destination, { verify_after_restore: true })).rejects.toMatchObject({
      code: 'integrity_error',
      details: {
        mismatches: [{ table: 'public.parents', reason: 'content differs from the backup from byte 0 on' }],
      },
    });
    const { result } = await restoreDrained(backup, destination, { verify_after_restore: false });
    expect(result).toMatchObject({ records_restored: 10, data_integrity_verified: false });
  });

  it('an empty table goes through the engine (no chunks) and comes back with its key', async () => {
    const harness = await EngineHarness.create();
    try {
      const manifest = await harness.backup({ connection_string: db.url, tables: ['empty_one', 'parents'] });
      const empty = manifest.entries.find((e) => e.name === 'public.empty_one')!;
      expect(empty).toMatchObject({ size: 0, chunks: [], metadata: { row_count: 0 } });
      const target = await createTempDatabase('bk_pg_dst');
      dbs.push(target);
      const result = await harness.restore(
        manifest,
        { connection_string: target.url },
        { verify_after_restore: true },
      );
      expect(result.details).toMatchObject({
        tables_restored: 2,
        records_restored: 10,
        data_integrity_verified: true,
      });
      expect(await tableObjects(target.url, 'empty_one')).toEqual(await tableObjects(db.url, 'empty_one'));
    } finally {
      await harness.dispose();
    }
  });

  it('a run restricted to some tables (custom_parameters.tables) reads only those', async () => {
    const backup = await drainBackup(
      { connection_string: db.url, exclude_tables: ['big'] },
      { only: ['kids'] },
    );
    expect(backup.manifest.entries.map((e) => e.name)).toEqual(['public.kids']);
    await expect(drainBackup({ connection_string: db.url }, { only: ['kidz'] })).rejects.toMatchObject({
      code: 'table_not_found',
      details: { tables: ['kidz'] },
    });
  });

  it('content that fails mid-table (e.g. a chunk failing authentication) rolls that table back', async () => {
    const backup = await drainBackup({ connection_string: db.url, tables: ['kids'] });
    const target = await createTempDatabase('bk_pg_dst');
    dbs.push(target);
    await withClient(target.url, (c) =>
      c.query('CREATE TABLE kids (id int, parent int); INSERT INTO kids VALUES (99, 1)'),
    );
    const restore = createPostgresRestoreTarget(
      { connection_string: target.url, overwrite_existing: true },
      {},
    );
    const context = {
      signal: new AbortController().signal,
      manifest: backup.manifest,
      entries: backup.manifest.entries,
      options: {},
    };
    const entry = backup.manifest.entries[0]!;
    const half = backup.contents.get(entry.name)!.subarray(0, 40);
    try {
      await restore.prepare(context);
      const broken = Readable.from(
        (async function* () {
          yield half;
          throw new BackupError('integrity_error', 'Entry "public.kids" does not match its SHA-256');
        })(),
      );
      await expect(restore.restoreEntry(entry, broken, context)).rejects.toMatchObject({
        code: 'integrity_error',
        details: { table: 'public.kids' },
      });
      expect(await tableDigest(target.url, 'kids')).toMatchObject({ rows: 1 });
      // The target is still usable: the same table restores fine afterwards.
      const ok = await restore.restoreEntry(
        entry,
        Readable.from([backup.contents.get(entry.name)!]),
        context,
      );
      expect(ok.records).toBe(20);
    } finally {
      await restore.close();
    }
    expect(await tableDigest(target.url, 'kids')).toMatchObject({ rows: 20 });
  });

  it('refuses partitioned tables up front instead of skipping them', async () => {
    const part = await createTempDatabase('bk_pg_part');
    dbs.push(part);
    await withClient(part.url, (c) =>
      c.query(`CREATE TABLE m (id int, at date) PARTITION BY RANGE (at);
               CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
               CREATE TABLE plain (id int)`),
    );
    await expect(drainBackup({ connection_string: part.url })).rejects.toMatchObject({
      code: 'not_implemented',
      details: { tables: ['public.m', 'public.m_2024'] },
    });
    const ok = await drainBackup({ connection_string: part.url, exclude_tables: ['m', 'm_*'] });
    expect(ok.manifest.entries.map((e) => e.name)).toEqual(['public.plain']);
  });

  it('a cancelled backup releases every connection', async () => {
    const source = createPostgresSource({
      connection_string: db.url,
      tables: ['big', 'kids'],
      max_parallel_jobs: 2,
    });
    const controller = new AbortController();
    const plan = await source.open({ signal: controller.signal, parent: null, full: true });
    const entries = [];
    for await (const e of plan.entries) entries.push(e);
    const streams = await Promise.all(entries.map((e) => e.open!(controller.signal)));
    expect(await ourSessions(db)).toBe(2);
    const big = streams[0]!;
    await new Promise((resolve) => big.once('readable', resolve));
    const errors = streams.map((s) => new Promise((resolve) => s.once('error', resolve)));
    controller.abort();
    for (const error of await Promise.all(errors)) expect(error).toMatchObject({ code: 'aborted' });
    await plan.close();
    for (let i = 0; i < 50 && (await ourSessions(db)) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await ourSessions(db)).toBe(0);
  });
});
