/**
 * The service's types come from its zod schemas: each parameter is the input type of the schema
 * that validates it, each result the type inferred from the schema of its view. These fail to
 * compile (and so fail `pnpm test`) if a method goes back to `unknown` or `Record<string, unknown>`.
 */
import type {
  AnalyticsView,
  analyticsQuerySchema,
  analyticsViewSchema,
  applyRetentionOptionsSchema,
  BackupFileList,
  BackupService,
  backupFileListSchema,
  CallContext,
  CatalogRebuildResult,
  CreateJobInput,
  catalogRebuildResultSchema,
  createJobSchema,
  createRestoreSchema,
  ExecutionId,
  ExecutionList,
  ExecutionView,
  executeJobSchema,
  executionListSchema,
  executionViewSchema,
  HealthView,
  healthViewSchema,
  JobList,
  JobStatusView,
  JobView,
  jobListSchema,
  jobStatusQuerySchema,
  jobStatusViewSchema,
  jobViewSchema,
  listBackupsQuerySchema,
  listExecutionsQuerySchema,
  listJobsQuerySchema,
  RestoreId,
  RestoreStatusView,
  RestoreView,
  RetentionResult,
  restoreStatusViewSchema,
  restoreViewSchema,
  retentionResultSchema,
  updateJobSchema,
  VerificationId,
  VerificationView,
  View,
  verificationViewSchema,
  verifyBackupSchema,
  WaitForResult,
} from '@backupkit/core';
import { describe, expectTypeOf, test } from 'vitest';
import type { z } from 'zod';

declare const service: BackupService;

describe('every result type is inferred from its schema', () => {
  test('the named view types are the schemas’ output types', () => {
    expectTypeOf<JobView>().toEqualTypeOf<z.output<typeof jobViewSchema>>();
    expectTypeOf<JobList>().toEqualTypeOf<z.output<typeof jobListSchema>>();
    expectTypeOf<ExecutionView>().toEqualTypeOf<z.output<typeof executionViewSchema>>();
    expectTypeOf<ExecutionList>().toEqualTypeOf<z.output<typeof executionListSchema>>();
    expectTypeOf<JobStatusView>().toEqualTypeOf<z.output<typeof jobStatusViewSchema>>();
    expectTypeOf<BackupFileList>().toEqualTypeOf<z.output<typeof backupFileListSchema>>();
    expectTypeOf<RestoreView>().toEqualTypeOf<z.output<typeof restoreViewSchema>>();
    expectTypeOf<RestoreStatusView>().toEqualTypeOf<z.output<typeof restoreStatusViewSchema>>();
    expectTypeOf<VerificationView>().toEqualTypeOf<z.output<typeof verificationViewSchema>>();
    expectTypeOf<AnalyticsView>().toEqualTypeOf<z.output<typeof analyticsViewSchema>>();
    expectTypeOf<RetentionResult>().toEqualTypeOf<z.output<typeof retentionResultSchema>>();
    expectTypeOf<HealthView>().toEqualTypeOf<z.output<typeof healthViewSchema>>();
    expectTypeOf<CatalogRebuildResult>().toEqualTypeOf<z.output<typeof catalogRebuildResultSchema>>();
  });

  test('views are precise, not bags of unknown', () => {
    expectTypeOf<JobView>().not.toEqualTypeOf<View>();
    expectTypeOf<JobView['job_id']>().toEqualTypeOf<string>();
    expectTypeOf<JobView['backup_type']>().toEqualTypeOf<'full' | 'incremental' | 'differential'>();
    expectTypeOf<ExecutionView['execution_id']>().toEqualTypeOf<`exec_${string}`>();
    expectTypeOf<JobStatusView['status']>().toEqualTypeOf<
      'idle' | 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'
    >();
    expectTypeOf<NonNullable<JobStatusView['result']>['file_size']>().toEqualTypeOf<number>();
    expectTypeOf<NonNullable<JobStatusView['error']>>().toEqualTypeOf<{
      code: string;
      message: string;
      details?: Record<string, unknown> | undefined;
    }>();
    expectTypeOf<NonNullable<RestoreStatusView['result']>['warnings']>().toEqualTypeOf<
      string[] | undefined
    >();
    expectTypeOf<BackupFileList['files'][number]['checksum']>().toEqualTypeOf<string>();
    expectTypeOf<AnalyticsView['overview']['total_jobs']>().toEqualTypeOf<number>();
  });
});

