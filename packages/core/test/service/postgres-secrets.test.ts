import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  type BackupService,
  createBackupService,
  LocalStorageDriver,
  Repository,
  type View,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../test-support/postgres.js';
import { KEY_ID, tempDir, testKeys } from './helpers.js';

const SENTINEL = 'S3ntinel_Pw_4f9c2a';

function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = SENTINEL;
  return parsed.toString().replace(/^postgres:/, 'postgresql:');
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

describe('PostgreSQL jobs: secrets never leak; custom_parameters apply to one run', () => {
  let source: TempDatabase;
  let target: TempDatabase;
  let dataDir: string;
  let service: BackupService;
  const seen: string[] = [];
  const record = <T>(value: T): T => {
    seen.push(JSON.stringify(value, (_k, v) => (v instanceof Error ? { ...v, message: v.message } : v)));
    return value;
  };

  beforeAll(async () => {
    source = await createTempDatabase('bk_svc_src');
    target = await createTempDatabase('bk_svc_dst');
    await withClient(source.url, async (client) => {
      await client.query('CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL)');
      await client.query(
        'CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users(id), total numeric)',
      );
      await client.query("INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, 500) g");
      await client.query(
        'INSERT INTO orders (user_id, total) SELECT g, g * 1.5 FROM generate_series(1, 500) g',
      );
    });
    dataDir = await tempDir('pg-svc');
    // Default catalog: SQLite at <dataDir>/catalog.db.
    service = createBackupService({ dataDir, keys: testKeys(), progressIntervalMs: 20 });
    for (const name of [
      'execution.started',
      'execution.progress',
      'execution.completed',
      'execution.failed',
      'restore.started',
      'restore.completed',
      'restore.failed',
      'verification.completed',
      'verification.failed',
    ] as const) {
      service.on(name, (event: unknown) => record(event));
    }
  });

  afterAll(async () => {
    await service.stop({ cancelRunning: true });
    await source.drop();
    await target.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs with per-run overrides once, then with the job settings', async () => {
    const job = record(
      await service.createJob({
        job_name: 'Database',
        backup_type: 'full',
        source: {
          type: 'database',
          connection_string: withPassword(source.url),
          tables: ['users', 'orders'],
        },
        destination: { type: 'local', path: 'db' },
        compression: { enabled: true, algorithm: 'zstd', level: 3 },
        encryption: { enabled: true, algorithm: 'AES-256', key_id: KEY_ID },
      }),
    );
    expect((job.source as Record<string, unknown>).connection_string).toBe(
      `postgresql://postgres:***@127.0.0.1:5432/${source.name}`,
    );
    const jobId = String(job.job_id);

    const custom = record(
      await service.executeJob(jobId, {
        execution_options: { priority: 'high', skip_verification: true },
        custom_parameters: { tables: ['users'], compression_level: 9, encryption_key: 'other_key' },
      }),
    );
    expect(custom.custom_parameters).toEqual({
      tables: ['users'],
      compression_level: 9,
      encryption_key: 'other_key',
    });
    const first = record(await service.waitFor(custom.execution_id));
    expect(first.status).toBe('completed');
    expect(first.verification).toMatchObject({ status: 'not_verified', verified_at: null });

    const plain = record(await service.executeJob(jobId));
    const second = record(await service.waitFor(plain.execution_id));
    expect(second.status).toBe('completed');
    expect(second.verification).toMatchObject({ status: 'passed' });

    const driver = new LocalStorageDriver({ root: path.join(dataDir, 'storage', 'db') });
    const repository = await Repository.open(driver, { keyProvider: testKeys() });
    const m1 = await repository.readManifest(String((first.result as View).backup_id));
    const m2 = await repository.readManifest(String((second.result as View).backup_id));
    seen.push(JSON.stringify(m1), JSON.stringify(m2));
    expect(m1.entries.map((e) => e.name)).toEqual(['public.users']);
    expect(m1.compression).toEqual({ algorithm: 'zstd', level: 9 });
    expect(m1.encryption.key_id).toBe('other_key');
    expect(m2.entries.map((e) => e.name).sort()).toEqual(['public.orders', 'public.users']);
    expect(m2.compression).toEqual({ algorithm: 'zstd', level: 3 });
    expect(m2.encryption.key_id).toBe(KEY_ID);
    expect(record(await service.getJob(jobId)).job_name).toBe('Database');

    // An unknown key id for one run is a config error; nothing runs.
    await expect(
      service.executeJob(jobId, { custom_parameters: { encryption_key: 'missing_key' } }),
    ).rejects.toMatchObject({
      code: 'invalid_backup_config',
      details: { field: 'custom_parameters.encryption_key' },
    });
    await expect(
      service.executeJob(jobId, { custom_parameters: { compression_level: 25 } }),
    ).rejects.toMatchObject({
      code: 'invalid_backup_config',
      details: { field: 'custom_parameters.compression_level' },
    });

    // Restore into another database (its connection string carries the sentinel too).
    const restore = record(
      await service.createRestore({
        restore_name: 'copy',
        backup_id: second.result!.backup_id,
        source: { type: 'database', connection_string: withPassword(source.url) },
        destination: {
          type: 'database',
          connection_string: withPassword(target.url),
          overwrite_existing: true,
          create_missing_tables: true,
        },
      }),
    );
    expect((restore.destination as View).connection_string).toBe(
      `postgresql://postgres:***@127.0.0.1:5432/${target.name}`,
    );
    const restored = record(await service.waitFor(restore.restore_id));
    expect(restored).toMatchObject({
      status: 'completed',
      result: { tables_restored: 2, records_restored: 1000 },
    });
    const count = await withClient(target.url, (c) => c.query('SELECT count(*)::int AS n FROM users'));
    expect(count.rows[0].n).toBe(500);

    // A selection restores only what it names (schema-less table names match public.*).
    const partial = record(
      await service.createRestore({
        backup_id: second.result!.backup_id,
        destination: {
          type: 'postgres',
          connection_string: withPassword(target.url),
          tables: ['orders'],
          overwrite_existing: true,
        },
      }),
    );
    const partialDone = record(await service.waitFor(partial.restore_id));
    expect(partialDone).toMatchObject({
      status: 'completed',
      result: { tables_restored: 1, records_restored: 500 },
    });

    // A failing run (database that does not exist) reports without the password.
    const broken = record(
      await service.createJob({
        job_name: 'Broken',
        source: { type: 'postgres', connection_string: withPassword(`${source.url}_missing`) },
        destination: { type: 'local', path: 'broken' },
      }),
    );
    const failed = record(
      await service.waitFor(record(await service.executeJob(String(broken.job_id))).execution_id),
    );
    expect(failed.status).toBe('failed');
    expect((failed.error as View).code).toBeTruthy();

    for (const view of [
      await service.listJobs(),
      await service.listBackups(),
      await service.listExecutions(jobId),
      await service.getJobStatus(jobId),
      await service.getRestoreStatus(String(restore.restore_id)),
      await service.getAnalytics(),
    ]) {
      record(view);
    }

    for (const text of seen) expect(text).not.toContain(SENTINEL);
    // Catalog bytes (SQLite file and its WAL) and everything in storage.
    await service.stop();
    const files = [...(await filesUnder(dataDir))];
    expect(files.some((f) => f.endsWith('catalog.db'))).toBe(true);
    for (const file of files) {
      expect((await readFile(file)).includes(Buffer.from(SENTINEL)), file).toBe(false);
    }
  });
});
