import type {
  BackupRecord,
  ErrorInfo,
  ExecutionRecord,
  JobRecord,
  RestoreRecord,
  VerificationRecord,
} from '../catalog/records.js';
import type {
  BackupFileView,
  BackupResultView,
  BackupVerificationView,
  ErrorBlock,
  ExecutionView,
  JobStatusView,
  JobView,
  RestoreResultBlock,
  RestoreStatusView,
  RestoreVerificationBlock,
  RestoreView,
  VerificationOutcome,
  VerificationView,
} from './schemas/views/index.js';
import { maskSecrets } from './secrets.js';

/** Seconds between two ISO times (to the millisecond), or null while either is missing. */
export function durationSeconds(start: string | null, end: string | null): number | null {
  if (!start || !end) return null;
  return Math.max(0, Math.round(new Date(end).getTime() - new Date(start).getTime()) / 1000);
}

function errorView(error: ErrorInfo | null): ErrorBlock | null {
  return error ? { code: error.code, message: error.message, details: error.details ?? {} } : null;
}

/**
 * Execution, restore and verification ids are minted by this service (`newId`) and nowhere else,
 * so their prefix is known; the views carry it in the type (see `BackupService.waitFor`).
 */
function minted<P extends 'exec' | 'restore' | 'verify'>(_prefix: P, id: string): `${P}_${string}` {
  return id as `${P}_${string}`;
}

/**
 * JSON the runners stored in the catalog (restore results and checks, verification outcomes), in
 * the shape they wrote it; the records type it only as a JSON object.
 */
function stored<T>(value: Record<string, unknown> | null): T | null {
  return value as T | null;
}

/** `POST /backup/jobs` response shape. Connection strings masked, sealed blobs dropped. */
export function jobView(job: JobRecord): JobView {
  return {
    job_id: job.job_id,
    job_name: job.job_name,
    description: job.description,
    backup_type: job.backup_type,
    source: maskSecrets(job.source),
    destination: maskSecrets(job.destination),
    schedule: job.schedule,
    retention: job.retention,
    compression: job.compression,
    encryption: job.encryption,
    verification: job.verification,
    notifications: job.notifications,
    status: job.status,
    created_at: job.created_at,
    created_by: job.created_by,
    updated_at: job.updated_at,
    last_run: job.last_run,
    next_run: job.next_run,
  };
}

/** `POST /backup/jobs/{job_id}/execute` response shape (plus when it ended, for listings). */
export function executionView(execution: ExecutionRecord): ExecutionView {
  return {
    execution_id: minted('exec', execution.execution_id),
    job_id: execution.job_id,
    status: execution.status,
    progress: execution.progress,
    started_at: execution.started_at ?? execution.created_at,
    estimated_completion: execution.estimated_completion,
    execution_options: execution.execution_options,
    custom_parameters: execution.custom_parameters,
    executed_by: execution.executed_by,
    trigger: execution.trigger,
    completed_at: execution.completed_at,
    backup_id: execution.backup_id,
    error: errorView(execution.error),
  };
}

/** The `result` of a job status: the backup this run produced. */
export function backupResultView(backup: BackupRecord): BackupResultView {
  return {
    backup_id: backup.backup_id,
    file_path: backup.file_path,
    file_size: backup.file_size,
    compression_ratio: backup.compression_ratio,
    encryption: backup.encryption,
    checksum: backup.checksum,
    created_at: backup.created_at,
  };
}

/**
 * The `verification` block of a job status. A backup nobody verified (verification disabled or
 * skipped for the run) still gets the block, with status `not_verified`, so the shape is stable.
 */
export function backupVerificationView(verification: VerificationRecord | null): BackupVerificationView {
  if (!verification) {
    return {
      status: 'not_verified',
      checksum_verified: false,
      integrity_verified: false,
      test_restore_verified: false,
      verified_at: null,
    };
  }
  const result = verification.result ?? {};
  return {
    verification_id: verification.verification_id,
    status: verification.status,
    checksum_verified: result.checksum_verified === true,
    integrity_verified: result.integrity_verified === true,
    test_restore_verified: result.test_restore_verified === true,
    verified_at: verification.completed_at,
  };
}