describe('every method takes its schema’s input type and answers its view type', () => {
  test('jobs', () => {
    expectTypeOf(service.createJob).parameter(0).toEqualTypeOf<z.input<typeof createJobSchema>>();
    expectTypeOf(service.createJob).parameter(0).toEqualTypeOf<CreateJobInput>();
    expectTypeOf(service.createJob).parameter(1).toEqualTypeOf<CallContext | undefined>();
    expectTypeOf(service.createJob).returns.resolves.toEqualTypeOf<JobView>();
    expectTypeOf(service.getJob).parameters.toEqualTypeOf<[string, (CallContext | undefined)?]>();
    expectTypeOf(service.getJob).returns.resolves.toEqualTypeOf<JobView>();
    expectTypeOf(service.listJobs)
      .parameter(0)
      .toEqualTypeOf<z.input<typeof listJobsQuerySchema> | undefined>();
    expectTypeOf(service.listJobs).returns.resolves.toEqualTypeOf<JobList>();
    expectTypeOf(service.updateJob).parameter(1).toEqualTypeOf<z.input<typeof updateJobSchema>>();
    expectTypeOf(service.updateJob).returns.resolves.toEqualTypeOf<JobView>();
    expectTypeOf(service.deleteJob).returns.resolves.toEqualTypeOf<void>();
  });

  test('executions', () => {
    expectTypeOf(service.executeJob)
      .parameter(1)
      .toEqualTypeOf<z.input<typeof executeJobSchema> | undefined>();
    expectTypeOf(service.executeJob).returns.resolves.toEqualTypeOf<ExecutionView>();
    expectTypeOf(service.getJobStatus)
      .parameter(1)
      .toEqualTypeOf<z.input<typeof jobStatusQuerySchema> | undefined>();
    expectTypeOf(service.getJobStatus).parameter(1).toEqualTypeOf<{ execution_id?: string } | undefined>();
    expectTypeOf(service.getJobStatus).returns.resolves.toEqualTypeOf<JobStatusView>();
    expectTypeOf(service.listExecutions)
      .parameter(1)
      .toEqualTypeOf<z.input<typeof listExecutionsQuerySchema> | undefined>();
    expectTypeOf(service.listExecutions).returns.resolves.toEqualTypeOf<ExecutionList>();
    expectTypeOf(service.cancelExecution).returns.resolves.toEqualTypeOf<ExecutionView>();
  });

  test('backups, restores, verifications', () => {
    expectTypeOf(service.listBackups)
      .parameter(0)
      .toEqualTypeOf<z.input<typeof listBackupsQuerySchema> | undefined>();
    expectTypeOf(service.listBackups).returns.resolves.toEqualTypeOf<BackupFileList>();
    expectTypeOf(service.createRestore).parameter(0).toEqualTypeOf<z.input<typeof createRestoreSchema>>();
    expectTypeOf(service.createRestore).returns.resolves.toEqualTypeOf<RestoreView>();
    expectTypeOf(service.getRestoreStatus).returns.resolves.toEqualTypeOf<RestoreStatusView>();
    expectTypeOf(service.verifyBackup)
      .parameter(1)
      .toEqualTypeOf<z.input<typeof verifyBackupSchema> | undefined>();
    expectTypeOf(service.verifyBackup).returns.resolves.toEqualTypeOf<VerificationView>();
    expectTypeOf(service.getVerification).returns.resolves.toEqualTypeOf<VerificationView>();
  });

  test('analytics, retention, health, catalog rebuild', () => {
    expectTypeOf(service.getAnalytics)
      .parameter(0)
      .toEqualTypeOf<z.input<typeof analyticsQuerySchema> | undefined>();
    expectTypeOf(service.getAnalytics).returns.resolves.toEqualTypeOf<AnalyticsView>();
    expectTypeOf(service.applyRetention)
      .parameter(1)
      .toEqualTypeOf<z.input<typeof applyRetentionOptionsSchema> | undefined>();
    expectTypeOf(service.applyRetention).returns.resolves.toEqualTypeOf<RetentionResult>();
    expectTypeOf(service.health).returns.resolves.toEqualTypeOf<HealthView>();
    expectTypeOf<
      NonNullable<BackupService['rebuildCatalog']>
    >().returns.resolves.toEqualTypeOf<CatalogRebuildResult>();
  });

  test('waitFor answers by the kind of id', async () => {
    const execution = await service.executeJob('job_1');
    expectTypeOf(await service.waitFor(execution.execution_id)).toEqualTypeOf<JobStatusView>();
    const restore = await service.createRestore({
      backup_id: 'backup_1',
      destination: { type: 'filesystem' },
    });
    expectTypeOf(await service.waitFor(restore.restore_id)).toEqualTypeOf<RestoreStatusView>();
    const verification = await service.verifyBackup('backup_1');
    expectTypeOf(await service.waitFor(verification.verification_id)).toEqualTypeOf<VerificationView>();
    expectTypeOf<ExecutionId>().toEqualTypeOf<`exec_${string}`>();
    expectTypeOf<RestoreId>().toEqualTypeOf<`restore_${string}`>();
    expectTypeOf<VerificationId>().toEqualTypeOf<`verify_${string}`>();
    // An id of unknown kind (read from elsewhere): any of the three.
    const id: string = 'exec_1';
    expectTypeOf(await service.waitFor(id)).toEqualTypeOf<WaitForResult>();
    expectTypeOf<WaitForResult>().toEqualTypeOf<JobStatusView | RestoreStatusView | VerificationView>();
  });
});

