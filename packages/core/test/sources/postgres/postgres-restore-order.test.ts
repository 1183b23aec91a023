import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../../test-support/postgres.js';
import { EngineHarness } from './pg-engine-helpers.js';

// Two tables: `small` (primary key and an index) and `big` (more rows, so the engine starts it first).
const SOURCE_SQL = `
  CREATE TABLE small (id int PRIMARY KEY, v text NOT NULL CHECK (v <> ''));
  CREATE INDEX small_v_idx ON small (v);
  INSERT INTO small SELECT g, 'v' || g FROM generate_series(1, 100) g;
  CREATE TABLE big (id int PRIMARY KEY, v text);
  INSERT INTO big SELECT g, repeat('b', 50) FROM generate_series(1, 5000) g;
`;

// In the target, big exists (it is overwritten) with a trigger that, on its first restored
// row, waits up to 10 s for small's primary key and index to exist (each query in a volatile
// plpgsql function sees what has committed since) and records what it saw.
const OBSERVER_SQL = `
  CREATE TABLE big (id int PRIMARY KEY, v text);
  CREATE TABLE seen (small_pkey boolean, small_v_idx boolean);
  CREATE FUNCTION public.wait_for_small_indexes() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    ready boolean := false;
  BEGIN
    IF current_setting('test.waited', true) IS DISTINCT FROM 'yes' THEN
      PERFORM set_config('test.waited', 'yes', true);
      FOR i IN 1..200 LOOP
        SELECT count(*) = 2 INTO ready FROM pg_catalog.pg_index x
          JOIN pg_catalog.pg_class c ON c.oid = x.indexrelid
         WHERE c.relnamespace = 'public'::regnamespace AND c.relname IN ('small_pkey', 'small_v_idx')
           AND x.indisvalid;
        EXIT WHEN ready;
        PERFORM pg_catalog.pg_sleep(0.05);
      END LOOP;
      INSERT INTO public.seen
        SELECT bool_or(relname = 'small_pkey'), bool_or(relname = 'small_v_idx')
          FROM pg_catalog.pg_class WHERE relnamespace = 'public'::regnamespace;
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER observe BEFORE INSERT ON big FOR EACH ROW EXECUTE FUNCTION public.wait_for_small_indexes();
`;

describe('postgres restore: a table gets its indexes and constraints as soon as its data is in', () => {
  let source: TempDatabase;
  let harness: EngineHarness;
  const dbs: TempDatabase[] = [];

  beforeAll(async () => {
    source = await createTempDatabase('bk_pg_src');
    await withClient(source.url, (c) => c.query(SOURCE_SQL));
    harness = await EngineHarness.create();
  });
  afterAll(async () => {
    for (const db of [source, ...dbs]) await db?.drop();
    await harness?.dispose();
  });

  it("builds one table's primary key and indexes while another table is still loading", async () => {
    const manifest = await harness.backup({ connection_string: source.url });
    const target = await createTempDatabase('bk_pg_dst');
    dbs.push(target);
    await withClient(target.url, (c) => c.query(OBSERVER_SQL));
    const result = await harness.restore(
      manifest,
      { connection_string: target.url, overwrite_existing: true },
      { verify_after_restore: true, parallel_restore: true, max_parallel_jobs: 2 },
    );
    expect(result.details).toMatchObject({
      tables_restored: 2,
      records_restored: 5100,
      constraints_verified: true,
      indexes_verified: true,
    });
    const seen = await withClient(target.url, (c) => c.query('SELECT * FROM seen'));
    expect(seen.rows).toEqual([{ small_pkey: true, small_v_idx: true }]);
  });

  it('a cancelled restore stops an index build that is running', async () => {
    const plain = await createTempDatabase('bk_pg_src');
    dbs.push(plain);
    // The source's function is quick; the target's takes 20 ms a row: an 8 s index build.
    const slowIndex = (body: string) => `
      CREATE FUNCTION public.slow_key(k int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
        BEGIN ${body} RETURN k; END $$;`;
    await withClient(plain.url, (c) =>
      c.query(`${slowIndex('')}
        CREATE TABLE slow (id int PRIMARY KEY);
        CREATE INDEX slow_key_idx ON slow (public.slow_key(id));
        INSERT INTO slow SELECT generate_series(1, 400);`),
    );
    const manifest = await harness.backup({ connection_string: plain.url });
    const target = await createTempDatabase('bk_pg_dst');
    dbs.push(target);
    await withClient(target.url, (c) => c.query(slowIndex('PERFORM pg_catalog.pg_sleep(0.02);')));
    const building = `SELECT count(*)::int AS n FROM pg_stat_activity
                       WHERE datname = current_database() AND state = 'active' AND query LIKE 'CREATE INDEX%'`;
    const controller = new AbortController();
    const restore = harness
      .restore(manifest, { connection_string: target.url }, { max_parallel_jobs: 2 }, controller.signal)
      .catch((e: unknown) => e);
    await withClient(target.url, async (c) => {
      const deadline = Date.now() + 10_000;
      while ((await c.query(building)).rows[0].n === 0 && Date.now() < deadline) await sleep(20);
    });
    const aborted = Date.now();
    controller.abort();
    expect(await restore).toMatchObject({ code: 'aborted' });
    expect(Date.now() - aborted).toBeLessThan(3_000);
    const still = await withClient(target.url, async (c) => {
      const deadline = Date.now() + 3_000;
      let n = (await c.query(building)).rows[0].n;
      while (n > 0 && Date.now() < deadline) {
        await sleep(50);
        n = (await c.query(building)).rows[0].n;
      }
      return n;
    });
    expect(still).toBe(0);
  });

  it('an index that cannot be created fails the restore in finish, its data and the other tables restored', async () => {
    const manifest = await harness.backup({ connection_string: source.url });
    const target = await createTempDatabase('bk_pg_dst');
    dbs.push(target);
    // A relation already named like small's index: CREATE INDEX small_v_idx fails.
    await withClient(target.url, (c) => c.query('CREATE TABLE small_v_idx (x int)'));
    const err = await harness
      .restore(manifest, { connection_string: target.url }, { parallel_restore: true, max_parallel_jobs: 2 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'restore_failed',
      details: { failures: [{ table: 'public.small', object: 'index small_v_idx' }] },
    });
    const state = await withClient(target.url, (c) =>
      c.query(`SELECT (SELECT count(*)::int FROM small) AS small_rows, (SELECT count(*)::int FROM big) AS big_rows,
                      to_regclass('small_pkey') IS NOT NULL AS small_pkey, to_regclass('big_pkey') IS NOT NULL AS big_pkey,
                      EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'small'::regclass AND contype = 'c') AS small_check`),
    );
    expect(state.rows[0]).toEqual({
      small_rows: 100,
      big_rows: 5000,
      small_pkey: true,
      big_pkey: true,
      small_check: true,
    });
  });
});
