/** Progress of a running execution, restore or verification. */
export interface ProgressEvent {
  id: string;
  job_id?: string;
  /** Integer 0-100: bytes done / bytes estimated. */
  progress: number;
  bytes_done: number;
  bytes_total: number;
  /** ISO time derived from measured throughput; null until measurable. */
  estimated_completion: string | null;
}

export interface OutcomeEvent {
  id: string;
  job_id?: string;
  /** The final status view (same shape as the status endpoints). */
  status: Record<string, unknown>;
}

export interface FailureEvent extends OutcomeEvent {
  error: Error;
}

/** Typed events of `BackupService`. Failures carry Error objects, never strings. */
export interface BackupServiceEvents {
  'execution.started': (event: OutcomeEvent) => void;
  'execution.progress': (event: ProgressEvent) => void;
  'execution.completed': (event: OutcomeEvent) => void;
  'execution.failed': (event: FailureEvent) => void;
  'restore.started': (event: OutcomeEvent) => void;
  'restore.progress': (event: ProgressEvent) => void;
  'restore.completed': (event: OutcomeEvent) => void;
  'restore.failed': (event: FailureEvent) => void;
  'verification.started': (event: OutcomeEvent) => void;
  'verification.progress': (event: ProgressEvent) => void;
  'verification.completed': (event: OutcomeEvent) => void;
  'verification.failed': (event: FailureEvent) => void;
  'retention.applied': (event: {
    job_id: string;
    deleted: string[];
    kept: string[];
    dry_run: boolean;
  }) => void;
  'notification.failed': (event: { job_id: string; channel: string; error: Error }) => void;
}
