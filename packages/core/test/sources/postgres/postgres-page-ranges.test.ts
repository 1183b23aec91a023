import {
  createPostgresSource,
  createPostgresSourceKind,
  DEFAULT_SPLIT_TABLES_ABOVE_BYTES,
  postgresSourceKind,
  type RestoreTarget,
  runRestore,
} from '@backupkit/core';
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

  it('dedups every range whose pages did not change when rows are appended', async () => {
    const config = {
      connection_string: source.url,
      split_tables_above_bytes: SMALL_SPLIT,
      tables: ['events'],
    };
    const first = await harness.backup(config);
    await withClient(source.url, (c) =>
      c.query(`INSERT INTO events SELECT g, 'new', now(), 'appended' FROM generate_series(30001, 31000) g`),
    );
    try {
      const second = await harness.backup(config, first);
      const [a, b] = [tableEntry(first, 'public.events'), tableEntry(second, 'public.events')];
      expect(partsOf(b).map((p) => p.first_page)).toEqual(partsOf(a).map((p) => p.first_page));
      const slices = (e: typeof a) => {
        let at = 0;
        return e.parts!.map((p) => {
          const ids = e.chunks.slice(at, at + p.chunks).map((c) => c.id);
          at += p.chunks;
          return ids;
        });
      };
      // Every range but the last (where the new rows went) gives the same bytes, so the same chunks.
      expect(slices(b).slice(0, -1)).toEqual(slices(a).slice(0, -1));
      expect(slices(b).at(-1)).not.toEqual(slices(a).at(-1));
      expect(second.totals.new_bytes).toBeLessThan(tableEntry(second, 'public.events').size / 4);
    } finally {
      await withClient(source.url, (c) => c.query('DELETE FROM events WHERE id > 30000'));
    }
  });

  it('works with excludes and selective restore, and loads an existing table in one transaction', async () => {
    const manifest = await harness.backup({
      connection_string: source.url,
      split_tables_above_bytes: SMALL_SPLIT,
      exclude_tables: ['sm*'],
    });
    expect(manifest.entries.map((e) => e.name).sort()).toEqual([
      'public.blobs',
      'public.empty',
      'public.events',
    ]);
    const target = await restoreDb();
    // Only events, created: its parts at once.
    const created = await harness.restore(
      manifest,
      { connection_string: target.url, tables: ['events'] },
      { max_parallel_jobs: 2 },
    );
    expect(created.mostPartsAtOnce).toBe(2);
    expect(created.result.records).toBe(30000);
    const tables = await withClient(target.url, (c) =>
      c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`),
    );
    expect(tables.rows.map((r) => r.t)).toEqual(['events']);
    // Again over the existing (changed) table: replaced in one transaction, so one part at a time.
    await withClient(target.url, (c) => c.query(`UPDATE events SET kind = 'changed' WHERE id < 100`));
    const overwritten = await harness.restore(
      manifest,
      { connection_string: target.url, tables: ['events'], overwrite_existing: true },
      { max_parallel_jobs: 2, verify_after_restore: true },
    );
    expect(overwritten.mostPartsAtOnce).toBe(1);
    expect(overwritten.result.details.verification).toMatchObject({ data_integrity_verified: true });
    expect(await orderedMd5(target.url, 'events')).toEqual(await orderedMd5(source.url, 'events'));
  });

  it('drops the table it created when a part fails to load, and names the table', async () => {
    const manifest = await harness.backup({
      connection_string: source.url,
      split_tables_above_bytes: SMALL_SPLIT,
      tables: ['events'],
    });
    const events = tableEntry(manifest, 'public.events');
    // A part whose row count does not match what was loaded: the load must fail.
    const damaged = {
      ...manifest,
      entries: [
        {
          ...events,
          parts: events.parts!.map((p, i) =>
            i === 2 ? { ...p, metadata: { ...p.metadata, row_count: 1 } } : p,
          ),
        },
      ],
    };
    const target = await restoreDb();
    await expect(
      harness.restore(damaged, { connection_string: target.url }, { max_parallel_jobs: 3 }),
    ).rejects.toMatchObject({
      code: 'integrity_error',
      message: expect.stringMatching(/public\.events.*part 3/),
    });
    const left = await withClient(target.url, (c) => c.query(`SELECT to_regclass('public.events') AS t`));
    expect(left.rows[0].t).toBeNull();
  });

  it('refuses a bad split_tables_above_bytes with invalid_backup_config', () => {
    for (const bad of ['big', -1, 1.5, 4096, true]) {
      expect(() =>
        createPostgresSource({ connection_string: source.url, split_tables_above_bytes: bad }),
      ).toThrow(
        expect.objectContaining({
          code: 'invalid_backup_config',
          message: expect.stringContaining('split_tables_above_bytes'),
        }),
      );
    }
    expect(
      postgresSourceKind.validateSource({ connection_string: source.url, split_tables_above_bytes: 0 }),
    ).toEqual([expect.stringContaining('source.split_tables_above_bytes must be false or an integer')]);
    expect(
      createPostgresSource({ connection_string: source.url, split_tables_above_bytes: false }).describe(),
    ).toMatchObject({ split_tables_above_bytes: false });
    // A service's setting for every job; a source config's own value wins.
    expect(() => createPostgresSourceKind({ split_tables_above_bytes: 12 })).toThrow(
      expect.objectContaining({ code: 'invalid_backup_config' }),
    );
    const kind = createPostgresSourceKind({ split_tables_above_bytes: 8 * SMALL_SPLIT });
    expect(kind.types).toEqual(postgresSourceKind.types);
    expect(kind.createSource({ connection_string: source.url }).describe()).toMatchObject({
      split_tables_above_bytes: 8 * SMALL_SPLIT,
    });
    expect(
      kind.createSource({ connection_string: source.url, split_tables_above_bytes: false }).describe(),
    ).toMatchObject({ split_tables_above_bytes: false });
    expect(createPostgresSource({ connection_string: source.url }).describe()).toMatchObject({
      split_tables_above_bytes: DEFAULT_SPLIT_TABLES_ABOVE_BYTES,
    });
  });

  it('a target that cannot take parts fails with not_implemented before writing anything', async () => {
    const manifest = await harness.backup({
      connection_string: source.url,
      split_tables_above_bytes: SMALL_SPLIT,
      tables: ['events'],
    });
    let written = 0;
    const target: RestoreTarget = {
      parallelism: 1,
      prepare: async () => {},
      restoreEntry: async (entry) => {
        written++;
        return { name: entry.name, records: 0, bytes: 0 };
      },
      finish: async () => ({}),
      close: async () => {},
    };
    await expect(
      runRestore({ repository: await harness.repository(), manifest, target }),
    ).rejects.toMatchObject({ code: 'not_implemented' });
    expect(written).toBe(0);
  });
});
