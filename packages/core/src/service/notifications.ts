import type { BackupRecord, ExecutionRecord, JobRecord, RestoreRecord } from '../catalog/records.js';
import { dispatchNotification } from '../notify/dispatch.js';
import { backupNotification, notificationSettingsOf } from '../notify/notification-message.js';
import { maskSecrets } from '../notify/notifier.js';
import type { ServiceContext } from './service-context.js';

/**
 * Sends the job's notification for a finished execution (per its on_success / on_failure /
 * on_warning settings). Never throws: a failed channel emits `notification.failed`.
 */
export async function notifyExecution(
  context: ServiceContext,
  job: JobRecord,
  execution: ExecutionRecord,
  backup: BackupRecord | null,
  warnings: string[],
): Promise<void> {
  if (context.notifiers.length === 0) return;
  try {
    await dispatchNotification(
      context.notifiers,
      notificationSettingsOf(job),
      backupNotification(job, execution, backup, warnings),
      {
        clock: context.clock,
        logger: context.logger,
        onFailure: (channel, error) =>
          context.events.emit('notification.failed', { job_id: job.job_id, channel, error }),
      },
    );
  } catch (error) {
    context.logger.warn('Notification dispatch failed', {
      job_id: job.job_id,
      error: maskSecrets(String(error)),
    });
  }
}

/**
 * Sends a finished restore's notification per the restore request's own `notifications` block
 * (on_success / on_failure / on_warning, recipients). Never throws.
 */
export async function notifyRestore(context: ServiceContext, restore: RestoreRecord): Promise<void> {
  if (context.notifiers.length === 0 || !restore.notifications) return;
  const listed = restore.result?.warnings;
  const warnings = Array.isArray(listed) ? listed.map((w) => String(w)) : [];
  const backup = await context.catalog.getBackup(restore.backup_id).catch(() => null);
  const started = restore.started_at ? Date.parse(restore.started_at) : Number.NaN;
  const completed = restore.completed_at ? Date.parse(restore.completed_at) : Number.NaN;
  const settings = notificationSettingsOf({ notifications: restore.notifications });
  const ok = restore.status === 'completed';
  try {
    await dispatchNotification(
      context.notifiers,
      settings,
      {
        kind: 'restore',
        outcome: ok ? (warnings.length > 0 ? 'warning' : 'success') : 'failure',
        job_id: backup?.job_id ?? '',
        job_name: restore.restore_name,
        execution_id: restore.restore_id,
        backup_id: restore.backup_id,
        started_at: restore.started_at,
        completed_at: restore.completed_at,
        duration:
          Number.isNaN(started) || Number.isNaN(completed) ? null : Math.max(0, (completed - started) / 1000),
        error: restore.error
          ? { code: restore.error.code, message: maskSecrets(restore.error.message) }
          : null,
        warnings,
        recipients: settings?.recipients ?? [],
      },
      {
        clock: context.clock,
        logger: context.logger,
        onFailure: (channel, error) =>
          context.events.emit('notification.failed', { job_id: backup?.job_id ?? '', channel, error }),
      },
    );
  } catch (error) {
    context.logger.warn('Notification dispatch failed', {
      restore_id: restore.restore_id,
      error: maskSecrets(String(error)),
    });
  }
}
