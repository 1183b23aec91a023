import type { Manifest, ManifestEntry } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../../test-support/postgres.js';
import type { TableSchema } from '../../../src/sources/postgres/schema-types.js';
import {
  type ColumnStatistics,
  parentEstimate,
  relationEstimate,
  statisticsEstimate,
} from '../../../src/sources/postgres/size-estimate.js';
import { EngineHarness } from './pg-engine-helpers.js';

/** Tables shaped like the benchmark's: text COPY (numbers, times, jsonb) and binary COPY (bytea). */
const SQL = `
CREATE TABLE people (id int PRIMARY KEY, name text, born timestamptz, balance numeric(12,2),
                     active boolean, profile jsonb, note text);
INSERT INTO people SELECT g, 'person ' || g, timestamptz '2001-01-01' + g * interval '37 minutes',
       round((random() * 10000)::numeric, 2), g % 3 = 0,
       jsonb_build_object('tier', g % 5, 'tags', jsonb_build_array('a' || g % 7, 'b'), 'zip', lpad(g::text, 5, '0')),
       CASE WHEN g % 2 = 0 THEN repeat('x', g % 60) END
  FROM generate_series(1, 40000) g;
CREATE TABLE blobs (id int PRIMARY KEY, at timestamptz, data bytea);
INSERT INTO blobs SELECT g, now(), convert_to(repeat('blob ' || g, 40), 'UTF8') FROM generate_series(1, 4000) g;
`;

const within = (estimate: number, actual: number, share: number) =>
  expect(Math.abs(estimate - actual) / actual, `${estimate} against ${actual}`).toBeLessThanOrEqual(share);

describe('COPY size estimates', () => {
  let db: TempDatabase;
  let harness: EngineHarness;

  beforeAll(async () => {
    db = await createTempDatabase('bk_size_est');
    harness = await EngineHarness.create();
  });

  afterAll(async () => {
    await harness?.dispose();
    await db?.drop();
  });

  const entries = (manifest: Manifest) => new Map(manifest.entries.map((e) => [e.name, e]));
  const estimated = (entry: ManifestEntry) => (entry.metadata as unknown as TableSchema).estimated_bytes;

  it('without statistics, the relation size scaled; with them, within 5% of what COPY gives (text and binary)', async () => {
    await withClient(db.url, (c) => c.query(SQL));
    const unanalyzed = entries(await harness.backup({ connection_string: db.url }));
    for (const entry of unanalyzed.values()) {
      const meta = entry.metadata as unknown as TableSchema;
      expect(meta.estimated_bytes).toBe(relationEstimate(meta.relation_bytes!));
    }
    await withClient(db.url, (c) => c.query('ANALYZE'));
    const analyzed = entries(await harness.backup({ connection_string: db.url }));
    expect((analyzed.get('public.blobs')!.metadata as unknown as TableSchema).copy_format).toBe('binary');
    for (const entry of analyzed.values()) within(estimated(entry), entry.size, 0.05);
  });

  it('arrays, enums, domains and composites are estimated from their stored widths', async () => {
    await withClient(db.url, (c) =>
      c.query(`CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TYPE pair AS (a int, b text);
               CREATE DOMAIN posint AS int CHECK (VALUE > 0);
               CREATE TABLE odd (id posint, tags int[], m mood, p pair, ranges int4range[]);
               INSERT INTO odd SELECT g, ARRAY[g, g + 1], 'ok', ROW(g, 'x' || g)::pair, ARRAY[int4range(g, g + 5)]
                 FROM generate_series(1, 5000) g;
               ANALYZE odd`),
    );
    const manifest = await harness.backup({ connection_string: db.url, tables: ['odd'] });
    const odd = manifest.entries[0]!;
    expect(estimated(odd)).toBeGreaterThan(0);
    within(estimated(odd), odd.size, 0.5);
  });

  it('with a previous backup, its size of the table grown as the relation grew', async () => {
    const first = await harness.backup({ connection_string: db.url });
    await withClient(db.url, (c) =>
      c.query(`INSERT INTO people SELECT g, 'person ' || g, now(), 1.5, true, '{}', NULL
                 FROM generate_series(40001, 60000) g`),
    );
    const second = entries(await harness.backup({ connection_string: db.url }, first));
    const before = entries(first).get('public.people')!;
    const people = second.get('public.people')!;
    const meta = people.metadata as unknown as TableSchema;
    const grown =
      before.size * (meta.relation_bytes! / (before.metadata as unknown as TableSchema).relation_bytes!);
    expect(meta.estimated_bytes).toBe(Math.round(grown));
    within(meta.estimated_bytes, people.size, 0.15);
    // The unchanged table: exactly its size last time.
    expect(estimated(second.get('public.blobs')!)).toBe(entries(first).get('public.blobs')!.size);
  });
});

describe('statisticsEstimate and parentEstimate', () => {
  const column = (over: Partial<ColumnStatistics>): ColumnStatistics => ({
    type: 'text',
    length: -1,
    avgWidth: 11,
    nullFraction: 0,
    printedWidth: null,
    ...over,
  });

  it('prices text rows by printed widths and binary rows by stored widths', () => {
    const columns = [
      column({ type: 'int4', length: 4, avgWidth: 4, printedWidth: 5 }),
      column({ type: 'text', avgWidth: 11 }),
      column({ type: 'timestamptz', length: 8, avgWidth: 8, nullFraction: 0.5, printedWidth: 22 }),
    ];
    // Text: 5 + 10 + half of 22 and half of `\N`, and a separator or newline per column.
    expect(statisticsEstimate(columns, 1_000, 'text')).toBe(1_000 * (5 + 10 + 11 + 1 + 3));
    // Binary: a 2-byte field count, 4-byte lengths, fixed widths, the text less its header.
    expect(statisticsEstimate(columns, 1_000, 'binary')).toBe(1_000 * (2 + 12 + 4 + 10 + 4) + 21);
    expect(statisticsEstimate([column({ avgWidth: null })], 10, 'text')).toBeNull();
  });

  it('takes the previous size only for the same table in the same format', () => {
    const table = {
      copy_format: 'text',
      relation_bytes: 2_000,
      estimated_bytes: 0,
    } as unknown as TableSchema;
    const parent = (metadata: Record<string, unknown>) =>
      ({ name: 'public.t', kind: 'table', size: 500, chunks: [], metadata }) as ManifestEntry;
    expect(parentEstimate(parent({ relation_bytes: 1_000 }), table)).toBe(1_000);
    // Backups from before relation_bytes kept the relation size in estimated_bytes.
    expect(parentEstimate(parent({ estimated_bytes: 4_000 }), table)).toBe(250);
    expect(parentEstimate(parent({ copy_format: 'binary', relation_bytes: 1_000 }), table)).toBeNull();
    expect(parentEstimate(undefined, table)).toBeNull();
  });
});
