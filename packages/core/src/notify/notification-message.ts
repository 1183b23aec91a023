import type { BackupRecord, ExecutionRecord, JobRecord } from '../catalog/records.js';
import type { NotificationMessage, NotificationOutcome, NotificationSettings } from './notifier.js';
import { maskSecrets } from './notifier.js';

/** Reads a job's `notifications` block (as stored) into settings; null when absent or malformed. */
export function notificationSettingsOf(job: Pick<JobRecord, 'notifications'>): NotificationSettings | null {
  const n = job.notifications;
  if (!n || typeof n !== 'object') return null;
  const recipients = Array.isArray(n.recipients)
    ? n.recipients.filter((r): r is string => typeof r === 'string')
    : [];
  return {
    on_success: n.on_success === true,
    on_failure: n.on_failure === true,
    on_warning: n.on_warning === true,
    recipients,
  };
}

/**
 * The notification for a finished backup execution: outcome from its status (`completed` with
 * warnings → `warning`), sizes from the backup record, duration from the execution's times.
 * Error text is passed through `maskSecrets`.
 */
export function backupNotification(
  job: Pick<JobRecord, 'job_id' | 'job_name' | 'notifications'>,
  execution: Pick<
    ExecutionRecord,
    'execution_id' | 'status' | 'trigger' | 'started_at' | 'completed_at' | 'error'
  >,
  backup: Pick<BackupRecord, 'backup_id' | 'logical_size' | 'file_size' | 'new_bytes'> | null,
  warnings: string[] = [],
): NotificationMessage {
  const outcome: NotificationOutcome =
    execution.status === 'completed' ? (warnings.length > 0 ? 'warning' : 'success') : 'failure';
  const started = execution.started_at ? Date.parse(execution.started_at) : Number.NaN;
  const completed = execution.completed_at ? Date.parse(execution.completed_at) : Number.NaN;
  return {
    kind: 'backup',
    outcome,
    job_id: job.job_id,
    job_name: job.job_name,
    execution_id: execution.execution_id,
    backup_id: backup?.backup_id ?? null,
    trigger: execution.trigger,
    started_at: execution.started_at,
    completed_at: execution.completed_at,
    duration:
      Number.isNaN(started) || Number.isNaN(completed) ? null : Math.max(0, (completed - started) / 1000),
    logical_size: backup?.logical_size ?? null,
    file_size: backup?.file_size ?? null,
    new_bytes: backup?.new_bytes ?? null,
    error: execution.error
      ? { code: execution.error.code, message: maskSecrets(execution.error.message) }
      : null,
    warnings,
    recipients: notificationSettingsOf(job)?.recipients ?? [],
  };
}
