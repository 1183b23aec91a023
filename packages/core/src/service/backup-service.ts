import type { EventEmitter } from 'eventemitter3';
import type { DestinationConfig } from '../storage/storage-driver.js';
import type { BackupServiceEvents } from './events.js';
import type { ExecuteJobInput, ListExecutionsQueryInput } from './schemas/execute.js';
import type { CreateJobInput, ListJobsQueryInput, UpdateJobInput } from './schemas/job.js';
import type {
  AnalyticsQueryInput,
  ApplyRetentionOptionsInput,
  JobStatusQueryInput,
  ListBackupsQueryInput,
} from './schemas/queries.js';
import type { CreateRestoreInput } from './schemas/restore.js';
import type { VerifyBackupInput } from './schemas/verify.js';
import type {
  AnalyticsView,
  BackupFileList,
  CatalogRebuildResult,
  ExecutionId,
  ExecutionList,
  ExecutionView,
  HealthView,
  JobList,
  JobStatusView,
  JobView,
  RestoreId,
  RestoreStatusView,
  RestoreView,
  RetentionResult,
  VerificationId,
  VerificationView,
} from './schemas/views/index.js';

/** Who is calling. The HTTP adapter fills it from its `authenticate` hook. */
export interface CallContext {
  /** Principal id; fills `created_by` / `executed_by` (a body field cannot override it). */
  principal?: string | null;
  /**
   * The principal's roles. When present the call is a principal's (the HTTP adapter always
   * sets it): without `admin` it sees and acts on only the jobs `principal` created and what
   * hangs from them; anything else answers as not found. Absent: a call from the host's own
   * code, which sees everything.
   */
  roles?: readonly string[];
}

/** Any JSON object. Every view type (`JobView`, `JobStatusView`, …) is assignable to it. */
export type View = Record<string, unknown>;

/** What `waitFor` resolves with: the final status view of an execution, restore or verification. */
export type WaitForResult = JobStatusView | RestoreStatusView | VerificationView;

/** `waitFor` options. */
export interface WaitForOptions {
  /** Give up (`BackupError('unavailable')`) after this long; default 10 minutes. */
  timeoutMs?: number;
}

/**
 * The backup service: the REST API's operations as methods. Each input is the input type of the zod
 * schema exported from core (`createJobSchema` → `CreateJobInput`, …) and is still validated at
 * runtime (invalid input: `BackupError('validation_failed')` listing every issue, nothing
 * written). Each result is a view type inferred from its zod schema (`jobViewSchema` →
 * `JobView`, …): the JSON the REST API answers, secrets masked. Every method throws `BackupError`.
 */
export interface BackupService extends EventEmitter<BackupServiceEvents> {
  /**
   * @throws BackupError `validation_failed`, `invalid_backup_config`, `forbidden` (the host's
   *   access policy refuses a directory, endpoint or database server the job names).
   */
  createJob(input: CreateJobInput, context?: CallContext): Promise<JobView>;
  /** @throws BackupError `job_not_found`. */
  getJob(jobId: string, context?: CallContext): Promise<JobView>;
  /** @throws BackupError `validation_failed`. */
  listJobs(query?: ListJobsQueryInput, context?: CallContext): Promise<JobList>;
  /**
   * Merges `patch` into the job (objects field by field) and validates the result as a whole.
   * @throws BackupError `job_not_found`, `validation_failed`, `invalid_backup_config`, `forbidden`.
   */
  updateJob(jobId: string, patch: UpdateJobInput, context?: CallContext): Promise<JobView>;
  /** @throws BackupError `job_not_found`, `execution_in_progress`. */
  deleteJob(jobId: string, context?: CallContext): Promise<void>;
  /**
   * Queues a run and returns at once (status `running` or `queued`); the run goes on in the background.
   * @throws BackupError `job_not_found`, `validation_failed`, `invalid_backup_config`, `execution_in_progress`.
   */
  executeJob(jobId: string, input?: ExecuteJobInput, context?: CallContext): Promise<ExecutionView>;
  /** @throws BackupError `job_not_found`, `execution_not_found`, `validation_failed`. */
  getJobStatus(jobId: string, query?: JobStatusQueryInput, context?: CallContext): Promise<JobStatusView>;
  /** @throws BackupError `job_not_found`, `validation_failed`. */
  listExecutions(
    jobId: string,
    query?: ListExecutionsQueryInput,
    context?: CallContext,
  ): Promise<ExecutionList>;
  /** @throws BackupError `execution_not_found`, `conflict` (already ended, or runs on another instance). */
  cancelExecution(executionId: string, context?: CallContext): Promise<ExecutionView>;
  /** @throws BackupError `validation_failed`. */
  listBackups(query?: ListBackupsQueryInput, context?: CallContext): Promise<BackupFileList>;
  /**
   * Records a restore and runs it in the background.
   * @throws BackupError `validation_failed`, `backup_not_found`, `invalid_backup_config`, `forbidden`.
   */
  createRestore(input: CreateRestoreInput, context?: CallContext): Promise<RestoreView>;
  /** @throws BackupError `restore_not_found`. */
  getRestoreStatus(restoreId: string, context?: CallContext): Promise<RestoreStatusView>;
  /**
   * Records a verification and runs it in the background.
   * @throws BackupError `validation_failed`, `backup_not_found`, `not_implemented`.
   */
  verifyBackup(backupId: string, input?: VerifyBackupInput, context?: CallContext): Promise<VerificationView>;
  /** @throws BackupError `verification_not_found`. */
  getVerification(verificationId: string, context?: CallContext): Promise<VerificationView>;
  /** @throws BackupError `validation_failed`. */
  getAnalytics(query?: AnalyticsQueryInput, context?: CallContext): Promise<AnalyticsView>;
  /** @throws BackupError `validation_failed`, `job_not_found`. */
  applyRetention(
    jobId: string,
    options?: ApplyRetentionOptionsInput,
    context?: CallContext,
  ): Promise<RetentionResult>;
  health(): Promise<HealthView>;
  /**
   * Resolves when the execution / restore / verification reaches a final state; returns its status
   * view (by the id's prefix: `exec_` a job status, `restore_` a restore status, `verify_` a
   * verification). Scoped like the status methods (what `context` may not see: the not-found code).
   * @throws BackupError the not-found code, `invalid_request` for another kind of id,
   *   `unavailable` on timeout.
   */
  waitFor(id: ExecutionId, options?: WaitForOptions, context?: CallContext): Promise<JobStatusView>;
  waitFor(id: RestoreId, options?: WaitForOptions, context?: CallContext): Promise<RestoreStatusView>;
  waitFor(id: VerificationId, options?: WaitForOptions, context?: CallContext): Promise<VerificationView>;
  waitFor(id: string, options?: WaitForOptions, context?: CallContext): Promise<WaitForResult>;
  /**
   * Adds to the catalog every committed backup that storage has and the catalog lacks (from the
   * `recoveryDestinations` option, every job's destination and `destinations`): the catalog rebuilt
   * from storage alone. Idempotent.
   * @throws BackupError `aborted`; unreachable destinations are reported in the result.
   */
  rebuildCatalog?(options?: { destinations?: DestinationConfig[] }): Promise<CatalogRebuildResult>;
  /** Starts the scheduler. */
  start(): Promise<void>;
  /** Stops the scheduler; waits for running work (or cancels it with `{ cancelRunning: true }`). */
  stop(options?: { cancelRunning?: boolean }): Promise<void>;
}
