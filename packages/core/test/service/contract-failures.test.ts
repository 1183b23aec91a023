import { rm } from 'node:fs/promises';
import {
  type BackupService,
  createBackupService,
  createMemoryCatalog,
  LocalKeyProvider,
  type View,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTempDatabase,
  databaseUrl,
  type TempDatabase,
  withClient,
} from '../../../../test-support/postgres.js';
import {
  expectIso,
  expectKeys,
  PRINCIPAL,
  SPEC_KEY_ID,
  specCreateJobBody,
  withSpecPassword,
} from './contract-fixtures.js';
import { tempDir } from './helpers.js';

const SECRET = 'Sup3r_S3cret_pw';

/** How failures look in the status views: an error object, no secret, counted by analytics. */
describe('contract: failed runs and restores in the status views', () => {
  let source: TempDatabase;
  let target: TempDatabase;
  let dataDir: string;
  let service: BackupService;

  beforeAll(async () => {
    source = await createTempDatabase('bk_contract_fail');
    target = await createTempDatabase('bk_contract_fail_dst');
    for (const db of [source, target]) {
      await withClient(db.url, async (client) => {
        await client.query('CREATE TABLE users (id int PRIMARY KEY, email text)');
        await client.query("INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20) g");
      });
    }
    dataDir = await tempDir('contract-fail');
    service = createBackupService({
      catalog: createMemoryCatalog(),
      dataDir,
      secretKey: Buffer.alloc(32, 1),
      keys: new LocalKeyProvider({ [SPEC_KEY_ID]: Buffer.alloc(32, 3) }),
    });
  });

  afterAll(async () => {
    await service?.stop({ cancelRunning: true });
    await source?.drop();
    await target?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const withSecret = (url: string) => withSpecPassword(url).replace(':pass@', `:${SECRET}@`);

  it('a run that cannot reach its database: status failed with an error object, no password anywhere', async () => {
    const missing = withSecret(databaseUrl('bk_contract_no_such_db'));
    const body = { ...specCreateJobBody(missing), schedule: null };
    body.source.tables = ['users'];
    const job = await service.createJob(body, { principal: PRINCIPAL });
    const run = await service.executeJob(job.job_id as string, {}, { principal: PRINCIPAL });
    await service.waitFor(run.execution_id, { timeoutMs: 60_000 });
    const status = await service.getJobStatus(job.job_id as string);
    expect(status).toMatchObject({ status: 'failed', result: null, next_run: null });
    expectIso(status.completed_at);
    expect(typeof status.duration).toBe('number');
    expectKeys(status.error, ['code', 'message']);
    expect(typeof (status.error as View).code).toBe('string');
    expect(((status.error as View).message as string).length).toBeGreaterThan(0);
    expect(JSON.stringify([job, run, status])).not.toContain(SECRET);
    // The job can run again once the failed run ended.
    const again = await service.executeJob(job.job_id as string, {});
    await service.waitFor(again.execution_id, { timeoutMs: 60_000 });
    const analytics = await service.getAnalytics({ job_id: job.job_id });
    expect(analytics.overview).toMatchObject({ total_backups: 2, successful_backups: 0, failed_backups: 2 });
  });

  it('a restore that may not overwrite an existing table: failed, error object, counted', async () => {
    const body = { ...specCreateJobBody(withSecret(source.url)), schedule: null };
    body.source.tables = ['users'];
    // The job's own verification includes a test restore (into <source db>_test_restore).
    body.verification!.test_restore = true;
    const job = await service.createJob(body);
    const run = await service.executeJob(job.job_id as string);
    const status = await service.waitFor(run.execution_id, { timeoutMs: 60_000 });
    expect(status.status, JSON.stringify(status.error)).toBe('completed');
    expect(status.verification).toMatchObject({ status: 'passed', test_restore_verified: true });
    const restore = await service.createRestore({
      backup_id: status.result!.backup_id,
      destination: { type: 'database', connection_string: withSecret(target.url), overwrite_existing: false },
    });
    await service.waitFor(restore.restore_id, { timeoutMs: 60_000 });
    const done = await service.getRestoreStatus(restore.restore_id);
    expect(done).toMatchObject({ status: 'failed', result: null });
    expectIso(done.completed_at);
    expectKeys(done.error, ['code', 'message']);
    expect(JSON.stringify([restore, done])).not.toContain(SECRET);
    const analytics = await service.getAnalytics();
    expect(analytics.overview).toMatchObject({
      total_restores: 1,
      successful_restores: 0,
      failed_restores: 1,
    });
  });
});
