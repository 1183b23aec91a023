import type {
  AuditRecord,
  BackupRecord,
  ExecutionRecord,
  ExecutionStatus,
  JobRecord,
  RestoreRecord,
  ScheduleRecord,
  VerificationRecord,
} from './records.js';

/** `listJobs` filter. */
export interface JobFilter {
  status?: string;
  /** Only jobs whose `created_by` is this principal. */
  created_by?: string;
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface BackupFilter {
  job_id?: string;
  /** Only backups whose job (deleted or not) was created by this principal. */
  owner?: string;
  backup_type?: string;
  status?: string;
  /** Inclusive ISO bounds on `created_at`. */
  date_from?: string;
  date_to?: string;
  limit: number;
  offset: number;
}

export interface AnalyticsFilter {
  job_id?: string;
  /** Every figure over the jobs this principal created only (see analytics-rules.ts). */
  owner?: string;
  date_from?: string;
  date_to?: string;
}

/** Aggregates computed by the catalog's own query engine (never by loading every row). */
export interface AnalyticsAggregates {
  overview: {
    total_jobs: number;
    active_jobs: number;
    total_backups: number;
    successful_backups: number;
    failed_backups: number;
    total_restores: number;
    successful_restores: number;
    failed_restores: number;
    total_storage_used: number;
    average_backup_size: number;
  };
  job_breakdown: Array<{
    job_id: string;
    job_name: string;
    backups: number;
    successful: number;
    total_size: number;
    logical_size: number;
    /** Sum of `new_bytes` (stored bytes no earlier backup held) of successful backups. */
    new_bytes: number;
    total_duration: number;
  }>;
  backup_types: Array<{
    type: string;
    count: number;
    successful: number;
    total_size: number;
    total_duration: number;
  }>;
  storage_breakdown: Array<{
    destination: string;
    storage_class: string | null;
    total_size: number;
    backup_count: number;
  }>;
  time_series: Array<{
    date: string;
    backups_created: number;
    successful_backups: number;
    failed_backups: number;
    storage_used: number;
  }>;
}

/**
 * The service's own records. Implementations: in-memory, SQLite file, PostgreSQL; all pass
 * `catalogConformance` from `@backupkit/core/testing`. Methods that look up one record return
 * `null` when it does not exist; updates of missing records throw `BackupError('not_found')`.
 */
export interface CatalogRepository {
  /** Creates tables / runs migrations. Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;

  insertJob(job: JobRecord): Promise<void>;
  getJob(jobId: string): Promise<JobRecord | null>;
  listJobs(filter: JobFilter): Promise<Page<JobRecord>>;
  updateJob(jobId: string, patch: Partial<JobRecord>): Promise<JobRecord>;

  upsertSchedule(schedule: ScheduleRecord): Promise<void>;
  getSchedule(jobId: string): Promise<ScheduleRecord | null>;
  deleteSchedule(jobId: string): Promise<void>;
  /** Enabled schedules with `next_execution <= now`. */
  listDueSchedules(now: string): Promise<ScheduleRecord[]>;
  /**
   * Atomically moves a schedule from occurrence `expectedNext` to `newNext`. Returns false when
   * another instance already claimed it (its `next_execution` is no longer `expectedNext`).
   */
  claimScheduleOccurrence(
    jobId: string,
    expectedNext: string,
    newNext: string | null,
    now: string,
  ): Promise<boolean>;

  /**
   * Inserts an execution unless the job already has one `queued` or `running`: then throws
   * `BackupError('execution_in_progress')`. Atomic across instances.
   */
  insertExecution(execution: ExecutionRecord): Promise<void>;
  getExecution(executionId: string): Promise<ExecutionRecord | null>;
  latestExecution(jobId: string): Promise<ExecutionRecord | null>;
  listExecutions(filter: {
    job_id?: string;
    status?: ExecutionStatus[];
    limit: number;
    offset: number;
  }): Promise<Page<ExecutionRecord>>;
  updateExecution(executionId: string, patch: Partial<ExecutionRecord>): Promise<ExecutionRecord>;
  /**
   * Atomically sets `owner` and `status: 'running'` on the highest-priority oldest `queued`
   * execution, if any. Returns it, or null.
   */
  claimQueuedExecution(owner: string, leaseUntil: string, now: string): Promise<ExecutionRecord | null>;
  /** Running executions whose lease ended before `now`. */
  listExpiredLeases(now: string): Promise<ExecutionRecord[]>;

  insertBackup(backup: BackupRecord): Promise<void>;
  getBackup(backupId: string): Promise<BackupRecord | null>;
  listBackups(filter: BackupFilter): Promise<Page<BackupRecord>>;
  updateBackup(backupId: string, patch: Partial<BackupRecord>): Promise<BackupRecord>;

  insertRestore(restore: RestoreRecord): Promise<void>;
  getRestore(restoreId: string): Promise<RestoreRecord | null>;
  updateRestore(restoreId: string, patch: Partial<RestoreRecord>): Promise<RestoreRecord>;

  insertVerification(verification: VerificationRecord): Promise<void>;
  getVerification(verificationId: string): Promise<VerificationRecord | null>;
  latestVerification(backupId: string): Promise<VerificationRecord | null>;
  updateVerification(verificationId: string, patch: Partial<VerificationRecord>): Promise<VerificationRecord>;

  appendAudit(entry: AuditRecord): Promise<void>;
  listAudit(filter: {
    principal?: string;
    action?: string;
    limit: number;
    offset: number;
  }): Promise<Page<AuditRecord>>;

  /**
   * Fixed-window counter shared by every instance on this catalog: adds 1 to `key` in the
   * window starting at `windowStart` and returns the new count (atomic).
   */
  incrementRateCounter(key: string, windowStart: string): Promise<number>;

  analytics(filter: AnalyticsFilter): Promise<AnalyticsAggregates>;
}
