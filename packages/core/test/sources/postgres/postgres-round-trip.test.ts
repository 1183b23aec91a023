import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../../test-support/postgres.js';
import {
  type DrainedBackup,
  drainBackup,
  FIXTURE_SQL,
  FIXTURE_TABLES,
  restoreDrained,
  tableDigest,
  tableObjects,
} from './pg-test-helpers.js';

describe('postgres source and restore target: round trip', () => {
  let source: TempDatabase;
  let backup: DrainedBackup;
  const extra: TempDatabase[] = [];

  beforeAll(async () => {
    source = await createTempDatabase('bk_pg_src');
    await withClient(source.url, (c) => c.query(FIXTURE_SQL));
    backup = await drainBackup({ connection_string: source.url, max_parallel_jobs: 3 });
  });
  afterAll(async () => {
    for (const db of [source, ...extra]) await db?.drop();
  });

  it('captures every table with its row count and schema', () => {
    expect(backup.manifest.entries.map((e) => e.name).sort()).toEqual(FIXTURE_TABLES);
    const rows = Object.fromEntries(backup.manifest.entries.map((e) => [e.name, e.metadata.row_count]));
    expect(rows).toEqual({
      'app.orders': 40,
      'public.customers': 55,
      'public.items': 120,
      'public.log_events': 25,
      'public.temp_scratch': 10,
    });
    const pg = backup.manifest.metadata.postgres as { types: { name: string; kind: string }[] };
    expect(pg.types.map((t) => `${t.kind}:${t.name}`)).toEqual(
      expect.arrayContaining(['enum:mood', 'domain:posint', 'composite:pair']),
    );
    const orders = backup.manifest.entries.find((e) => e.name === 'app.orders')!;
    // The generated column is not copied; it is recomputed on restore.
    expect(orders.metadata.copy_columns).not.toContain('total');
    expect(orders.size).toBeGreaterThan(6_000_000); // the 3.2 MB bytea, hex-encoded
  });

  it('restores into a fresh database: identical rows, constraints, indexes, sequences', async () => {
    const target = await createTempDatabase('bk_pg_dst');
    extra.push(target);
    const { result, records } = await restoreDrained(
      backup,
      { connection_string: target.url },
      { verify_after_restore: true, parallel_restore: true, max_parallel_jobs: 3 },
    );
    expect(records['public.customers']).toBe(55);
    expect(result.tables_restored).toBe(5);
    expect(result.records_restored).toBe(250);
    expect(result.verification).toMatchObject({
      status: 'passed',
      data_integrity_verified: true,
      constraints_verified: true,
      indexes_verified: true,
    });
    for (const table of FIXTURE_TABLES) {
      expect(await tableDigest(target.url, table), table).toEqual(await tableDigest(source.url, table));
      expect(await tableObjects(target.url, table), table).toEqual(await tableObjects(source.url, table));
    }
    const nextvals = (url: string) =>
      withClient(url, async (c) => {
        const r = await c.query(
          `SELECT nextval(pg_get_serial_sequence('customers', 'id')) AS a,
                  nextval(pg_get_serial_sequence('app.orders', 'id')) AS b,
                  nextval(pg_get_serial_sequence('items', 'id')) AS c,
                  nextval(pg_get_serial_sequence('log_events', 'id')) AS d`,
        );
        return r.rows[0];
      });
    const restored = await nextvals(target.url);
    expect(restored).toEqual(await nextvals(source.url));
    expect(restored).toEqual({ a: '61', b: '41', c: '121', d: '29' });
    // The partial and expression indexes are used as such, and the constraints bite.
    await withClient(target.url, async (c) => {
      await expect(c.query(`INSERT INTO app.orders (customer_id, qty) VALUES (9999, 1)`)).rejects.toThrow(
        /foreign key/,
      );
      await expect(c.query(`INSERT INTO app.orders (customer_id, qty) VALUES (1, 0)`)).rejects.toThrow(
        /posint/,
      );
      await expect(c.query(`UPDATE customers SET score = -1 WHERE id = 1`)).rejects.toThrow(/check/);
      const total = await c.query(`SELECT total::text FROM app.orders WHERE id = 2`);
      expect(total.rows[0].total).toBe('21.00');
    });
  });

  it('restores two of five tables and touches only those', async () => {
    const target = await createTempDatabase('bk_pg_dst');
    extra.push(target);
    await restoreDrained(backup, { connection_string: target.url });
    await withClient(target.url, (c) =>
      c.query(`UPDATE customers SET name = 'changed'; DELETE FROM items WHERE id > 10;
               UPDATE app.orders SET note = 'changed'; DELETE FROM log_events; INSERT INTO temp_scratch VALUES (99)`),
    );
    const before = Object.fromEntries(
      await Promise.all(FIXTURE_TABLES.map(async (t) => [t, await tableDigest(target.url, t)] as const)),
    );
    const { result } = await restoreDrained(
      backup,
      { connection_string: target.url, tables: ['customers', 'log_*'], overwrite_existing: true },
      { verify_after_restore: true },
    );
    expect(result.tables_restored).toBe(2);
    for (const t of FIXTURE_TABLES) {
      const now = await tableDigest(target.url, t);
      if (t === 'public.customers' || t === 'public.log_events') {
        expect(now, t).toEqual(await tableDigest(source.url, t));
      } else expect(now, t).toEqual(before[t]);
    }
    // Foreign keys from unselected tables were put back and still hold.
    expect(await tableObjects(target.url, 'app.orders')).toEqual(
      await tableObjects(source.url, 'app.orders'),
    );
  });

  it('refuses up front: existing table without overwrite, missing table without create, unknown table', async () => {
    const target = await createTempDatabase('bk_pg_dst');
    extra.push(target);
    await withClient(target.url, (c) =>
      c.query('CREATE TABLE customers (id int); INSERT INTO customers VALUES (7)'),
    );
    await expect(
      restoreDrained(backup, { connection_string: target.url, tables: ['customers'] }),
    ).rejects.toMatchObject({
      code: 'table_exists',
      details: { tables: ['public.customers'] },
    });
    await expect(
      restoreDrained(backup, {
        connection_string: target.url,
        tables: ['items'],
        create_missing_tables: false,
      }),
    ).rejects.toMatchObject({ code: 'table_not_found', details: { tables: ['public.items'] } });
    await expect(
      restoreDrained(backup, { connection_string: target.url, tables: ['nope'] }),
    ).rejects.toMatchObject({
      code: 'table_not_found',
    });
    // Nothing was changed by the refused restores.
    expect(await tableDigest(target.url, 'customers')).toMatchObject({ rows: 1 });
    const tables = await withClient(target.url, (c) =>
      c.query(
        `SELECT count(*)::int AS n FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`,
      ),
    );
    expect(tables.rows[0].n).toBe(1);
  });

  it('selects tables with globs and schema-qualified names; an unknown explicit table fails up front', async () => {
    const picked = await drainBackup({
      connection_string: source.url,
      tables: ['app.*', 'public.customers', 'log_*', 'temp_*'],
      exclude_tables: ['temp_*'],
    });
    expect(picked.manifest.entries.map((e) => e.name).sort()).toEqual([
      'app.orders',
      'public.customers',
      'public.log_events',
    ]);
    const excluded = await drainBackup({
      connection_string: source.url,
      exclude_tables: ['temp_*', 'log_*'],
    });
    expect(excluded.manifest.entries.map((e) => e.name).sort()).toEqual([
      'app.orders',
      'public.customers',
      'public.items',
    ]);
    await expect(
      drainBackup({ connection_string: source.url, tables: ['customers', 'payments'] }),
    ).rejects.toMatchObject({
      code: 'table_not_found',
      details: { tables: ['payments'] },
    });
  });

  it('a table that fails to load is left as it was and named in the error', async () => {
    const target = await createTempDatabase('bk_pg_dst');
    extra.push(target);
    await withClient(target.url, (c) =>
      c.query(`CREATE TABLE temp_scratch (x int CHECK (x < 5)); INSERT INTO temp_scratch VALUES (1), (2)`),
    );
    const err = await restoreDrained(backup, {
      connection_string: target.url,
      tables: ['temp_scratch'],
      overwrite_existing: true,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'restore_failed', details: { table: 'public.temp_scratch' } });
    expect((err as Error).message).toMatch(/public\.temp_scratch.*check constraint/);
    expect(await tableDigest(target.url, 'temp_scratch')).toMatchObject({ rows: 2 });
  });
});
