import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../../test-support/postgres.js';
import {
  heapPages,
  orderedMd5,
  PAGES_PER_RANGE,
  PartsHarness,
  partsOf,
  SMALL_SPLIT,
  tableEntry,
} from './page-range-helpers.js';

describe('postgres: big tables read and restored as page ranges', () => {
  let source: TempDatabase;
  let harness: PartsHarness;
  const restores: TempDatabase[] = [];

  beforeAll(async () => {
    source = await createTempDatabase('bk_pg_ranges');
    harness = await PartsHarness.create();
    await withClient(source.url, (c) =>
      c.query(`
        CREATE TABLE events (id int PRIMARY KEY, kind text NOT NULL, at timestamptz, body text);
        CREATE INDEX events_kind ON events (kind);
        INSERT INTO events
          SELECT g, 'k' || (g % 7), timestamptz '2024-01-01' + g * interval '1 minute', repeat(md5(g::text), 3)
            FROM generate_series(1, 30000) g;
        CREATE TABLE small (id int PRIMARY KEY, v text);
        INSERT INTO small SELECT g, md5(g::text) FROM generate_series(1, 100) g;
        CREATE TABLE empty (id int PRIMARY KEY, v text);
        CREATE TABLE blobs (id int PRIMARY KEY, at timestamptz, data bytea);
        INSERT INTO blobs SELECT g, timestamptz '2024-01-01' + g * interval '1 s', decode(repeat(md5(g::text), 4), 'hex')
          FROM generate_series(1, 20000) g;`),
    );
    await withClient(source.url, (c) => c.query('VACUUM ANALYZE'));
  });
  afterAll(async () => {
    for (const db of restores) await db.drop();
    await source?.drop();
    await harness?.dispose();
  });

  const restoreDb = async (): Promise<TempDatabase> => {
    const db = await createTempDatabase('bk_pg_ranges_r');
    restores.push(db);
    return db;
  };

  it('splits tables over the threshold into fixed page ranges and restores their parts at once', async () => {
    const pages = await heapPages(source.url, 'events');
    expect(pages).toBeGreaterThan(3 * PAGES_PER_RANGE);
    const manifest = await harness.backup({
      connection_string: source.url,
      split_tables_above_bytes: SMALL_SPLIT,
      max_parallel_jobs: 3,
    });
    const events = tableEntry(manifest, 'public.events');
    const parts = partsOf(events);
    expect(parts).toHaveLength(Math.ceil(pages / PAGES_PER_RANGE));
    parts.forEach((part, i) => {
      expect(part.first_page).toBe(i * PAGES_PER_RANGE);
      expect(part.end_page).toBe(i === parts.length - 1 ? null : (i + 1) * PAGES_PER_RANGE);
    });
    expect(parts.reduce((sum, p) => sum + p.row_count, 0)).toBe(30000);
    expect(events.metadata.row_count).toBe(30000);
    expect(events.parts!.reduce((sum, p) => sum + p.chunks, 0)).toBe(events.chunks.length);
    expect(events.parts!.reduce((sum, p) => sum + p.size, 0)).toBe(events.size);
    expect(events.sha256).toBeUndefined();
    // Below the threshold, and empty: one stream as before.
    expect(tableEntry(manifest, 'public.small').parts).toBeUndefined();
    expect(tableEntry(manifest, 'public.empty').parts).toBeUndefined();
    // bytea: binary COPY, in parts too.
    const blobs = tableEntry(manifest, 'public.blobs');
    expect(blobs.metadata.copy_format).toBe('binary');
    expect(blobs.parts!.length).toBeGreaterThan(1);

    const target = await restoreDb();
    const { result, mostPartsAtOnce } = await harness.restore(
      manifest,
      { connection_string: target.url },
      { max_parallel_jobs: 3, verify_after_restore: true },
    );
    expect(mostPartsAtOnce).toBeGreaterThan(1);
    expect(result.details.verification).toMatchObject({
      data_integrity_verified: true,
      indexes_verified: true,
    });
    for (const table of ['events', 'small', 'empty', 'blobs']) {
      expect(await orderedMd5(target.url, table)).toEqual(await orderedMd5(source.url, table));
    }
    const indexes = await withClient(target.url, (c) =>
      c.query<{ name: string }>(
        `SELECT indexname AS name FROM pg_indexes WHERE tablename = 'events' ORDER BY 1`,
      ),
    );
    expect(indexes.rows.map((r) => r.name)).toEqual(['events_kind', 'events_pkey']);
  });
});