describe('results need no casts; wrong input does not compile', () => {
  test('fields of results are typed', async () => {
    const job = await service.createJob({
      job_name: 'x',
      source: { type: 'filesystem', path: '/srv' },
      destination: { type: 'local', path: 'files' },
    });
    const id: string = job.job_id;
    const run = await service.executeJob(id, { execution_options: { priority: 'high' } });
    const status = await service.waitFor(run.execution_id);
    const backupId: string | undefined = status.result?.backup_id;
    const verified: boolean | undefined = status.verification?.checksum_verified;
    const listing = await service.listBackups({ job_id: id, limit: 10 });
    const size: number = listing.files[0]!.file_size;
    expectTypeOf(backupId).toEqualTypeOf<string | undefined>();
    expectTypeOf(verified).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(size).toBeNumber();
  });

  test('misspelled fields, wrong literals and missing required fields are compile errors', () => {
    const source = { type: 'filesystem', path: '/srv' };
    const destination = { type: 'local', path: 'files' };
    // @ts-expect-error: `job_nme` is not a field
    void service.createJob({ job_name: 'x', job_nme: 'x', source, destination });
    // @ts-expect-error: not a backup type
    void service.createJob({ job_name: 'x', backup_type: 'weekly', source, destination });
    // @ts-expect-error: a destination needs its `type`
    void service.createJob({ job_name: 'x', source, destination: { path: 'files' } });
    // @ts-expect-error: `job_name` is required
    void service.createJob({ source, destination });
    // @ts-expect-error: not a compression algorithm
    void service.createJob({ job_name: 'x', source, destination, compression: { algorithm: 'lz4' } });
    // @ts-expect-error: not a priority
    void service.executeJob('job_1', { execution_options: { priority: 'urgent' } });
    // @ts-expect-error: a restore needs a `backup_id`
    void service.createRestore({ destination: { type: 'filesystem', path: '/restore' } });
    // @ts-expect-error: not a backup status filter
    void service.listBackups({ status: 'running' });
    // @ts-expect-error: `dry_run` is a boolean
    void service.applyRetention('job_1', { dry_run: 1 });
  });

  test('results cannot be misread', async () => {
    const job = await service.getJob('job_1');
    // @ts-expect-error: views have no `id`; it is `job_id`
    void job.id;
    // @ts-expect-error: a job is active, paused or deleted; `running` is an execution's status
    const status: 'running' = job.status;
    void status;
  });
});

describe('events carry their family’s status view', () => {
  test('execution, restore and verification events', () => {
    service.on('execution.completed', (event) => {
      expectTypeOf(event.status).toEqualTypeOf<JobStatusView>();
    });
    service.on('execution.failed', (event) => {
      expectTypeOf(event.status).toEqualTypeOf<JobStatusView>();
      expectTypeOf(event.error).toEqualTypeOf<Error>();
    });
    service.on('restore.completed', (event) => {
      expectTypeOf(event.status).toEqualTypeOf<RestoreStatusView>();
    });
    service.on('verification.failed', (event) => {
      expectTypeOf(event.status).toEqualTypeOf<VerificationView>();
    });
  });
});
