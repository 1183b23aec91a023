import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type BackupService,
  type CreateJobInput,
  createBackupService,
  type JobStatusView,
  LocalKeyProvider,
  type View,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceBlobs, storedChunkIds } from '../../../../test-support/chunk-blobs.js';
import {
  adminQuery,
  createTempDatabase,
  type TempDatabase,
  withClient,
} from '../../../../test-support/postgres.js';
import { treeOf } from './fixtures.js';

const KEY_ID = 'verify_key';
const keys = () => new LocalKeyProvider({ [KEY_ID]: Buffer.alloc(32, 3) });

function open(dataDir: string, extra: Record<string, unknown> = {}): BackupService {
  return createBackupService({
    dataDir,
    keys: keys(),
    secretKey: Buffer.alloc(32, 5),
    progressIntervalMs: 10,
    access: { sourceRoots: [os.tmpdir()], restoreRoots: [os.tmpdir()] },
    ...extra,
  });
}

function fsJob(source: string, extra: Partial<CreateJobInput> = {}): CreateJobInput {
  return {
    job_name: 'Files',
    backup_type: 'incremental',
    source: { type: 'filesystem', path: source },
    destination: { type: 'local', path: 'files' },
    compression: { enabled: true, algorithm: 'zstd', level: 3 },
    encryption: { enabled: true, algorithm: 'AES-256', key_id: KEY_ID },
    ...extra,
  };
}

async function run(service: BackupService, jobId: string): Promise<JobStatusView> {
  const started = await service.executeJob(jobId);
  return service.waitFor(started.execution_id, { timeoutMs: 60_000 });
}

describe('verification and catalog recovery through the service', () => {
  let root: string;
  let source: string;
  let dataDir: string;
  let service: BackupService;
  let jobId: string;
  const backups: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'backupkit-svc-verify-'));
    source = path.join(root, 'source');
    dataDir = path.join(root, 'data');
    await mkdir(path.join(source, 'sub'), { recursive: true });
    await writeFile(path.join(source, 'a.bin'), randomBytes(300_000));
    await writeFile(path.join(source, 'sub', 'b.txt'), 'b\n'.repeat(50_000));
    service = open(dataDir);
    const job = await service.createJob(
      fsJob(source, {
        verification: {
          enabled: true,
          checksum_verification: true,
          integrity_check: true,
          test_restore: true,
        },
      }),
    );
    jobId = String(job.job_id);
    for (let i = 0; i < 2; i++) {
      await writeFile(path.join(source, `run-${i}.txt`), `run ${i}\n`.repeat(10_000));
      const status = await run(service, jobId);
      expect(status.status, JSON.stringify(status)).toBe('completed');
      backups.push(String((status.result as View).backup_id));
    }
  });
  afterAll(async () => {
    await service.stop({ cancelRunning: true }).catch(() => {});
    await rm(root, { recursive: true, force: true });
  });

  it("runs the job's verification settings after each backup and shows them in the job status", async () => {
    const status = await service.getJobStatus(jobId);
    expect(status.verification).toMatchObject({
      status: 'passed',
      checksum_verified: true,
      integrity_verified: true,
      test_restore_verified: true,
      verified_at: expect.any(String),
    });
  });

  it('records progress, result and the damaged object of a verification in backup_verifications', async () => {
    const started = await service.verifyBackup(backups[1]!, { verification_type: 'quick' });
    const clean = await service.waitFor(started.verification_id);
    expect(clean).toMatchObject({ status: 'passed', progress: 100 });
    expect(clean.result).toMatchObject({ checksum_verified: true, integrity_verified: false, damaged: [] });

    // One stored chunk goes missing: its pack rewritten without it, its neighbours kept.
    const store = path.join(dataDir, 'storage', 'files');
    const [chunk] = [...(await storedChunkIds(store, keys()))].sort();
    const putBack = await replaceBlobs(store, new Map([[chunk!, null]]), keys());
    try {
      expect(await storedChunkIds(store, keys())).not.toContain(chunk);
      const again = await service.verifyBackup(backups[1]!, { verification_type: 'quick' });
      const failed = await service.getVerification(String(again.verification_id));
      const done = failed.status === 'running' ? await service.waitFor(again.verification_id) : failed;
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/^integrity_error: 1 damaged object\(s\)/);
      expect(done.result?.error).toEqual({
        code: 'integrity_error',
        message: expect.stringMatching(/^1 damaged object\(s\), first: .+ \(missing\)/),
        details: {
          backup_id: backups[1],
          damaged_objects: 1,
          first: { object: expect.any(String), kind: 'chunk', problem: 'missing' },
        },
      });
      const damaged = (done.result as { damaged: View[] }).damaged;
      expect(damaged).toEqual([
        expect.objectContaining({ chunk_id: chunk, problem: 'missing', found_by: 'checksum' }),
      ]);
      expect((damaged[0]!.entries as string[]).length).toBeGreaterThan(0);
    } finally {
      await putBack();
    }

    // Read-data subsets rotate from one verification of the backup to the next.
    const buckets: number[] = [];
    for (let i = 0; i < 3; i++) {
      const sample = await service.verifyBackup(backups[1]!, { verification_type: '50%' });
      const done = await service.waitFor(sample.verification_id);
      expect(done.status).toBe('passed');
      buckets.push(Number(done.result?.read_data?.bucket));
    }
    expect(buckets).toEqual([0, 1, 0]);
  });

  it('loses its catalog, rebuilds from storage: same backups listed, newest restores identically', async () => {
    const before = ((await service.listBackups({ job_id: jobId })).files as View[])
      .map((f) => f.backup_id)
      .sort();
    expect(before).toEqual([...backups].sort());
    await service.stop();
    for (const name of await readdir(dataDir)) {
      if (name.startsWith('catalog.db')) await rm(path.join(dataDir, name), { force: true });
    }

    service = open(dataDir, { recoveryDestinations: [{ type: 'local', path: 'files' }] });
    const listed = (await service.listBackups({})).files;
    expect(listed.map((f) => f.backup_id).sort()).toEqual(before);
    const newest = [...listed].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)))[0]!;
    expect(newest.backup_id).toBe(backups[1]);
    const target = path.join(root, 'restored');
    const restore = await service.createRestore({
      restore_name: 'after catalog loss',
      backup_id: newest.backup_id,
      destination: { type: 'filesystem', path: target },
    });
    const restored = await service.waitFor(restore.restore_id);
    expect(restored.status, JSON.stringify(restored)).toBe('completed');
    expect(await treeOf(target)).toEqual(await treeOf(source));
    await service.stop();

    // A fresh catalog that is asked for a backup by id finds it in storage on its own.
    for (const name of await readdir(dataDir)) {
      if (name.startsWith('catalog.db')) await rm(path.join(dataDir, name), { force: true });
    }
    service = open(dataDir, { recoveryDestinations: [{ type: 'local', path: 'files' }] });
    const verify = await service.verifyBackup(backups[0]!, { verification_type: 'full' });
    expect((await service.waitFor(verify.verification_id)).status).toBe('passed');
    // Only that backup was looked up; an explicit rebuild adds the rest, and is idempotent.
    const rebuilt = await service.rebuildCatalog!();
    expect(rebuilt).toMatchObject({ inserted: [backups[1]], unreachable: [] });
    expect(await service.rebuildCatalog!()).toMatchObject({ inserted: [] });
    const job = await service.getJob(jobId);
    expect(job).toMatchObject({ status: 'paused', created_by: 'backupkit:rebuild-catalog' });
  });
});

