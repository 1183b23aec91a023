/**
 * Catalog records. Field names are the API's snake_case. Timestamps are ISO-8601 UTC
 * strings; sizes are bytes; durations are seconds.
 */

export type JobStatus = 'active' | 'paused' | 'deleted';
export type ExecutionStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type RestoreStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type VerificationStatus = 'queued' | 'running' | 'passed' | 'failed' | 'error';
export type BackupStatus = 'completed' | 'failed' | 'deleted';

/** A job as stored. `source.connection_string` is stored encrypted (see `SecretBox`), never in plaintext. */
export interface JobRecord {
  job_id: string;
  job_name: string;
  description: string | null;
  backup_type: 'full' | 'incremental' | 'differential';
  source: Record<string, unknown>;
  destination: Record<string, unknown>;
  schedule: Record<string, unknown> | null;
  retention: Record<string, unknown> | null;
  compression: Record<string, unknown>;
  encryption: Record<string, unknown>;
  verification: Record<string, unknown>;
  notifications: Record<string, unknown> | null;
  status: JobStatus;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  last_run: string | null;
  next_run: string | null;
}

export interface ScheduleRecord {
  job_id: string;
  frequency: string;
  day_of_month: number | null;
  day_of_week: number | null;
  time: string | null;
  timezone: string;
  enabled: boolean;
  last_executed: string | null;
  next_execution: string | null;
  created_at: string;
  updated_at: string;
}

/** A failure as executions, restores and verifications store it (secret-free). */
export interface ErrorInfo {
  /** A `BackupErrorCode`. */
  code: string;
  /** What happened. */
  message: string;
  /** Structured facts about it (ids, field names, tables). */
  details?: Record<string, unknown>;
}

export interface ExecutionRecord {
  execution_id: string;
  job_id: string;
  status: ExecutionStatus;
  progress: number;
  /** Bytes processed / estimated, kept so status can derive `estimated_completion`. */
  bytes_done: number;
  bytes_total: number;
  execution_options: Record<string, unknown>;
  custom_parameters: Record<string, unknown>;
  executed_by: string | null;
  /** `manual`, `schedule` or `startup-catchup`. */
  trigger: string;
  /** For scheduled runs: the occurrence this run claimed (ISO time); unique per job. */
  scheduled_for: string | null;
  priority: number;
  /** Instance that runs it, and when its lease ends (for dead-instance detection). */
  owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  estimated_completion: string | null;
  backup_id: string | null;
  error: ErrorInfo | null;
}

export interface BackupRecord {
  backup_id: string;
  job_id: string;
  job_name: string;
  execution_id: string | null;
  backup_type: 'full' | 'incremental' | 'differential';
  status: BackupStatus;
  /** Where the manifest lives, e.g. `s3://bucket/db/daily/snapshots/backup_x.json`. */
  file_path: string;
  /** Destination type (`local`, `s3`...), for analytics. */
  destination_type: string;
  storage_class: string | null;
  /** Stored bytes referenced by this backup. */
  file_size: number;
  /** Plaintext bytes. */
  logical_size: number;
  /** Stored bytes this backup added. */
  new_bytes: number;
  /** stored / logical (0.3 means stored is 30% of the original). */
  compression_ratio: number;
  encryption: string | null;
  /** `sha256:<hex>` of the stored manifest object. */
  checksum: string;
  parent_backup_id: string | null;
  started_at: string;
  created_at: string;
  duration: number;
  verified_at: string | null;
  verification_status: string | null;
  retention_until: string | null;
  /** The destination config needed to reach the backup again (no secrets). */
  destination: Record<string, unknown>;
  /** Entry count and other small facts for listings. */
  metadata: Record<string, unknown>;
}

export interface RestoreRecord {
  restore_id: string;
  backup_id: string;
  restore_name: string;
  description: string | null;
  source: Record<string, unknown> | null;
  destination: Record<string, unknown>;
  restore_options: Record<string, unknown>;
  notifications: Record<string, unknown> | null;
  status: RestoreStatus;
  progress: number;
  created_at: string;
  created_by: string | null;
  started_at: string | null;
  completed_at: string | null;
  /** While running: when it should end, from the measured rate (null until measured). */
  estimated_completion: string | null;
  result: Record<string, unknown> | null;
  verification: Record<string, unknown> | null;
  error: ErrorInfo | null;
}

export interface VerificationRecord {
  verification_id: string;
  backup_id: string;
  verification_type: string;
  status: VerificationStatus;
  progress: number;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  estimated_completion: string | null;
  checksum_verification: boolean;
  integrity_check: boolean;
  test_restore: boolean;
  test_restore_options: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  error: string | null;
  requested_by: string | null;
}

export interface AuditRecord {
  audit_id: string;
  at: string;
  principal: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: 'success' | 'failure' | 'denied';
  details: Record<string, unknown>;
}
