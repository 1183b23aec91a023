import type { EventEmitter } from 'eventemitter3';
import { isBackupError } from '../errors.js';
import type { BackupServiceEvents } from '../service/events.js';
import type { ServiceLogger } from '../service/service-context.js';

/**
 * One structured line per start and outcome of executions, restores and verifications, with
 * their ids. Failures are logged by code: messages may quote a source and are kept in the
 * catalog, scrubbed, instead.
 */
export function logLifecycle(events: EventEmitter<BackupServiceEvents>, logger: ServiceLogger): void {
  const code = (error: unknown) => (isBackupError(error) ? error.code : 'internal_error');
  events.on('execution.started', ({ id, status }) =>
    logger.info('Execution started', { job_id: status.job_id, execution_id: id }),
  );
  events.on('execution.completed', ({ id, status }) =>
    logger.info('Execution completed', {
      job_id: status.job_id,
      execution_id: id,
      backup_id: status.result?.backup_id ?? null,
      duration_s: status.duration,
      stored_bytes: status.result?.file_size ?? null,
    }),
  );
  // Failures are logged as warnings where they are recorded (execution-outcome.ts).
  events.on('restore.started', ({ id, status }) =>
    logger.info('Restore started', { restore_id: id, backup_id: status.backup_id }),
  );
  events.on('restore.completed', ({ id, status }) =>
    logger.info('Restore completed', { restore_id: id, backup_id: status.backup_id }),
  );
  events.on('restore.failed', ({ id, status, error }) =>
    logger.warn('Restore failed', {
      restore_id: id,
      backup_id: status.backup_id,
      status: status.status,
      code: code(error),
    }),
  );
  events.on('verification.completed', ({ id, job_id, status }) =>
    logger.info('Verification passed', {
      verification_id: id,
      backup_id: status.backup_id,
      job_id: job_id ?? null,
    }),
  );
  events.on('verification.failed', ({ id, job_id, status, error }) =>
    logger.warn('Verification did not pass', {
      verification_id: id,
      backup_id: status.backup_id,
      job_id: job_id ?? null,
      status: status.status,
      code: code(error),
    }),
  );
}
