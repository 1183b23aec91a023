import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../../test-support/postgres.js';
import { EngineHarness } from './pg-engine-helpers.js';
import { tableDigest } from './pg-test-helpers.js';

const ROWS = 300_000;

describe('postgres backups deduplicate across runs', () => {
  let db: TempDatabase;
  let harness: EngineHarness;
  const dbs: TempDatabase[] = [];

  beforeAll(async () => {
    db = await createTempDatabase('bk_pg_dedup');
    // 256 KiB chunks for a 44 MB table: the changed region (~6% of it) spans many chunks, so
    // the share stored does not hang on where one 1 MiB boundary falls — with keyed chunking,
    // a new repository's boundaries are its data key's, different on every run.
    harness = await EngineHarness.create({
      chunker: {
        algorithm: 'fastcdc-gear-v1',
        minSize: 64 * 1024,
        avgSize: 256 * 1024,
        maxSize: 1024 * 1024,
      },
    });
    await withClient(db.url, (c) =>
      c.query(`
        CREATE TABLE events (id bigserial PRIMARY KEY, account int NOT NULL, kind text NOT NULL,
                             payload text, created_at timestamptz NOT NULL);
        CREATE TABLE accounts (id int PRIMARY KEY, name text);
        INSERT INTO accounts SELECT i, 'account ' || i FROM generate_series(1, 1000) i;
        INSERT INTO events (account, kind, payload, created_at)
        SELECT 1 + ((i::bigint * 7919) % 1000)::int, (ARRAY['click','view','buy','refund'])[1 + i % 4],
               md5(i::text) || ' ' || md5((i * 31)::text) || ' ' || repeat(chr(97 + i % 26), 40),
               timestamptz '2025-01-01' + i * interval '1 second'
          FROM generate_series(1, ${ROWS}) i;`),
    );
  });
  afterAll(async () => {
    for (const d of [db, ...dbs]) await d?.drop();
    await harness?.dispose();
  });

  it('stores under 10% of the first backup after 1% appends and 1% updates among the newest 5%', async () => {
    const config = { connection_string: db.url };
    const first = await harness.backup(config);
    await withClient(db.url, (c) =>
      c.query(`
        INSERT INTO events (account, kind, payload, created_at)
        SELECT 1 + ((i::bigint * 7919) % 1000)::int, (ARRAY['click','view','buy','refund'])[1 + i % 4],
               md5(i::text) || ' ' || md5((i * 31)::text) || ' ' || repeat(chr(97 + i % 26), 40),
               timestamptz '2025-01-01' + i * interval '1 second'
          FROM generate_series(${ROWS + 1}, ${ROWS + ROWS / 100}) i;
        UPDATE events SET kind = 'updated', payload = payload || ' (edited)'
         WHERE id IN (SELECT id FROM events WHERE id <= ${ROWS} AND id > ${ROWS * 0.95}
                      ORDER BY md5(id::text) LIMIT ${ROWS / 100});`),
    );
    const second = await harness.backup(config, first);
    const storedRatio = second.totals.stored_bytes / first.totals.stored_bytes;
    const newRatio = second.totals.new_bytes / first.totals.new_bytes;
    console.log(
      `[dedup] OLTP shape: first ${first.totals.stored_bytes} B stored (${first.totals.logical_bytes} B logical, ` +
        `${first.totals.chunks} chunks); second stores ${second.totals.stored_bytes} B = ` +
        `${(storedRatio * 100).toFixed(1)}% (new plaintext ${(newRatio * 100).toFixed(1)}%, ` +
        `${second.totals.new_chunks}/${second.totals.chunks} chunks new)`,
    );
    expect(storedRatio).toBeLessThan(0.1);

    // The deduplicated backup is complete on its own.
    const target = await createTempDatabase('bk_pg_dst');
    dbs.push(target);
    await harness.restore(second, { connection_string: target.url }, { verify_after_restore: true });
    expect(await tableDigest(target.url, 'events')).toEqual(await tableDigest(db.url, 'events'));

    // Uniformly spread updates move rows all over the heap: measured and reported, not promised.
    await withClient(db.url, (c) =>
      c.query(`UPDATE events SET kind = 'spread' WHERE id IN
                 (SELECT id FROM events ORDER BY md5(id::text || 'x') LIMIT ${ROWS / 100})`),
    );
    const third = await harness.backup(config, second);
    const spreadRatio = third.totals.stored_bytes / first.totals.stored_bytes;
    console.log(
      `[dedup] uniform 1% updates: third stores ${third.totals.stored_bytes} B = ${(spreadRatio * 100).toFixed(1)}% ` +
        `of the first (${third.totals.new_chunks}/${third.totals.chunks} chunks new)`,
    );
    expect(third.entries.find((e) => e.name === 'public.events')!.metadata.row_count).toBe(ROWS + ROWS / 100);
    expect(third.totals.new_chunks).toBeGreaterThan(0);
  });
});
