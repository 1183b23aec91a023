import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../../test-support/postgres.js';
import { EngineHarness } from './pg-engine-helpers.js';
import { FIXTURE_SQL, FIXTURE_TABLES, tableDigest, tableObjects } from './pg-test-helpers.js';

describe('postgres through the engine (chunks, zstd, local repository)', () => {
  let source: TempDatabase;
  let harness: EngineHarness;
  const dbs: TempDatabase[] = [];

  beforeAll(async () => {
    source = await createTempDatabase('bk_pg_src');
    await withClient(source.url, (c) => c.query(FIXTURE_SQL));
    harness = await EngineHarness.create();
  });
  afterAll(async () => {
    for (const db of [source, ...dbs]) await db?.drop();
    await harness?.dispose();
  });

  it('backs up and restores the fixture with every type, constraint, index and sequence', async () => {
    const manifest = await harness.backup({ connection_string: source.url });
    expect(manifest.entries.map((e) => e.name).sort()).toEqual(FIXTURE_TABLES);
    // No secret in the manifest; the source is described with the password masked.
    expect(JSON.stringify(manifest)).not.toContain('password=');
    const target = await createTempDatabase('bk_pg_dst');
    dbs.push(target);
    const result = await harness.restore(
      manifest,
      { connection_string: target.url },
      { verify_after_restore: true, parallel_restore: true, max_parallel_jobs: 4 },
    );
    expect(result.records).toBe(250);
    expect(result.details).toMatchObject({
      tables_restored: 5,
      records_restored: 250,
      verification: { status: 'passed', data_integrity_verified: true },
      constraints_verified: true,
      indexes_verified: true,
    });
    for (const table of FIXTURE_TABLES) {
      expect(await tableDigest(target.url, table), table).toEqual(await tableDigest(source.url, table));
      expect(await tableObjects(target.url, table), table).toEqual(await tableObjects(source.url, table));
    }
  });
});
