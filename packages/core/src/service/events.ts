import type { JobStatusView, RestoreStatusView, VerificationView } from './schemas/views/index.js';

/** Progress of a running execution, restore or verification. */
export interface ProgressEvent {
  id: string;
  job_id?: string;
  /**
   * Integer 0-100, the same as the status shows: work done over work expected (bytes for a
   * backup, with the verification after it; a restore's bytes plus its index and key builds;
   * a verification's chunks and bytes read).
   */
  progress: number;
  /** Plaintext bytes done and expected (a verification: its work units). */
  bytes_done: number;
  bytes_total: number;
  /** ISO time projected from the rate measured so far; null until something was measured. */
  estimated_completion: string | null;
}

/**
 * A start or an outcome. `status` is the status view (same shape as the status endpoints): a
 * `JobStatusView` for executions, `RestoreStatusView` for restores, `VerificationView` for
 * verifications.
 */
export interface OutcomeEvent<Status extends object = JobStatusView | RestoreStatusView | VerificationView> {
  id: string;
  job_id?: string;
  status: Status;
}

export interface FailureEvent<Status extends object = JobStatusView | RestoreStatusView | VerificationView>
  extends OutcomeEvent<Status> {
  error: Error;
}

export type ExecutionEvent = OutcomeEvent<JobStatusView>;
export type ExecutionFailureEvent = FailureEvent<JobStatusView>;
export type RestoreEvent = OutcomeEvent<RestoreStatusView>;
export type RestoreFailureEvent = FailureEvent<RestoreStatusView>;
export type VerificationEvent = OutcomeEvent<VerificationView>;
export type VerificationFailureEvent = FailureEvent<VerificationView>;

/** Typed events of `BackupService`. Failures carry Error objects, never strings. */
export interface BackupServiceEvents {
  'execution.started': (event: ExecutionEvent) => void;
  'execution.progress': (event: ProgressEvent) => void;
  'execution.completed': (event: ExecutionEvent) => void;
  'execution.failed': (event: ExecutionFailureEvent) => void;
  'restore.started': (event: RestoreEvent) => void;
  'restore.progress': (event: ProgressEvent) => void;
  'restore.completed': (event: RestoreEvent) => void;
  'restore.failed': (event: RestoreFailureEvent) => void;
  'verification.started': (event: VerificationEvent) => void;
  'verification.progress': (event: ProgressEvent) => void;
  'verification.completed': (event: VerificationEvent) => void;
  'verification.failed': (event: VerificationFailureEvent) => void;
  'retention.applied': (event: {
    job_id: string;
    deleted: string[];
    kept: string[];
    dry_run: boolean;
  }) => void;
  'notification.failed': (event: { job_id: string; channel: string; error: Error }) => void;
}
