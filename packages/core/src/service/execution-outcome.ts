import type { BackupRecord, ErrorInfo, ExecutionRecord } from '../catalog/records.js';
import { BackupError, isBackupError, toBackupError } from '../errors.js';
import { errorInfoOf, errorOfInfo } from './error-info.js';
import type { ExecutionRun, RunExecutionResult } from './execution-run.js';
import { notifyExecution } from './notifications.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { jobStatusView } from './views.js';

/** Records the run completed, emits `execution.completed` and notifies when asked to. */
export async function recordCompleted(
  context: ServiceContext,
  run: ExecutionRun,
  backup: BackupRecord,
): Promise<RunExecutionResult> {
  const { catalog } = context;
  const { job } = run;
  const completedAt = nowIso(context);
  const execution = await run.writes.run(() =>
    catalog.updateExecution(run.executionId, {
      status: 'completed',
      progress: 100,
      completed_at: completedAt,
      estimated_completion: completedAt,
      backup_id: backup.backup_id,
      lease_expires_at: null,
    }),
  );
  await catalog.updateJob(job.job_id, { last_run: run.startedAt });
  const verification = await catalog.latestVerification(backup.backup_id);
  const status = jobStatusView(job, execution, backup, verification, completedAt);
  context.events.emit('execution.completed', { id: run.executionId, job_id: job.job_id, status });
  if (run.options.execution_options.notify_on_completion) {
    const warnings =
      verification && verification.status !== 'passed'
        ? [`Verification ${verification.status}: ${verification.error ?? 'see the verification record'}`]
        : [];
    await notifyExecution(context, job, execution, backup, warnings);
  }
  return { execution, backup };
}

/**
 * Records the run failed or cancelled (secrets scrubbed from its error), emits
 * `execution.failed` and notifies a failure when asked to.
 */
export async function recordFailed(
  context: ServiceContext,
  run: ExecutionRun,
  thrown: unknown,
  signal: AbortSignal,
): Promise<RunExecutionResult> {
  const { job, executionId } = run;
  const cancelled = signal.aborted;
  const error = cancelled
    ? new BackupError('aborted', 'The execution was cancelled', { details: { execution_id: executionId } })
    : toBackupError(thrown);
  const stored = errorInfoOf(error, run.secrets);
  const completedAt = nowIso(context);
  const execution = await storeFailure(context, run, stored, completedAt, signal);
  await context.catalog.updateJob(job.job_id, { last_run: run.startedAt }).catch(() => {});
  context.logger.warn(cancelled ? 'Execution cancelled' : 'Execution failed', {
    execution_id: executionId,
    job_id: job.job_id,
    code: error.code,
    message: stored.message,
  });
  context.events.emit('execution.failed', {
    id: executionId,
    job_id: job.job_id,
    status: jobStatusView(job, execution, null, null, completedAt),
    error: errorOfInfo(stored),
  });
  if (!cancelled && run.options.execution_options.notify_on_completion) {
    await notifyExecution(context, job, execution, null, []);
  }
  return { execution, backup: null };
}

/**
 * Stores a failed or cancelled outcome. When the lease was lost (cancelled in the catalog by
 * another instance, or failed at lease expiry) the record already holds the outcome others
 * decided: it is kept, not overwritten.
 */
async function storeFailure(
  context: ServiceContext,
  run: ExecutionRun,
  stored: ErrorInfo,
  completedAt: string,
  signal: AbortSignal,
): Promise<ExecutionRecord> {
  const { catalog } = context;
  const cancelled = signal.aborted;
  const leaseLost = cancelled && isBackupError(signal.reason, 'conflict');
  const current = leaseLost ? await run.writes.run(() => catalog.getExecution(run.executionId)) : null;
  return (
    current ??
    (await run.writes.run(() =>
      catalog.updateExecution(run.executionId, {
        status: cancelled ? 'cancelled' : 'failed',
        completed_at: completedAt,
        lease_expires_at: null,
        error: stored,
      }),
    ))
  );
}
