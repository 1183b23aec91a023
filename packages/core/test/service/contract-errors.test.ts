import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  type BackupService,
  type CreateJobInput,
  createBackupService,
  createMemoryCatalog,
  LocalKeyProvider,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEC_CUSTOM_KEY_ID, SPEC_KEY_ID, specCreateJobBody, specRestoreBody } from './contract-fixtures.js';
import { TEMP_ACCESS, tempDir } from './helpers.js';

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; details: Record<string, unknown> }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').not.toBeNull();
  return error as { code: string; details: Record<string, unknown> };
}

/** A job that needs no database: the example job body with a filesystem source. */
function fsBody(dir: string) {
  return {
    ...specCreateJobBody('postgresql://u:pass@127.0.0.1:5432/x'),
    source: { type: 'filesystem', path: dir },
  };
}

describe('contract: documented errors', () => {
  let dataDir: string;
  // The service never reads its own data directory: sources live beside it.
  let sourceDir: string;
  let service: BackupService;

  beforeAll(async () => {
    dataDir = await tempDir('contract-errors');
    sourceDir = await tempDir('contract-errors-src');
    service = createBackupService({
      // A registered object store (never reached: these jobs are refused or never run).
      storage: { drivers: { s3: () => Promise.reject(new Error('not used')) } },
      catalog: createMemoryCatalog(),
      dataDir,
      access: TEMP_ACCESS,
      secretKey: Buffer.alloc(32, 1),
      keys: new LocalKeyProvider({
        [SPEC_KEY_ID]: Buffer.alloc(32, 3),
        [SPEC_CUSTOM_KEY_ID]: Buffer.alloc(32, 4),
      }),
    });
  });

  afterAll(async () => {
    await service?.stop({ cancelRunning: true });
    await rm(dataDir, { recursive: true, force: true });
    await rm(sourceDir, { recursive: true, force: true });
  });

  it('unknown ids: *_not_found naming the id', async () => {
    const cases: Array<[Promise<unknown>, string, Record<string, string>]> = [
      [service.getJob('job_nope'), 'job_not_found', { job_id: 'job_nope' }],
      [service.updateJob('job_nope', { job_name: 'x' }), 'job_not_found', { job_id: 'job_nope' }],
      [service.deleteJob('job_nope'), 'job_not_found', { job_id: 'job_nope' }],
      [service.executeJob('job_nope', {}), 'job_not_found', { job_id: 'job_nope' }],
      [service.getJobStatus('job_nope'), 'job_not_found', { job_id: 'job_nope' }],
      [service.listExecutions('job_nope'), 'job_not_found', { job_id: 'job_nope' }],
      [service.applyRetention('job_nope', { dry_run: true }), 'job_not_found', { job_id: 'job_nope' }],
      [service.cancelExecution('exec_nope'), 'execution_not_found', { execution_id: 'exec_nope' }],
      [service.getRestoreStatus('restore_nope'), 'restore_not_found', { restore_id: 'restore_nope' }],
      [service.verifyBackup('backup_nope', {}), 'backup_not_found', { backup_id: 'backup_nope' }],
      [service.getVerification('verify_nope'), 'verification_not_found', { verification_id: 'verify_nope' }],
      [
        service.createRestore(
          specRestoreBody('backup_nope', 'postgresql://u:p@h/db', 'postgresql://u:p@h/db2'),
        ),
        'backup_not_found',
        { backup_id: 'backup_nope' },
      ],
    ];
    for (const [promise, code, details] of cases) {
      const error = await failure(promise);
      expect(error.code).toBe(code);
      expect(error.details).toEqual(details);
    }
  });

  it('an execution id of another job is execution_not_found', async () => {
    const job = await service.createJob(fsBody(sourceDir));
    const error = await failure(service.getJobStatus(job.job_id as string, { execution_id: 'exec_nope' }));
    expect(error).toMatchObject({ code: 'execution_not_found', details: { execution_id: 'exec_nope' } });
  });

  it('validation_failed lists every problem as readable strings', async () => {
    // @ts-expect-error: plain JavaScript callers may send anything; the service says what is missing.
    const error = await failure(service.createJob({}));
    expect(error.code).toBe('validation_failed');
    expect(error.details.issues).toEqual(
      expect.arrayContaining([
        'Missing required field: job_name',
        'Missing required field: source',
        'Missing required field: destination',
      ]),
    );
    const { job_name: _omit, ...withoutName } = fsBody(sourceDir);
    const many = await failure(
      // @ts-expect-error: missing job_name and an unknown field, on purpose.
      service.createJob({ ...withoutName, schedule: { frequency: 'sometimes' }, bogus: 1 }),
    );
    expect(many.code).toBe('validation_failed');
    const issues = many.details.issues as string[];
    expect(issues).toContain('Missing required field: job_name');
    expect(issues.some((i) => i.startsWith('Invalid schedule configuration'))).toBe(true);
    expect(issues).toContain('Unknown field: bogus');
    for (const issue of issues) expect(typeof issue).toBe('string');
  });

  it('a body that is not an object is validation_failed, not a crash', async () => {
    for (const body of [null, 'x', 42, []]) {
      // @ts-expect-error: not an object, on purpose.
      const error = await failure(service.createJob(body));
      expect(error.code).toBe('validation_failed');
    }
  });

  it('unknown fields are rejected with a clear issue in every request body', async () => {
    const job = await service.createJob(fsBody(sourceDir));
    const execute = await failure(
      // @ts-expect-error: an unknown field, on purpose.
      service.executeJob(job.job_id, { execution_options: { turbo: true } }),
    );
    expect(execute).toMatchObject({
      code: 'validation_failed',
      details: { issues: [expect.stringContaining('execution_options.turbo')] },
    });
    // @ts-expect-error: an unknown field, on purpose.
    const verify = await failure(service.verifyBackup('backup_nope', { deep: true }));
    expect(verify.code).toBe('validation_failed');
    expect(verify.details.issues).toEqual([expect.stringContaining('deep')]);
  });

  it('well-formed but unusable configuration is invalid_backup_config {field, issue}', async () => {
    const base = fsBody(sourceDir);
    const cases: Array<[CreateJobInput, string]> = [
      [{ ...base, source: { type: 'mongodb', uri: 'mongodb://x' } }, 'source.type'],
      [{ ...base, destination: { type: 'ftp', path: 'x' } }, 'destination.type'],
      [
        { ...base, encryption: { enabled: true, algorithm: 'AES-256', key_id: 'no_such_key' } },
        'encryption.key_id',
      ],
      [
        { ...base, schedule: { frequency: 'daily', time: '02:00', timezone: 'Mars/Olympus_Mons' } },
        'schedule.timezone',
      ],
      [{ ...base, schedule: { frequency: '61 * * * *', timezone: 'UTC' } }, 'schedule.frequency'],
      [{ ...base, destination: { type: 'local', path: '../../outside' } }, 'destination.path'],
      [{ ...base, destination: { type: 's3', bucket: 'b', path: 'db/../../other' } }, 'destination.path'],
    ];
    for (const [body, field] of cases) {
      const error = await failure(service.createJob(body));
      expect({ field, code: error.code }).toEqual({ field, code: 'invalid_backup_config' });
      expect(error.details.field).toBe(field);
      expect(typeof error.details.issue).toBe('string');
      expect((error.details.issue as string).length).toBeGreaterThan(0);
    }
    const job = await service.createJob(base);
    const custom = await failure(
      service.executeJob(job.job_id as string, { custom_parameters: { encryption_key: 'no_such_key' } }),
    );
    expect(custom).toMatchObject({
      code: 'invalid_backup_config',
      details: { field: 'custom_parameters.encryption_key', issue: expect.any(String) },
    });
    // Nothing was created by the rejected calls.
    const listing = await service.listJobs();
    expect(listing.total).toBe(3);
  });

  it('cron expressions and every preset frequency are accepted', async () => {
    const base = fsBody(path.join(sourceDir, 'none'));
    for (const schedule of [
      { frequency: 'hourly', time: '00:15' },
      { frequency: 'weekly', time: '03:00', day_of_week: 1, timezone: 'Europe/Berlin' },
      { frequency: 'monthly', time: '04:00', day_of_month: 31 },
      { frequency: '*/30 * * * *', timezone: 'Asia/Tokyo' },
    ]) {
      const job = await service.createJob({ ...base, schedule });
      expect(typeof job.next_run).toBe('string');
      await service.deleteJob(job.job_id as string);
    }
  });
});
