import { rm } from 'node:fs/promises';
import { type BackupService, createBackupService, LocalKeyProvider, type View } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../test-support/postgres.js';
import {
  expectIso,
  expectIsoOrNull,
  expectKeys,
  expectProgress,
  masked,
  PRINCIPAL,
  SPEC_CUSTOM_KEY_ID,
  SPEC_KEY_ID,
  specCreateJobBody,
  specExecuteBody,
  specRestoreBody,
  specVerifyBody,
  withSpecPassword,
} from './contract-fixtures.js';
import { tempDir } from './helpers.js';

/**
 * The spec's eight endpoints, driven with the spec's own example bodies against real
 * PostgreSQL; every documented response field is checked by name, type and meaning.
 */
describe('contract: the spec examples end to end (PostgreSQL → local)', () => {
  let source: TempDatabase;
  let target: TempDatabase;
  let dataDir: string;
  let service: BackupService;
  let sourceUrl: string;
  let targetUrl: string;
  let job: View;
  let execution: View;
  let status: View;
  let backupId: string;

  beforeAll(async () => {
    source = await createTempDatabase('bk_contract_src');
    target = await createTempDatabase('bk_contract_dst');
    sourceUrl = withSpecPassword(source.url);
    targetUrl = withSpecPassword(target.url);
    await withClient(source.url, async (client) => {
      await client.query(`
        CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
        CREATE TABLE deliveries (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users(id),
          status text NOT NULL DEFAULT 'pending', created_at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX deliveries_status_idx ON deliveries (status);
        CREATE TABLE payments (id serial PRIMARY KEY, delivery_id int REFERENCES deliveries(id),
          amount numeric(10,2) CHECK (amount > 0));
        CREATE TABLE temp_sessions (id int);
        CREATE TABLE log_events (id int, line text);
        INSERT INTO users (email, name) SELECT 'u' || g || '@x.test', 'User ' || g FROM generate_series(1, 300) g;
        INSERT INTO deliveries (user_id, status) SELECT 1 + (g % 300), 'done' FROM generate_series(1, 600) g;
        INSERT INTO payments (delivery_id, amount) SELECT g, g * 1.25 FROM generate_series(1, 600) g;
        INSERT INTO temp_sessions SELECT generate_series(1, 10);
        INSERT INTO log_events SELECT g, 'line' FROM generate_series(1, 10) g;
      `);
    });
    dataDir = await tempDir('contract');
    service = createBackupService({
      dataDir,
      keys: new LocalKeyProvider({
        [SPEC_KEY_ID]: Buffer.alloc(32, 3),
        [SPEC_CUSTOM_KEY_ID]: Buffer.alloc(32, 4),
      }),
      progressIntervalMs: 20,
    });
  });

  afterAll(async () => {
    await service?.stop({ cancelRunning: true });
    await source?.drop();
    await target?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('1. createJob echoes every request field and adds job_id, status, created_*, last_run, next_run', async () => {
    const body = specCreateJobBody(sourceUrl);
    const before = Date.now();
    job = await service.createJob(body, { principal: PRINCIPAL });
    expect(job.job_id).toEqual(expect.stringMatching(/^job_[A-Za-z0-9_-]+$/));
    for (const key of [
      'job_name',
      'description',
      'backup_type',
      'destination',
      'schedule',
      'retention',
      'compression',
      'encryption',
      'verification',
      'notifications',
    ] as const) {
      expect(job[key], key).toEqual(body[key]);
    }
    expect(job.source).toEqual({ ...body.source, connection_string: masked(sourceUrl) });
    expect(JSON.stringify(job)).not.toContain(':pass@');
    expect(job.status).toBe('active');
    expectIso(job.created_at);
    expect(Date.parse(job.created_at as string)).toBeGreaterThanOrEqual(before - 1000);
    // The principal, not the body's created_by.
    expect(job.created_by).toBe(PRINCIPAL);
    expect(job.last_run).toBeNull();
    expectIso(job.next_run);
    const next = new Date(job.next_run as string);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'America/Toronto',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(next);
    expect(local).toBe('02:00');
  });

  it('1b. without a principal, created_by is the body field', async () => {
    const other = await service.createJob({ ...specCreateJobBody(sourceUrl), job_name: 'No principal' });
    expect(other.created_by).toBe('admin_123456789');
    await service.deleteJob(other.job_id as string);
  });

  it('2. executeJob returns the run with options (defaults filled) and executed_by', async () => {
    const body = specExecuteBody();
    execution = await service.executeJob(job.job_id as string, body, { principal: PRINCIPAL });
    expectKeys(execution, [
      'execution_id',
      'job_id',
      'status',
      'progress',
      'started_at',
      'estimated_completion',
      'execution_options',
      'custom_parameters',
      'executed_by',
    ]);
    expect(execution.execution_id).toEqual(expect.stringMatching(/^exec_/));
    expect(execution.job_id).toBe(job.job_id);
    expect(['running', 'queued']).toContain(execution.status);
    expect(execution.progress).toBe(0);
    expectIso(execution.started_at);
    expectIso(execution.estimated_completion);
    expect(Date.parse(execution.estimated_completion as string)).toBeGreaterThanOrEqual(
      Date.parse(execution.started_at as string),
    );
    expect(execution.execution_options).toEqual(body.execution_options);
    expect(execution.custom_parameters).toEqual(body.custom_parameters);
    expect(execution.executed_by).toBe(PRINCIPAL);
  });

  it('2b. a second run while the first one runs is execution_in_progress', async () => {
    const error = await service.executeJob(job.job_id as string, {}, { principal: PRINCIPAL }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'execution_in_progress',
      details: expect.objectContaining({ job_id: job.job_id }),
    });
  });

  it('3. getJobStatus reports the finished run with result, verification, error null, next_run', async () => {
    await service.waitFor(execution.execution_id as string, { timeoutMs: 60_000 });
    status = await service.getJobStatus(job.job_id as string);
    expectKeys(status, [
      'job_id',
      'status',
      'execution_id',
      'progress',
      'started_at',
      'completed_at',
      'duration',
      'result',
      'verification',
      'error',
      'next_run',
    ]);
    expect(status.error).toBeNull();
    expect(status.status).toBe('completed');
    expect(status.execution_id).toBe(execution.execution_id);
    expect(status.progress).toBe(100);
    expectIso(status.started_at);
    expectIso(status.completed_at);
    expect(typeof status.duration).toBe('number');
    expect(status.duration as number).toBeGreaterThanOrEqual(0);
    const result = status.result as View;
    expectKeys(result, [
      'backup_id',
      'file_path',
      'file_size',
      'compression_ratio',
      'encryption',
      'checksum',
      'created_at',
    ]);
    expect(result.backup_id).toEqual(expect.stringMatching(/^backup_/));
    expect(typeof result.file_path).toBe('string');
    expect(Number.isInteger(result.file_size)).toBe(true);
    expect(result.file_size as number).toBeGreaterThan(0);
    expect(typeof result.compression_ratio).toBe('number');
    expect(result.compression_ratio as number).toBeGreaterThan(0);
    expect(result.compression_ratio as number).toBeLessThan(1);
    expect(result.encryption).toBe('AES-256');
    expect(result.checksum).toEqual(expect.stringMatching(/^sha256:[0-9a-f]{64}$/));
    expectIso(result.created_at);
    const verification = status.verification as View;
    expectKeys(verification, [
      'status',
      'checksum_verified',
      'integrity_verified',
      'test_restore_verified',
      'verified_at',
    ]);
    expect(verification.status).toBe('passed');
    expect(verification.checksum_verified).toBe(true);
    expect(verification.integrity_verified).toBe(true);
    expect(verification.test_restore_verified).toBe(false);
    expectIso(verification.verified_at);
    expect(status.next_run).toBe(job.next_run);
    backupId = result.backup_id as string;
    // last_run is recorded on the job.
    expectIso((await service.getJob(job.job_id as string)).last_run);
  });

  it('4. listBackups with the spec query (strings, as a URL gives them)', async () => {
    const listing = await service.listBackups({
      job_id: job.job_id,
      backup_type: 'full',
      status: 'completed',
      limit: '50',
      offset: '0',
    });
    expect(listing.total).toBe(1);
    expect(listing.limit).toBe(50);
    expect(listing.offset).toBe(0);
    expect(listing.filters).toEqual({ job_id: job.job_id, backup_type: 'full', status: 'completed' });
    const files = listing.files as View[];
    expect(files).toHaveLength(1);
    const file = files[0]!;
    expectKeys(file, [
      'backup_id',
      'job_id',
      'job_name',
      'backup_type',
      'file_path',
      'file_size',
      'compression_ratio',
      'encryption',
      'checksum',
      'status',
      'created_at',
      'verified_at',
      'retention_until',
    ]);
    expect(file).toMatchObject({
      backup_id: backupId,
      job_id: job.job_id,
      job_name: 'Daily Database Backup',
      backup_type: 'full',
      status: 'completed',
      encryption: 'AES-256',
    });
    const result = status.result as View;
    expect(file.file_path).toBe(result.file_path);
    expect(file.file_size).toBe(result.file_size);
    expect(file.checksum).toBe(result.checksum);
    expectIso(file.verified_at);
    expectIso(file.retention_until);
    expect(Date.parse(file.retention_until as string)).toBeGreaterThan(Date.parse(file.created_at as string));
    // Defaults without a query.
    const all = await service.listBackups();
    expect(all).toMatchObject({ total: 1, limit: 50, offset: 0 });
  });

  it('5+6. createRestore echoes the request; getRestoreStatus reports result and verification', async () => {
    const body = specRestoreBody(backupId, sourceUrl, targetUrl);
    const restore = await service.createRestore(body, { principal: PRINCIPAL });
    expect(restore.restore_id).toEqual(expect.stringMatching(/^restore_/));
    for (const key of [
      'restore_name',
      'description',
      'backup_id',
      'restore_options',
      'notifications',
    ] as const)
      expect(restore[key], key).toEqual(body[key]);
    expect(restore.source).toEqual({ ...body.source, connection_string: masked(sourceUrl) });
    expect(restore.destination).toEqual({ ...body.destination, connection_string: masked(targetUrl) });
    expect(restore.status).toBe('queued');
    expectIso(restore.created_at);
    expect(restore.created_by).toBe(PRINCIPAL);
    expect(restore.started_at).toBeNull();
    expect(restore.completed_at).toBeNull();
    expect(JSON.stringify(restore)).not.toContain(':pass@');

    await service.waitFor(restore.restore_id as string, { timeoutMs: 60_000 });
    const done = await service.getRestoreStatus(restore.restore_id as string);
    expectKeys(done, [
      'restore_id',
      'status',
      'progress',
      'started_at',
      'completed_at',
      'duration',
      'result',
      'verification',
      'error',
    ]);
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ restore_id: restore.restore_id, status: 'completed', progress: 100 });
    expectIso(done.started_at);
    expectIso(done.completed_at);
    expect(typeof done.duration).toBe('number');
    const result = done.result as View;
    expectKeys(result, ['tables_restored', 'records_restored', 'data_size', 'restored_at']);
    // The run's custom_parameters.tables backed up users and deliveries only.
    expect(result.tables_restored).toBe(2);
    expect(result.records_restored).toBe(900);
    expect(Number.isInteger(result.data_size)).toBe(true);
    expect(result.data_size as number).toBeGreaterThan(0);
    expectIso(result.restored_at);
    // payments was not in this run's backup: skipped with a warning, not a failed restore.
    expect(result.warnings).toEqual([expect.stringContaining('payments')]);
    const verification = done.verification as View;
    expectKeys(verification, [
      'status',
      'data_integrity_verified',
      'constraints_verified',
      'indexes_verified',
      'verified_at',
    ]);
    expect(verification).toMatchObject({
      status: 'passed',
      data_integrity_verified: true,
      constraints_verified: true,
      indexes_verified: true,
    });
    expectIso(verification.verified_at);
    const counts = await withClient(target.url, async (client) => {
      const users = await client.query('SELECT count(*)::int AS n FROM users');
      const deliveries = await client.query('SELECT count(*)::int AS n FROM deliveries');
      return [users.rows[0].n, deliveries.rows[0].n];
    });
    expect(counts).toEqual([300, 600]);
  });

  it('7. verifyBackup accepts the spec body and answers with the spec fields', async () => {
    const body = specVerifyBody();
    const started = await service.verifyBackup(backupId, body, { principal: PRINCIPAL });
    expectKeys(started, [
      'verification_id',
      'backup_id',
      'verification_type',
      'status',
      'progress',
      'started_at',
      'estimated_completion',
      'checksum_verification',
      'integrity_check',
      'test_restore',
      'test_restore_options',
    ]);
    expect(started.verification_id).toEqual(expect.stringMatching(/^verify_/));
    expect(started).toMatchObject({
      backup_id: backupId,
      verification_type: 'full',
      checksum_verification: true,
      integrity_check: true,
      test_restore: true,
      test_restore_options: body.test_restore_options,
    });
    expect(['queued', 'running']).toContain(started.status);
    expectProgress(started.progress);
    expectIso(started.started_at);
    expectIso(started.estimated_completion);
    const done = await service.waitFor(started.verification_id as string, { timeoutMs: 60_000 });
    expect(done.status).toBe('passed');
    const again = await service.getVerification(started.verification_id as string);
    expect(again).toMatchObject({
      verification_id: started.verification_id,
      status: 'passed',
      progress: 100,
    });
  });

  it('8. getAnalytics with the spec query has every documented field', async () => {
    const analytics = await service.getAnalytics({
      date_from: '2024-01-01T00:00:00Z',
      date_to: new Date(Date.now() + 86_400_000).toISOString(),
      job_id: job.job_id,
    });
    expectKeys(analytics, [
      'overview',
      'job_breakdown',
      'backup_types',
      'storage_breakdown',
      'time_series',
      'generated_at',
    ]);
    const overview = analytics.overview as View;
    expectKeys(overview, [
      'total_jobs',
      'active_jobs',
      'total_backups',
      'successful_backups',
      'failed_backups',
      'total_restores',
      'successful_restores',
      'failed_restores',
      'total_storage_used',
      'average_backup_size',
    ]);
    for (const value of Object.values(overview)) expect(typeof value).toBe('number');
    expect(overview).toMatchObject({
      total_jobs: 1,
      active_jobs: 1,
      total_backups: 1,
      successful_backups: 1,
      failed_backups: 0,
      total_restores: 1,
      successful_restores: 1,
      failed_restores: 0,
    });
    expect(overview.total_storage_used).toBe((status.result as View).file_size);
    const jobs = analytics.job_breakdown as View[];
    expect(jobs).toHaveLength(1);
    expectKeys(jobs[0], [
      'job_id',
      'job_name',
      'backups',
      'success_rate',
      'average_size',
      'average_duration',
    ]);
    expect(jobs[0]).toMatchObject({
      job_id: job.job_id,
      job_name: 'Daily Database Backup',
      backups: 1,
      success_rate: 1,
    });
    const types = analytics.backup_types as View[];
    expectKeys(types[0], ['type', 'count', 'success_rate', 'average_size', 'average_duration']);
    expect(types[0]).toMatchObject({ type: 'full', count: 1, success_rate: 1 });
    const storage = analytics.storage_breakdown as View[];
    expectKeys(storage[0], ['destination', 'total_size', 'backup_count', 'average_size', 'cost_per_month']);
    expect(storage[0]).toMatchObject({ destination: 'local', backup_count: 1 });
    expect(typeof storage[0]!.cost_per_month).toBe('number');
    const series = analytics.time_series as View[];
    expect(series.length).toBeGreaterThanOrEqual(1);
    expectKeys(series[0], [
      'date',
      'backups_created',
      'successful_backups',
      'failed_backups',
      'storage_used',
    ]);
    expect(series[0]!.date).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/));
    expectIso(analytics.generated_at);
  });

  it('timestamps of all views are ISO-8601 UTC; no view leaks the password', async () => {
    const views = [
      await service.getJob(job.job_id as string),
      await service.listJobs(),
      await service.getJobStatus(job.job_id as string),
      await service.listExecutions(job.job_id as string),
      await service.listBackups(),
    ];
    const text = JSON.stringify(views);
    expect(text).not.toContain(':pass@');
    expect(text).toContain(':***@');
    expectIsoOrNull((views[0] as View).next_run);
  });
});
