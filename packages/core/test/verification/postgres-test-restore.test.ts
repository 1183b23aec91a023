import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createPostgresSource,
  LocalKeyProvider,
  LocalStorageDriver,
  type Manifest,
  Repository,
  type VerifyBackupOptions,
  verifyBackupData,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOnDisk, flipBlobByte } from '../../../../test-support/chunk-blobs.js';
import {
  adminQuery,
  createTempDatabase,
  dropDatabase,
  type TempDatabase,
  withClient,
} from '../../../../test-support/postgres.js';
import { backup } from './fixtures.js';

const WITH_TEST_RESTORE: VerifyBackupOptions = {
  verification_type: 'full',
  checksum_verification: true,
  integrity_check: true,
  test_restore: true,
};

async function databaseExists(name: string): Promise<boolean> {
  const { rowCount } = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return (rowCount ?? 0) > 0;
}

describe('test_restore on a PostgreSQL backup', () => {
  let source: TempDatabase;
  let root: string;
  let repository: Repository;
  let manifest: Manifest;
  const made: string[] = [];
  const keys = new LocalKeyProvider({ main: randomBytes(32) });

  beforeAll(async () => {
    source = await createTempDatabase('bk_verify_src');
    await withClient(source.url, async (client) => {
      await client.query(`
        CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, note text);
        CREATE TABLE deliveries (id bigserial PRIMARY KEY, user_id int REFERENCES users(id), address text, weight numeric(8,2));
        CREATE TABLE payments (id serial PRIMARY KEY, amount numeric(10,2));
        INSERT INTO users (email, note) SELECT 'u' || g || '@example.com', repeat('x', g % 50) FROM generate_series(1, 3000) g;
        INSERT INTO deliveries (user_id, address, weight) SELECT 1 + g % 3000, 'street ' || g, (g % 1000) / 10.0 FROM generate_series(1, 8000) g;
        INSERT INTO payments (amount) SELECT g FROM generate_series(1, 500) g;
      `);
    });
    root = await mkdtemp(path.join(tmpdir(), 'backupkit-verify-pg-'));
    repository = await Repository.open(new LocalStorageDriver({ root }), {
      keyProvider: keys,
      encryption: { enabled: true, keyId: 'main' },
      create: true,
    });
    manifest = await backup(
      { repository },
      createPostgresSource({ connection_string: source.url }),
      null,
      'job_pg',
    );
  });

  afterAll(async () => {
    for (const name of made) await dropDatabase(name);
    await source?.drop();
    await rm(root, { recursive: true, force: true });
  });

  const verify = (options: Partial<VerifyBackupOptions>, connectionString = source.url) =>
    verifyBackupData({
      repository,
      backupId: manifest.backup_id,
      options: { ...WITH_TEST_RESTORE, ...options },
      sourceConfig: { type: 'database', connection_string: connectionString },
    });

  it('creates the test database, restores test_tables, compares rows and checksums, and drops it', async () => {
    const name = `bk_verify_t_${randomBytes(4).toString('hex')}`;
    made.push(name);
    const result = await verify({
      test_restore_options: {
        test_database: name,
        test_tables: ['users', 'deliveries'],
        cleanup_after_test: true,
      },
    });
    expect(result.error).toBeNull();
    expect(result.status).toBe('passed');
    expect(result).toMatchObject({
      checksum_verified: true,
      integrity_verified: true,
      test_restore_verified: true,
    });
    expect(result.test_restore).toMatchObject({
      kind: 'postgres',
      target: name,
      created_target: true,
      cleaned_up: true,
      entries_restored: 2,
      records_restored: 11_000,
      mismatches: [],
    });
    expect(result.test_restore!.compared.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'public.deliveries', expected_rows: 8000, rows: 8000, matched: true },
      { name: 'public.users', expected_rows: 3000, rows: 3000, matched: true },
    ]);
    expect(await databaseExists(name)).toBe(false);
  });

  it('keeps what it made without cleanup_after_test, and a second run into the kept tables refuses to overwrite', async () => {
    const name = `bk_verify_k_${randomBytes(4).toString('hex')}`;
    made.push(name);
    const result = await verify({
      integrity_check: false,
      test_restore_options: { test_database: name, test_tables: ['payments'], cleanup_after_test: false },
    });
    expect(result.status).toBe('passed');
    expect(result.test_restore).toMatchObject({ created_target: true, cleaned_up: false });
    const url = source.url.replace(source.name, name);
    const counted = await withClient(url, (c) =>
      c.query('SELECT count(*)::int AS n, sum(amount)::text AS s FROM public.payments'),
    );
    expect(counted.rows[0]).toEqual({ n: 500, s: '125250.00' });

    // The database exists now and holds payments: never overwritten, reported as an error.
    const again = await verify({
      integrity_check: false,
      test_restore_options: { test_database: name, test_tables: ['payments'], cleanup_after_test: true },
    });
    expect(again.status).toBe('error');
    expect(again.error?.code).toBe('table_exists');
    expect(again.checks.test_restore).toBe('error');

    // In an existing database, cleanup drops only the tables the test restore created.
    await withClient(url, (c) => c.query('CREATE TABLE keep_me (id int)'));
    const third = await verify({
      integrity_check: false,
      test_restore_options: { test_database: name, test_tables: ['users'], cleanup_after_test: true },
    });
    expect(third.status).toBe('passed');
    expect(third.test_restore).toMatchObject({ created_target: false, cleaned_up: true });
    const left = await withClient(url, (c) =>
      c.query<{ relname: string }>(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1",
      ),
    );
    expect(left.rows.map((r) => r.relname)).toEqual(['keep_me', 'payments']);
  });

  it('reports a table whose restored rows differ from what the manifest says, and still cleans up', async () => {
    const name = `bk_verify_m_${randomBytes(4).toString('hex')}`;
    made.push(name);
    // A manifest claiming one row more than the data holds (as a buggy writer would have left it).
    const claimed = structuredClone(manifest);
    const users = claimed.entries.find((e) => e.name === 'public.users')!;
    users.metadata = { ...users.metadata, row_count: 3001 };
    const result = await verifyBackupData({
      repository,
      backupId: manifest.backup_id,
      manifest: claimed,
      options: {
        ...WITH_TEST_RESTORE,
        checksum_verification: false,
        integrity_check: false,
        test_restore_options: { test_database: name, test_tables: ['users'] },
      },
      sourceConfig: { connection_string: source.url },
    });
    expect(result.status).toBe('failed');
    expect(result.checks.test_restore).toBe('failed');
    expect(result.test_restore_verified).toBe(false);
    expect(result.test_restore!.compared).toEqual([
      { name: 'public.users', expected_rows: 3001, rows: 3000, matched: false },
    ]);
    expect(result.damaged).toEqual([
      expect.objectContaining({
        kind: 'entry',
        object: 'public.users',
        problem: 'restore_mismatch',
        found_by: 'test_restore',
      }),
    ]);
    expect(await databaseExists(name)).toBe(false);
  });

  it('a damaged chunk of a table is named with its table, and no test restore runs on a damaged backup', async () => {
    const deliveries = manifest.entries.find((e) => e.name === 'public.deliveries')!;
    const id = deliveries.chunks[0]!.id;
    const { file } = await blobOnDisk(root, id, keys);
    const original = await readFile(file);
    await flipBlobByte(root, id, { keyProvider: keys, at: 40 });
    try {
      // The integrity check on its own (the checksum check would name the chunk first).
      const result = await verify({
        checksum_verification: false,
        test_restore_options: { test_database: `bk_verify_d_${randomBytes(4).toString('hex')}` },
      });
      expect(result.status).toBe('failed');
      expect(result.damaged).toEqual([
        expect.objectContaining({
          chunk_id: id,
          problem: 'corrupt',
          entries: ['public.deliveries'],
          found_by: 'integrity',
        }),
      ]);
      expect(result.checks.test_restore).toBe('skipped');
      expect(result.test_restore).toBeNull();
      // The stored-bytes checksum recorded at backup time catches it too, naming the table.
      const checked = await verify({
        test_restore_options: { test_database: `bk_verify_d_${randomBytes(4).toString('hex')}` },
      });
      expect(checked.damaged).toEqual([
        expect.objectContaining({
          chunk_id: id,
          problem: 'checksum_mismatch',
          entries: ['public.deliveries'],
          found_by: 'checksum',
        }),
      ]);
      expect(checked.checks.test_restore).toBe('skipped');
    } finally {
      await writeFile(file, original);
    }
  });

  it('never restores into the source database, and validates the name', async () => {
    for (const test_database of [source.name, 'bad name; DROP DATABASE x', 'template1']) {
      const result = await verify({ integrity_check: false, test_restore_options: { test_database } });
      expect(result.status).toBe('error');
      expect(result.error?.code).toBe('invalid_request');
    }
    const unknown = await verify({
      integrity_check: false,
      test_restore_options: { test_tables: ['no_such_table'] },
    });
    expect(unknown.error?.code).toBe('table_not_found');
    const noSecret = await verifyBackupData({
      repository,
      backupId: manifest.backup_id,
      options: { ...WITH_TEST_RESTORE, integrity_check: false },
    });
    expect(noSecret.error?.code).toBe('invalid_request');
    // Source untouched throughout.
    const rows = await withClient(source.url, (c) => c.query('SELECT count(*)::int AS n FROM users'));
    expect(rows.rows[0]).toEqual({ n: 3000 });
  });
});
