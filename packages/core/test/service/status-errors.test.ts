import { rm } from 'node:fs/promises';
import {
  BackupError,
  type BackupService,
  createBackupService,
  createMemoryCatalog,
  filesystemSourceKind,
  postgresSourceKind,
  type SourceKind,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../test-support/postgres.js';
import { KEY_ID, TEMP_ACCESS, tempDir, testKeys } from './helpers.js';

const SECRET = 'Hunter2_correct_horse';

/** A source whose every run fails with details that quote its password. */
const leakyKind: SourceKind = {
  types: ['leaky'],
  validateSource: () => [],
  createSource: (config) => ({
    type: 'leaky',
    describe: () => ({ type: 'leaky' }),
    open: async () => {
      const url = `postgresql://app:${String(config.password)}@db.internal/app`;
      throw new BackupError('source_unreachable', `Cannot reach ${url}`, {
        details: { url, password: config.password, attempts: [{ host: 'db.internal', said: `bad ${url}` }] },
      });
    },
  }),
  createRestoreTarget: (destination, options) =>
    filesystemSourceKind.createRestoreTarget(destination, options),
};

/** Failed executions and restores keep what happened: code, message and details, secret-free. */
describe('status views keep the error details', () => {
  let source: TempDatabase;
  let dataDir: string;
  let service: BackupService;
  let backupId: string;
  const failures: Array<{ id: string; error: Error }> = [];

  beforeAll(async () => {
    source = await createTempDatabase('bk_status_err');
    await withClient(source.url, (c) =>
      c.query('CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users SELECT generate_series(1, 10)'),
    );
    dataDir = await tempDir('status-errors');
    service = createBackupService({
      catalog: createMemoryCatalog(),
      dataDir,
      keys: testKeys(),
      secretKey: Buffer.alloc(32, 1),
      access: TEMP_ACCESS,
      sources: [postgresSourceKind, filesystemSourceKind, leakyKind],
    });
    for (const name of ['execution.failed', 'restore.failed'] as const) {
      service.on(name, (event) => failures.push({ id: event.id, error: event.error }));
    }
    const job = await service.createJob({
      job_name: 'users',
      backup_type: 'full',
      source: { type: 'database', connection_string: source.url },
      destination: { type: 'local', path: 'status-errors' },
      encryption: { enabled: true, key_id: KEY_ID },
    });
    const run = await service.executeJob(job.job_id);
    const done = await service.waitFor(run.execution_id, { timeoutMs: 60_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    backupId = done.result!.backup_id;
  });

  afterAll(async () => {
    await service?.stop({ cancelRunning: true });
    await source?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const eventError = (id: string) => {
    const error = failures.find((f) => f.id === id)?.error as BackupError | undefined;
    return error && { code: error.code, message: error.message, details: error.details };
  };

  it('a restore of a table the backup lacks says so, naming the field, in its status and its event', async () => {
    const target = await createTempDatabase('bk_status_err_dst');
    try {
      const restore = await service.createRestore({
        backup_id: backupId,
        destination: { type: 'database', connection_string: target.url, tables: ['orders'] },
      });
      const done = await service.waitFor(restore.restore_id, { timeoutMs: 60_000 });
      const issue = `None of the requested tables is in backup ${backupId}`;
      const expected = {
        code: 'invalid_backup_config',
        message: `Invalid backup configuration: ${issue}`,
        details: { field: 'destination.tables', issue },
      };
      expect(done).toMatchObject({ status: 'failed', result: null, estimated_completion: null });
      expect(done.error).toEqual(expected);
      expect(eventError(restore.restore_id)).toEqual(expected);
    } finally {
      await target.drop();
    }
  });

  it('a run that names an unknown table keeps the table in its details', async () => {
    const job = await service.createJob({
      job_name: 'unknown table',
      backup_type: 'full',
      source: { type: 'database', connection_string: source.url },
      destination: { type: 'local', path: 'status-errors-2' },
    });
    const run = await service.executeJob(job.job_id, { custom_parameters: { tables: ['public.nope'] } });
    const done = await service.waitFor(run.execution_id, { timeoutMs: 60_000 });
    const expected = {
      code: 'table_not_found',
      message: 'Unknown table(s): public.nope',
      details: { tables: ['public.nope'] },
    };
    expect(done.status).toBe('failed');
    expect(done.error).toEqual(expected);
    expect((await service.getJobStatus(job.job_id)).error).toEqual(expected);
    const listed = await service.listExecutions(job.job_id);
    expect(listed.executions[0]!.error).toEqual(expected);
    expect(eventError(run.execution_id)).toEqual(expected);
  });

  it('details go through the same scrubbing as the message: no secret in the status or the event', async () => {
    const job = await service.createJob({
      job_name: 'leaky',
      backup_type: 'full',
      source: { type: 'leaky', password: SECRET },
      destination: { type: 'local', path: 'status-errors-3' },
    });
    const run = await service.executeJob(job.job_id);
    const done = await service.waitFor(run.execution_id, { timeoutMs: 60_000 });
    expect(done.status).toBe('failed');
    const masked = 'postgresql://app:***@db.internal/app';
    const expected = {
      code: 'source_unreachable',
      message: `Cannot reach ${masked}`,
      details: { url: masked, password: '***', attempts: [{ host: 'db.internal', said: `bad ${masked}` }] },
    };
    expect(done.error).toEqual(expected);
    expect(eventError(run.execution_id)).toEqual(expected);
    expect(JSON.stringify([done, failures.map((f) => eventError(f.id))])).not.toContain(SECRET);
  });
});
