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

  it('pins each table by its chunk list, and verify_after_restore compares restored data with it', async () => {
    const plain = await createTempDatabase('bk_pg_src');
    dbs.push(plain);
    const table = `CREATE TABLE notes (id int PRIMARY KEY, body text)`;
    await withClient(plain.url, (c) =>
      c.query(
        `${table}; INSERT INTO notes SELECT g, repeat('note ' || g, 20) FROM generate_series(1, 5000) g`,
      ),
    );
    const manifest = await harness.backup({ connection_string: plain.url });
    const [entry] = manifest.entries;
    expect(entry!.sha256).toBeUndefined();
    expect(entry!.chunks.length).toBeGreaterThan(0);
    expect(entry!.metadata.checksum).toEqual({ algorithm: 'chunk-ids', of: 'copy-text' });

    const intact = await createTempDatabase('bk_pg_dst');
    dbs.push(intact);
    const ok = await harness.restore(
      manifest,
      { connection_string: intact.url },
      { verify_after_restore: true },
    );
    expect(ok.details).toMatchObject({ verification: { status: 'passed', data_integrity_verified: true } });

    // This target changes one value on the way in: same row count, other content.
    const tampered = await createTempDatabase('bk_pg_dst');
    dbs.push(tampered);
    await withClient(tampered.url, (c) =>
      c.query(`${table};
               CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS
                 $$BEGIN IF NEW.id = 4000 THEN NEW.body := NEW.body || '!'; END IF; RETURN NEW; END$$;
               CREATE TRIGGER tamper BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION tamper()`),
    );
    const destination = { connection_string: tampered.url, overwrite_existing: true };
    await expect(
      harness.restore(manifest, destination, { verify_after_restore: true }),
    ).rejects.toMatchObject({
      code: 'integrity_error',
      details: {
        mismatches: [
          {
            table: 'public.notes',
            reason: expect.stringMatching(/^content differs from the backup from byte \d+ on$/),
          },
        ],
      },
    });
  });
});
