import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import {
  type BackupService,
  type CatalogRepository,
  createBackupService,
  createPostgresCatalog,
  type ExecutionView,
  type JobStatusView,
  type JobView,
  LocalKeyProvider,
  type View,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminQuery,
  createTempDatabase,
  type TempDatabase,
  withClient,
} from '../../../../test-support/postgres.js';
import {
  expectIso,
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
import {
  expectAnalytics,
  expectBackupFile,
  expectCompletedJobStatus,
  expectCompletedRestoreStatus,
  expectExecutionView,
  expectVerificationView,
} from './contract-shapes.js';
import { tempDir } from './helpers.js';

const SOURCE_SQL = `
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
`;

/**
 * The eight core endpoints of docs/http-api.md, driven with example bodies against real
 * PostgreSQL; every documented response field is checked by name, type and meaning. Runs on
 * the embedded default catalog (SQLite) and on the PostgreSQL catalog.
 */
describe.each(['sqlite', 'postgres'] as const)(
  'contract: the documented examples end to end (%s catalog)',
  (kind) => {
    let source: TempDatabase;
    let target: TempDatabase;
    let catalogDb: TempDatabase | undefined;
    let catalog: CatalogRepository | undefined;
    let dataDir: string;
    let service: BackupService;
    let sourceUrl: string;
    let targetUrl: string;
    let job: JobView;
    let execution: ExecutionView;
    let status: JobStatusView;
    let backupId: string;

    beforeAll(async () => {
      source = await createTempDatabase('bk_contract_src');
      target = await createTempDatabase('bk_contract_dst');
      sourceUrl = withSpecPassword(source.url);
      targetUrl = withSpecPassword(target.url);
      await withClient(source.url, (client) => client.query(SOURCE_SQL));
      dataDir = await tempDir('contract');
      if (kind === 'postgres') {
        catalogDb = await createTempDatabase('bk_contract_cat');
        catalog = createPostgresCatalog({
          connectionString: catalogDb.url,
          schema: `c_${randomBytes(4).toString('hex')}`,
        });
      }
      service = createBackupService({
        ...(catalog ? { catalog } : {}),
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
      // The service closes only a catalog it created itself.
      await catalog?.close();
      await source?.drop();
      await target?.drop();
      await catalogDb?.drop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('1. createJob echoes every request field and adds job_id, status, created_*, last_run, next_run', async () => {
      const body = specCreateJobBody(sourceUrl);
      const before = Date.now();
      job = await service.createJob(body, { principal: PRINCIPAL });
      expect(job.job_id).toEqual(expect.stringMatching(/^job_[A-Za-z0-9_-]+$/));
      const { source: _source, created_by: _createdBy, ...echoed } = body;
      expect(job).toMatchObject(echoed);
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

    it('2. executeJob returns the run with its options, an estimate and executed_by', async () => {
      const body = specExecuteBody();
      execution = await service.executeJob(job.job_id as string, body, { principal: PRINCIPAL });
      expectExecutionView(execution);
      expect(execution.job_id).toBe(job.job_id);
      expect(['running', 'queued']).toContain(execution.status);
      expect(execution.progress).toBe(0);
      // The job's first run: nothing is measured yet, so no estimate until progress brings one
      // (later runs start from the last run's duration).
      expect(execution.estimated_completion).toBeNull();
      expect(execution.execution_options).toEqual(body.execution_options);
      expect(execution.custom_parameters).toEqual(body.custom_parameters);
      expect(execution.executed_by).toBe(PRINCIPAL);
    });

    it('2b. a second run while the first one runs is execution_in_progress naming both', async () => {
      const error = await service.executeJob(job.job_id as string, {}, { principal: PRINCIPAL }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        code: 'execution_in_progress',
        details: { job_id: job.job_id, execution_id: execution.execution_id },
      });
    });

    it('3. getJobStatus reports the finished run with result, verification, error null, next_run', async () => {
      await service.waitFor(execution.execution_id, { timeoutMs: 60_000 });
      status = await service.getJobStatus(job.job_id as string);
      expectCompletedJobStatus(status);
      expect(status.execution_id).toBe(execution.execution_id);
      const result = status.result as View;
      expect(result.compression_ratio as number).toBeGreaterThan(0);
      expect(result.compression_ratio as number).toBeLessThan(1);
      expect(result.encryption).toBe('AES-256');
      expect(status.verification).toMatchObject({
        status: 'passed',
        checksum_verified: true,
        integrity_verified: true,
        test_restore_verified: false,
      });
      expectIso((status.verification as View).verified_at);
      expect(status.next_run).toBe(job.next_run);
      backupId = result.backup_id as string;
      expectIso((await service.getJob(job.job_id as string)).last_run);
    });

    it('4. listBackups with a documented query (strings, as a URL gives them)', async () => {
      const listing = await service.listBackups({
        job_id: job.job_id,
        backup_type: 'full',
        status: 'completed',
        limit: '50',
        offset: '0',
      });
      expect(listing).toMatchObject({ total: 1, limit: 50, offset: 0 });
      expect(listing.filters).toEqual({ job_id: job.job_id, backup_type: 'full', status: 'completed' });
      const files = listing.files as View[];
      expect(files).toHaveLength(1);
      const file = files[0]!;
      expectBackupFile(file);
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
      // retention.days 30 keeps the newest backup of each day (keep-daily): this one is kept
      // 30 days unless the schedule's next run (02:00 Toronto) falls on the same local day and
      // supersedes it — a run between midnight and 02:00 there — when it goes with that run.
      const torontoDay = (iso: string) =>
        new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Toronto' }).format(new Date(iso));
      const nextRun = (await service.getJob(job.job_id as string)).next_run as string;
      if (torontoDay(nextRun) === torontoDay(file.created_at as string)) {
        expect(file.retention_until).toBe(nextRun);
      } else {
        const kept = Date.parse(file.retention_until as string) - Date.parse(file.created_at as string);
        expect(kept).toBeGreaterThanOrEqual(30 * 86_400_000 - 1000);
      }
      expect(await service.listBackups()).toMatchObject({ total: 1, limit: 50, offset: 0 });
    });

    it('5+6. createRestore echoes the request; getRestoreStatus reports result and verification', async () => {
      const body = specRestoreBody(backupId, sourceUrl, targetUrl);
      const restore = await service.createRestore(body, { principal: PRINCIPAL });
      expect(restore.restore_id).toEqual(expect.stringMatching(/^restore_/));
      const { source: _s, destination: _d, created_by: _c, ...echoed } = body;
      expect(restore).toMatchObject(echoed);
      expect(restore.source).toEqual({ ...body.source, connection_string: masked(sourceUrl) });
      expect(restore.destination).toEqual({ ...body.destination, connection_string: masked(targetUrl) });
      expect(restore).toMatchObject({
        status: 'queued',
        created_by: PRINCIPAL,
        started_at: null,
        completed_at: null,
      });
      expectIso(restore.created_at);
      expect(JSON.stringify(restore)).not.toContain(':pass@');

      await service.waitFor(restore.restore_id, { timeoutMs: 60_000 });
      const done = await service.getRestoreStatus(restore.restore_id);
      expectCompletedRestoreStatus(done);
      expect(done.restore_id).toBe(restore.restore_id);
      const result = done.result as View;
      // The run's custom_parameters.tables backed up users and deliveries only.
      expect(result).toMatchObject({ tables_restored: 2, records_restored: 900 });
      expect(result.data_size as number).toBeGreaterThan(0);
      // payments was not in this run's backup: skipped with a warning, not a failed restore.
      expect(result.warnings).toEqual([expect.stringContaining('payments')]);
      expect(done.verification).toMatchObject({
        status: 'passed',
        data_integrity_verified: true,
        constraints_verified: true,
        indexes_verified: true,
      });
      expectIso((done.verification as View).verified_at);
      const counts = await withClient(target.url, async (client) => {
        const users = await client.query('SELECT count(*)::int AS n FROM users');
        const deliveries = await client.query('SELECT count(*)::int AS n FROM deliveries');
        return [users.rows[0].n, deliveries.rows[0].n];
      });
      expect(counts).toEqual([300, 600]);
    });

    it('7. verifyBackup accepts the documented body and answers with the documented fields', async () => {
      const body = specVerifyBody();
      const started = await service.verifyBackup(backupId, body, { principal: PRINCIPAL });
      expectVerificationView(started);
      expect(started).toMatchObject({
        backup_id: backupId,
        verification_type: 'full',
        checksum_verification: true,
        integrity_check: true,
        test_restore: true,
        test_restore_options: body.test_restore_options,
      });
      expect(['queued', 'running']).toContain(started.status);
      expectIso(started.estimated_completion);
      const done = await service.waitFor(started.verification_id, { timeoutMs: 60_000 });
      expect(done.status, JSON.stringify(done)).toBe('passed');
      const again = await service.getVerification(started.verification_id);
      expect(again).toMatchObject({
        verification_id: started.verification_id,
        status: 'passed',
        progress: 100,
      });
      // The test restore went into test_database and was cleaned up (cleanup_after_test).
      expect((done.result as View).test_restore).toMatchObject({
        target: 'delivery_test_restore',
        cleaned_up: true,
        records_restored: 900,
      });
      const left = await adminQuery("SELECT 1 FROM pg_database WHERE datname = 'delivery_test_restore'");
      expect(left.rowCount).toBe(0);
      const after = await service.getJobStatus(job.job_id as string);
      expect(after.verification).toMatchObject({ status: 'passed', test_restore_verified: true });
    });

    it('8. getAnalytics with a documented query has every documented field', async () => {
      const analytics = await service.getAnalytics({
        date_from: '2024-01-01T00:00:00Z',
        date_to: new Date(Date.now() + 86_400_000).toISOString(),
        job_id: job.job_id,
      });
      expectAnalytics(analytics);
      expect(analytics.overview).toMatchObject({
        total_jobs: 1,
        active_jobs: 1,
        total_backups: 1,
        successful_backups: 1,
        failed_backups: 0,
        total_restores: 1,
        successful_restores: 1,
        failed_restores: 0,
        total_storage_used: (status.result as View).file_size,
      });
      expect(analytics.job_breakdown).toEqual([
        expect.objectContaining({
          job_id: job.job_id,
          job_name: 'Daily Database Backup',
          backups: 1,
          success_rate: 1,
        }),
      ]);
      expect(analytics.backup_types).toEqual([
        expect.objectContaining({ type: 'full', count: 1, success_rate: 1 }),
      ]);
      expect(analytics.storage_breakdown).toEqual([
        expect.objectContaining({ destination: 'local', backup_count: 1 }),
      ]);
      expect((analytics.time_series as View[]).length).toBeGreaterThanOrEqual(1);
    });

    it('no view leaks the password', async () => {
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
    });
  },
);
