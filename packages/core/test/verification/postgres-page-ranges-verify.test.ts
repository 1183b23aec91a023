import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createPostgresSource,
  LocalKeyProvider,
  LocalStorageDriver,
  type Manifest,
  Repository,
  verifyBackupData,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTempDatabase,
  dropDatabase,
  type TempDatabase,
  withClient,
} from '../../../../test-support/postgres.js';
import { backup } from './fixtures.js';

describe('verification of a backup with tables read as page ranges', () => {
  let source: TempDatabase;
  let root: string;
  let repository: Repository;
  let manifest: Manifest;
  const made: string[] = [];

  beforeAll(async () => {
    source = await createTempDatabase('bk_verify_ranges');
    await withClient(source.url, (c) =>
      c.query(`
        CREATE TABLE audit (id bigint PRIMARY KEY, at timestamptz NOT NULL, actor text, detail text);
        INSERT INTO audit SELECT g, timestamptz '2024-01-01' + g * interval '1 s', 'user' || g % 97, repeat(md5(g::text), 2)
          FROM generate_series(1, 25000) g;`),
    );
    root = await mkdtemp(path.join(tmpdir(), 'backupkit-verify-ranges-'));
    repository = await Repository.open(new LocalStorageDriver({ root }), {
      keyProvider: new LocalKeyProvider({ main: randomBytes(32) }),
      encryption: { enabled: true, keyId: 'main' },
      create: true,
    });
    manifest = await backup(
      { repository },
      createPostgresSource({ connection_string: source.url, split_tables_above_bytes: 1024 * 1024 }),
      null,
      'job_ranges',
    );
  });
  afterAll(async () => {
    for (const name of made) await dropDatabase(name);
    await source?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('checks every chunk and test-restores the parts as one table: rows and content compared', async () => {
    const audit = manifest.entries.find((e) => e.name === 'public.audit')!;
    expect(audit.parts!.length).toBeGreaterThan(2);
    const name = `bk_verify_r_${randomBytes(4).toString('hex')}`;
    made.push(name);
    const result = await verifyBackupData({
      repository,
      backupId: manifest.backup_id,
      options: {
        verification_type: 'full',
        checksum_verification: true,
        integrity_check: true,
        test_restore: true,
        test_restore_options: { test_database: name, cleanup_after_test: true },
      },
      sourceConfig: { type: 'database', connection_string: source.url },
    });
    expect(result.error).toBeNull();
    expect(result).toMatchObject({
      status: 'passed',
      checksum_verified: true,
      integrity_verified: true,
      test_restore_verified: true,
    });
    expect(result.test_restore).toMatchObject({
      entries_restored: 1,
      records_restored: 25000,
      mismatches: [],
    });
    expect(result.test_restore!.compared).toEqual([
      { name: 'public.audit', expected_rows: 25000, rows: 25000, matched: true },
    ]);
  });
});
