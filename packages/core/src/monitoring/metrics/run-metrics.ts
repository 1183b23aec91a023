import type { EventEmitter } from 'eventemitter3';
import type { CatalogRepository } from '../../catalog/catalog-repository.js';
import { isBackupError } from '../../errors.js';
import type { BackupServiceEvents } from '../../service/events.js';
import { type MetricFactory, RUN_BUCKETS } from './metric-factory.js';
import type { PendingUpdates } from './pending-updates.js';

// Counters and histograms of what ran in this process, fed by the service's events. Like every
// Prometheus counter they start at zero with the process; `rate()` and `increase()` handle that.
// Labels are bounded: job ids (jobs are configuration), statuses and error codes (fixed sets).

function seconds(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

function codeOf(error: unknown): string {
  return isBackupError(error) ? error.code : 'internal_error';
}

export function registerRunMetrics(
  factory: MetricFactory,
  events: EventEmitter<BackupServiceEvents>,
  catalog: CatalogRepository,
  pending: PendingUpdates,
): void {
  const collect = () => pending.settled();
  const executions = factory.counter({
    name: 'executions_total',
    help: 'Backup executions that ended, by job and final status (completed, failed, cancelled).',
    labels: ['job_id', 'status'],
    collect,
  });
  const duration = factory.histogram({
    name: 'execution_duration_seconds',
    help: 'Wall time of backup executions, from start to final status.',
    labels: ['job_id', 'status'],
    buckets: RUN_BUCKETS,
    collect,
  });
  const failures = factory.counter({
    name: 'execution_failures_total',
    help: 'Failed or cancelled backup executions by error code.',
    labels: ['job_id', 'code'],
    collect,
  });
  const logical = factory.counter({
    name: 'backup_logical_bytes_total',
    help: 'Source (plaintext) bytes of completed backups.',
    labels: ['job_id'],
    collect,
  });
  const newBytes = factory.counter({
    name: 'backup_new_bytes_total',
    help: 'Stored bytes completed backups added (chunks no earlier backup held).',
    labels: ['job_id'],
    collect,
  });
  const stored = factory.counter({
    name: 'backup_stored_bytes_total',
    help: 'Stored (compressed, encrypted) bytes completed backups reference, reused chunks included.',
    labels: ['job_id'],
    collect,
  });
  const chunks = factory.counter({
    name: 'backup_chunks_total',
    help: 'Chunks of completed backups: new (stored by the backup) or reused (already stored).',
    labels: ['job_id', 'kind'],
    collect,
  });
  const lag = factory.histogram({
    name: 'scheduler_lag_seconds',
    help: 'Delay from a scheduled occurrence to the start of its execution.',
    buckets: [0.5, 1, 5, 15, 30, 60, 120, 300, 900, 3600],
    collect,
  });

  events.on('execution.started', (event) => {
    pending.add(
      catalog.getExecution(event.id).then((execution) => {
        const delay = seconds(execution?.scheduled_for, execution?.started_at);
        if (delay !== null) lag.observe({}, delay);
      }),
    );
  });
  events.on('execution.completed', (event) => {
    const jobId = event.status.job_id;
    executions.inc({ job_id: jobId, status: 'completed' });
    const took = seconds(event.status.started_at, event.status.completed_at);
    if (took !== null) duration.observe({ job_id: jobId, status: 'completed' }, took);
    const backupId = event.status.result?.backup_id;
    if (!backupId) return;
    pending.add(
      catalog.getBackup(backupId).then((backup) => {
        if (!backup) return;
        logical.inc({ job_id: jobId }, backup.logical_size);
        newBytes.inc({ job_id: jobId }, backup.new_bytes);
        stored.inc({ job_id: jobId }, backup.file_size);
        const total = Number(backup.metadata.chunks ?? 0);
        const fresh = Number(backup.metadata.new_chunks ?? 0);
        chunks.inc({ job_id: jobId, kind: 'new' }, fresh);
        chunks.inc({ job_id: jobId, kind: 'reused' }, Math.max(0, total - fresh));
      }),
    );
  });
  events.on('execution.failed', (event) => {
    const jobId = event.status.job_id;
    const status = event.status.status === 'cancelled' ? 'cancelled' : 'failed';
    executions.inc({ job_id: jobId, status });
    failures.inc({ job_id: jobId, code: codeOf(event.error) });
    const took = seconds(event.status.started_at, event.status.completed_at);
    if (took !== null) duration.observe({ job_id: jobId, status }, took);
  });

  const restores = factory.counter({
    name: 'restores_total',
    help: 'Restores that ended, by final status.',
    labels: ['status'],
  });
  const restoreDuration = factory.histogram({
    name: 'restore_duration_seconds',
    help: 'Wall time of restores, by final status.',
    labels: ['status'],
    buckets: RUN_BUCKETS,
  });
  const restoreEnded = (status: {
    status: string;
    started_at: string | null;
    completed_at: string | null;
  }) => {
    restores.inc({ status: status.status });
    const took = seconds(status.started_at, status.completed_at);
    if (took !== null) restoreDuration.observe({ status: status.status }, took);
  };
  events.on('restore.completed', (event) => restoreEnded(event.status));
  events.on('restore.failed', (event) => restoreEnded(event.status));

  const verifications = factory.counter({
    name: 'verifications_total',
    help: 'Verifications that ended, by result (passed, failed, error).',
    labels: ['status'],
  });
  const verificationDuration = factory.histogram({
    name: 'verification_duration_seconds',
    help: 'Wall time of verifications, by result.',
    labels: ['status'],
    buckets: RUN_BUCKETS,
  });
  const verificationEnded = (status: { status: string; started_at: string; completed_at: string | null }) => {
    verifications.inc({ status: status.status });
    const took = seconds(status.started_at, status.completed_at);
    if (took !== null) verificationDuration.observe({ status: status.status }, took);
  };
  events.on('verification.completed', (event) => verificationEnded(event.status));
  events.on('verification.failed', (event) => verificationEnded(event.status));
}
