import type { BackupRecord, ExecutionRecord, JobRecord } from '../catalog/records.js';
import { dispatchNotification } from '../notify/dispatch.js';
import { backupNotification, notificationSettingsOf } from '../notify/notification-message.js';
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
    context.logger.warn('Notification dispatch failed', { job_id: job.job_id, error: String(error) });
  }
}
