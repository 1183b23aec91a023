import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../../test-support/postgres.js';
import {
  gatedSource,
  heapPages,
  orderedMd5,
  PAGES_PER_RANGE,
  PartsHarness,
  partsOf,
  SMALL_SPLIT,
  tableEntry,
} from './page-range-helpers.js';

const rangeOf = (page: number) => Math.floor(page / PAGES_PER_RANGE);

/**
 * The table's updates and HOT updates so far, as the statistics report them: polled until
 * `ready` (the writers' sessions flush their counts as they end).
 */
async function updateCounts(
  url: string,
  table: string,
  ready: (counts: { all: number; hot: number }) => boolean,
): Promise<{ all: number; hot: number }> {
  for (let attempt = 0; ; attempt++) {
    const counts = await withClient(url, async (c) => {
      const { rows } = await c.query<{ all: string; hot: string }>(
        `SELECT n_tup_upd::text AS all, n_tup_hot_upd::text AS hot FROM pg_stat_user_tables WHERE relid = $1::regclass`,
        [table],
      );
      return { all: Number(rows[0]!.all), hot: Number(rows[0]!.hot) };
    });
    if (ready(counts) || attempt >= 100) return counts;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Heap page of each row `ids` names (rows gone are absent). */
async function pagesOf(url: string, table: string, ids: number[]): Promise<Map<number, number>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ id: number; page: string }>(
      `SELECT id, (ctid::text::point)[0]::bigint::text AS page FROM ${table} WHERE id = ANY($1)`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, Number(r.page)]));
  });
}