describe('test_restore of a PostgreSQL backup through the service', () => {
  let db: TempDatabase;
  let root: string;
  let service: BackupService;

  beforeAll(async () => {
    db = await createTempDatabase('bk_svc_verify');
    await withClient(db.url, (c) =>
      c.query(`CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);
               INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 2000) g;
               CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES users(id), total numeric(10,2));
               INSERT INTO orders (user_id, total) SELECT 1 + g % 2000, g / 7.0 FROM generate_series(1, 5000) g;`),
    );
    root = await mkdtemp(path.join(os.tmpdir(), 'backupkit-svc-pgverify-'));
    service = open(root);
  });
  afterAll(async () => {
    await service.stop({ cancelRunning: true }).catch(() => {});
    await db.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('creates the test database, compares with the manifest, and drops it', async () => {
    const job = await service.createJob({
      job_name: 'Database',
      backup_type: 'full',
      source: { type: 'database', connection_string: db.url },
      destination: { type: 'local', path: 'pg' },
      compression: { enabled: true, algorithm: 'zstd', level: 3 },
      encryption: { enabled: true, algorithm: 'AES-256', key_id: KEY_ID },
      verification: { enabled: false },
    });
    const status = await run(service, String(job.job_id));
    expect(status.status, JSON.stringify(status)).toBe('completed');
    const testDatabase = `${db.name}_t`;
    const started = await service.verifyBackup(String((status.result as View).backup_id), {
      verification_type: 'full',
      test_restore: true,
      test_restore_options: {
        test_database: testDatabase,
        test_tables: ['users', 'orders'],
        cleanup_after_test: true,
      },
    });
    const done = await service.waitFor(started.verification_id);
    expect(done.status, JSON.stringify(done)).toBe('passed');
    expect(done.result).toMatchObject({
      test_restore_verified: true,
      test_restore: {
        kind: 'postgres',
        target: testDatabase,
        created_target: true,
        cleaned_up: true,
        records_restored: 7000,
      },
    });
    expect(JSON.stringify(done)).not.toContain(db.url);
    const exists = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [testDatabase]);
    expect(exists.rowCount).toBe(0);
  });
});