/** `GET /backup/jobs/{job_id}/status` response shape. */
export function jobStatusView(
  job: JobRecord,
  execution: ExecutionRecord | null,
  backup: BackupRecord | null,
  verification: VerificationRecord | null,
  now: string,
): JobStatusView {
  if (!execution) {
    return {
      job_id: job.job_id,
      status: 'idle',
      execution_id: null,
      progress: 0,
      started_at: null,
      completed_at: null,
      duration: null,
      result: null,
      verification: null,
      error: null,
      next_run: job.next_run,
    };
  }
  const running = execution.status === 'running' || execution.status === 'queued';
  return {
    job_id: job.job_id,
    status: execution.status,
    execution_id: minted('exec', execution.execution_id),
    progress: execution.progress,
    started_at: execution.started_at,
    completed_at: execution.completed_at,
    duration: durationSeconds(execution.started_at, running ? now : execution.completed_at),
    estimated_completion: running ? execution.estimated_completion : null,
    result: backup ? backupResultView(backup) : null,
    // Like `result`: null while no backup exists (running, failed, cancelled).
    verification: backup ? backupVerificationView(verification) : null,
    error: errorView(execution.error),
    next_run: job.next_run,
  };
}

/** One entry of `GET /backup/files`. */
export function backupFileView(backup: BackupRecord): BackupFileView {
  return {
    backup_id: backup.backup_id,
    job_id: backup.job_id,
    job_name: backup.job_name,
    backup_type: backup.backup_type,
    file_path: backup.file_path,
    file_size: backup.file_size,
    logical_size: backup.logical_size,
    compression_ratio: backup.compression_ratio,
    encryption: backup.encryption,
    checksum: backup.checksum,
    status: backup.status,
    created_at: backup.created_at,
    verified_at: backup.verified_at,
    verification_status: backup.verification_status,
    retention_until: backup.retention_until,
    duration: backup.duration,
    parent_backup_id: backup.parent_backup_id,
    execution_id: backup.execution_id,
    entries: typeof backup.metadata.entries === 'number' ? backup.metadata.entries : undefined,
  };
}

/** `POST /backup/restores` response shape. */
export function restoreView(restore: RestoreRecord): RestoreView {
  return {
    restore_id: minted('restore', restore.restore_id),
    restore_name: restore.restore_name,
    description: restore.description,
    backup_id: restore.backup_id,
    source: maskSecrets(restore.source),
    destination: maskSecrets(restore.destination),
    restore_options: restore.restore_options,
    notifications: restore.notifications,
    status: restore.status,
    created_at: restore.created_at,
    created_by: restore.created_by,
    started_at: restore.started_at,
    completed_at: restore.completed_at,
  };
}

/** `GET /backup/restores/{restore_id}/status` response shape. */
export function restoreStatusView(restore: RestoreRecord, now: string): RestoreStatusView {
  const running = restore.status === 'running' || restore.status === 'queued';
  return {
    restore_id: minted('restore', restore.restore_id),
    backup_id: restore.backup_id,
    status: restore.status,
    progress: restore.progress,
    started_at: restore.started_at,
    completed_at: restore.completed_at,
    duration: durationSeconds(restore.started_at, running ? now : restore.completed_at),
    estimated_completion: running ? (restore.estimated_completion ?? null) : null,
    result: stored<RestoreResultBlock>(restore.result),
    verification: stored<RestoreVerificationBlock>(restore.verification),
    error: errorView(restore.error),
  };
}

/** `POST /backup/backups/{backup_id}/verify` response shape, plus the outcome once known. */
export function verificationView(verification: VerificationRecord): VerificationView {
  return {
    verification_id: minted('verify', verification.verification_id),
    backup_id: verification.backup_id,
    verification_type: verification.verification_type,
    status: verification.status,
    progress: verification.progress,
    started_at: verification.started_at ?? verification.created_at,
    estimated_completion: verification.estimated_completion,
    checksum_verification: verification.checksum_verification,
    integrity_check: verification.integrity_check,
    test_restore: verification.test_restore,
    test_restore_options: verification.test_restore_options,
    completed_at: verification.completed_at,
    result: stored<VerificationOutcome>(verification.result),
    // `code: message` text, as this view has always shown it; `result.error` holds the details.
    error: verification.error,
  };
}