describe('postgres page ranges: writers during the backup', () => {
  let source: TempDatabase;
  let harness: PartsHarness;
  const restores: TempDatabase[] = [];

  beforeAll(async () => {
    source = await createTempDatabase('bk_pg_rw');
    harness = await PartsHarness.create();
    await withClient(source.url, async (c) => {
      // fillfactor 80: room on each page for HOT updates; a grown row no longer fits and moves.
      await c.query(`
        CREATE TABLE moving (id int PRIMARY KEY, n int NOT NULL, pad text) WITH (fillfactor = 80);
        INSERT INTO moving SELECT g, 0, repeat(chr(97 + g % 26), 200) FROM generate_series(1, 20000) g;
        CREATE TABLE docs (id int PRIMARY KEY, filler char(300), body text);
        ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
        INSERT INTO docs SELECT g, 'f' || g, (SELECT string_agg(md5(g::text || i::text), '') FROM generate_series(1, 120) i)
          FROM generate_series(1, 6000) g;
        CREATE TABLE growing (id int PRIMARY KEY, v text);
        INSERT INTO growing SELECT g, repeat('g', 150) FROM generate_series(1, 12000) g;`);
      await c.query('VACUUM ANALYZE');
    });
  });
  afterAll(async () => {
    for (const db of restores) await db.drop();
    await source?.drop();
    await harness?.dispose();
  });

  const restoreAndCompare = async (manifest: Awaited<ReturnType<PartsHarness['backup']>>, table: string) => {
    const target = await createTempDatabase('bk_pg_rw_r');
    restores.push(target);
    const { result } = await harness.restore(
      manifest,
      { connection_string: target.url, tables: [table] },
      { max_parallel_jobs: 3, verify_after_restore: true },
    );
    expect(result.details.verification).toMatchObject({ data_integrity_verified: true });
    return orderedMd5(target.url, `public.${table}`);
  };

  it('restores the snapshot exactly while rows are updated across ranges, deleted and inserted between part reads', async () => {
    const snapshot = await orderedMd5(source.url, 'moving');
    const pages = await heapPages(source.url, 'moving');
    expect(pages).toBeGreaterThan(4 * PAGES_PER_RANGE);
    const early = [1, 2, 3, 40, 41, 42]; // on the first pages
    const before = await pagesOf(source.url, 'moving', early);
    const hot = [500, 5000, 15000];
    const statsBefore = await updateCounts(source.url, 'moving', () => true);
    const gates: number[] = [];
    let nextId = 100_000;
    const gated = gatedSource(
      {
        connection_string: source.url,
        split_tables_above_bytes: SMALL_SPLIT,
        max_parallel_jobs: 1,
        tables: ['moving'],
      },
      async (_entry, index) => {
        gates.push(index);
        await withClient(source.url, async (c) => {
          // Grown rows (non-HOT): moved off their page, often into a range read later or earlier.
          const grow = await c.query(
            `UPDATE moving SET pad = repeat('Z', 1800 + $2::int) WHERE id = ANY($1)`,
            [early, index],
          );
          expect(grow.rowCount).toBe(early.length);
          // Small changes to an unindexed column (HOT, same page).
          await c.query('UPDATE moving SET n = n + 1 WHERE id = ANY($1)', [hot]);
          // A key change (non-HOT, new index entries).
          await c.query('UPDATE moving SET id = $1 WHERE id = $2', [nextId++, 1000 + index]);
          // Deletes ahead of and behind the ranges read so far, and inserts.
          await c.query('DELETE FROM moving WHERE id IN ($1, $2)', [
            2000 + index * 1500,
            19000 - index * 300,
          ]);
          await c.query(
            `INSERT INTO moving SELECT g, 7, repeat('n', 300) FROM generate_series($1::int, $1::int + 99) g`,
            [nextId],
          );
          nextId += 100;
        });
      },
    );
    const manifest = await harness.backup(gated);
    const parts = partsOf(tableEntry(manifest, 'public.moving'));
    expect(parts.length).toBeGreaterThan(4);
    // Writes ran before every part was read.
    expect(gates).toEqual(parts.map((_, i) => i));
    expect(tableEntry(manifest, 'public.moving').metadata.row_count).toBe(snapshot.rows);

    // The writers did what the test is about: rows moved to another range, HOT ones stayed put.
    const after = await pagesOf(source.url, 'moving', early);
    expect(early.some((id) => rangeOf(after.get(id)!) !== rangeOf(before.get(id)!))).toBe(true);
    const updates = await updateCounts(source.url, 'moving', (u) => u.hot > statsBefore.hot);
    expect(updates.hot).toBeGreaterThan(statsBefore.hot);
    expect(updates.all - updates.hot).toBeGreaterThan(statsBefore.all - statsBefore.hot);
    const now = await orderedMd5(source.url, 'moving');
    expect(now.md5).not.toBe(snapshot.md5);

    const restored = await restoreAndCompare(manifest, 'moving');
    expect(restored).toEqual(snapshot);
    expect(restored.distinct).toBe(restored.rows);
  });

  it('keeps a busy table consistent with a free-running writer and parts read at once', async () => {
    const snapshotTaken: { md5?: Awaited<ReturnType<typeof orderedMd5>> } = {};
    let stop = false;
    let writes = 0;
    let writer: Promise<void> | undefined;
    const gated = gatedSource(
      {
        connection_string: source.url,
        split_tables_above_bytes: SMALL_SPLIT,
        max_parallel_jobs: 3,
        tables: ['moving'],
      },
      async (_entry, index) => {
        if (index !== 0) {
          // Later parts wait for writes made while earlier ones were read.
          const target = writes + 5;
          while (writes < target) await new Promise((r) => setTimeout(r, 2));
          return;
        }
        writer = withClient(source.url, async (c) => {
          let i = 0;
          while (!stop) {
            i++;
            await c.query('BEGIN');
            await c.query(`UPDATE moving SET pad = repeat('W', 100 + (($1::int * 37) % 900)) WHERE id = $2`, [
              i,
              1 + ((i * 7919) % 19000),
            ]);
            await c.query('DELETE FROM moving WHERE id = $1', [3 + ((i * 104729) % 19000)]);
            await c.query(`INSERT INTO moving VALUES ($1, 1, 'w')`, [500_000 + i]);
            await c.query('COMMIT');
            writes++;
          }
        });
      },
    );
    // The snapshot is the table as it is now: nothing writes until the first part is opened.
    snapshotTaken.md5 = await orderedMd5(source.url, 'moving');
    const manifest = await harness.backup(gated);
    stop = true;
    await writer;
    expect(writes).toBeGreaterThan(5);
    expect(partsOf(tableEntry(manifest, 'public.moving')).length).toBeGreaterThan(4);
    const restored = await restoreAndCompare(manifest, 'moving');
    expect(restored).toEqual(snapshotTaken.md5);
  });

  it('restores TOAST-heavy rows whose out-of-line values change during the backup', async () => {
    const snapshot = await orderedMd5(source.url, 'docs');
    expect(await heapPages(source.url, 'docs')).toBeGreaterThan(2 * PAGES_PER_RANGE);
    const toastBytes = await withClient(source.url, async (c) => {
      const { rows } = await c.query<{ b: string }>(
        `SELECT pg_relation_size(reltoastrelid)::text AS b FROM pg_class WHERE oid = 'docs'::regclass`,
      );
      return Number(rows[0]!.b);
    });
    expect(toastBytes).toBeGreaterThan(10 * 1024 * 1024);
    const gated = gatedSource(
      {
        connection_string: source.url,
        split_tables_above_bytes: SMALL_SPLIT,
        max_parallel_jobs: 2,
        tables: ['docs'],
      },
      async (_entry, index) => {
        await withClient(source.url, (c) =>
          c.query(`UPDATE docs SET body = reverse(body) || 'x' WHERE id % 50 = $1`, [index]),
        );
      },
    );
    const manifest = await harness.backup(gated);
    expect(partsOf(tableEntry(manifest, 'public.docs')).length).toBeGreaterThan(2);
    expect((await orderedMd5(source.url, 'docs')).md5).not.toBe(snapshot.md5);
    expect(await restoreAndCompare(manifest, 'docs')).toEqual(snapshot);
  });

  it('reads rows in pages added between sizing and reading through the open last range', async () => {
    const snapshot = await orderedMd5(source.url, 'growing');
    const pagesAtStart = await heapPages(source.url, 'growing');
    let grownTo = 0;
    const gated = gatedSource(
      {
        connection_string: source.url,
        split_tables_above_bytes: SMALL_SPLIT,
        max_parallel_jobs: 1,
        tables: ['growing'],
      },
      async (_entry, index) => {
        if (index !== 0) return;
        await withClient(source.url, (c) =>
          c.query(`INSERT INTO growing SELECT g, repeat('h', 150) FROM generate_series(100001, 130000) g`),
        );
        grownTo = await heapPages(source.url, 'growing');
      },
    );
    const manifest = await harness.backup(gated);
    const parts = partsOf(tableEntry(manifest, 'public.growing'));
    // Sized before it grew: the last range starts below the old end and has no end.
    expect(parts.at(-1)!.first_page).toBeLessThan(pagesAtStart);
    expect(parts.at(-1)!.end_page).toBeNull();
    expect(grownTo).toBeGreaterThan(pagesAtStart + 2 * PAGES_PER_RANGE);
    expect(await restoreAndCompare(manifest, 'growing')).toEqual(snapshot);
  });
});
