import type { BackupRecord, ExecutionRecord, JobRecord } from '../catalog/records.js';
import { toBackupError } from '../errors.js';
import { traceExecution } from '../monitoring/execution-trace.js';
import { inPhase } from '../monitoring/phase-timeline.js';
import type { Repository } from '../repository/repository.js';
import { isEmptyPolicy, normalizeRetentionPolicy } from '../retention/plan-retention.js';
import type { DestinationConfig } from '../storage/storage-driver.js';
import { backUp, executionProgress, openRepository } from './execution-backup.js';
import { backupRecordOf } from './execution-backup-record.js';
import { recordCompleted, recordFailed } from './execution-outcome.js';
import { ExecutionProgress, verificationWeight } from './execution-progress.js';
import type { ExecutionRun, RunExecutionResult } from './execution-run.js';
import { initialEstimate } from './execution-start.js';
import { applyRetentionPolicy } from './retention-operations.js';
import type { ExecuteJobParsed } from './schemas/execute.js';
import { secretValues, unsealConfig } from './secrets.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { verifyStoredBackup } from './verification-runner.js';
import { jobStatusView } from './views.js';
import { WriteChain } from './write-chain.js';

export type { RunExecutionResult } from './execution-run.js';

/**
 * The background body of an execution: source → engine → repository, then the backup row,
 * verification, retention and the final status. Its lease is renewed by the scheduler that
 * runs it. Records every outcome (completed, failed, cancelled) in the catalog and emits the
 * matching event; never throws.
 */
export async function runExecution(
  context: ServiceContext,
  executionId: string,
  options: ExecuteJobParsed,
  signal: AbortSignal,
): Promise<RunExecutionResult> {
  const run = await startRun(context, executionId, options);
  const trace = traceExecution(context, run);
  try {
    const backup = await backUpAndVerify(context, run, signal);
    await applyRetentionAfterBackup(context, run.job);
    trace.completed(backup);
    return await recordCompleted(context, run, backup);
  } catch (thrown) {
    trace.failed(thrown);
    return await recordFailed(context, run, thrown, signal);
  } finally {
    trace.end();
  }
}

/** Loads the execution and its job, seeds its estimate and emits `execution.started`. */
async function startRun(
  context: ServiceContext,
  executionId: string,
  options: ExecuteJobParsed,
): Promise<ExecutionRun> {
  const execution = (await context.catalog.getExecution(executionId))!;
  const job = (await context.catalog.getJob(execution.job_id))!;
  const sourceConfig = unsealConfig(job.source, context.sealer);
  const destination = unsealConfig(job.destination, context.sealer) as DestinationConfig;
  const run: ExecutionRun = {
    executionId,
    options,
    job,
    execution,
    startedAt: execution.started_at ?? nowIso(context),
    sourceConfig,
    destination,
    secrets: [...secretValues(sourceConfig), ...secretValues(destination)],
    writes: new WriteChain(),
  };
  run.execution = await seededEstimate(context, run);
  context.events.emit('execution.started', {
    id: executionId,
    job_id: job.job_id,
    status: jobStatusView(job, run.execution, null, null, nowIso(context)),
  });
  return run;
}

/**
 * Queued runs were estimated from when they were queued; this one starts now. Only a hint:
 * progress updates replace it, so trouble writing it does not stop the run.
 */
async function seededEstimate(context: ServiceContext, run: ExecutionRun): Promise<ExecutionRecord> {
  const { execution } = run;
  return initialEstimate(context, run.job.job_id, new Date(run.startedAt))
    .then((seeded) =>
      seeded === execution.estimated_completion
        ? execution
        : run.writes.run(() =>
            context.catalog.updateExecution(run.executionId, { estimated_completion: seeded }),
          ),
    )
    .catch(() => execution);
}

/** Backs the source up into the job's repository, records the backup and verifies it as the job says. */
async function backUpAndVerify(
  context: ServiceContext,
  run: ExecutionRun,
  signal: AbortSignal,
): Promise<BackupRecord> {
  // Checked again at run time: a symlink swapped in or a policy tightened since creation counts.
  const kind = context.sources.get(String(run.sourceConfig.type));
  const runConfig = await context.access.checkConfig(kind, run.sourceConfig, 'backup', 'source');
  await context.access.checkDestination(run.destination);
  const driver = await context.storage.open(run.destination);
  try {
    const repository = await openRepository(context, run, driver, signal);
    const source = kind.createSource(runConfig, await context.access.environment());
    const progress = new ExecutionProgress(
      executionProgress(context, run.executionId, run.job.job_id, run.writes),
      verificationWeight(run.job.verification, run.options.execution_options.skip_verification),
    );
    const manifest = await backUp(context, run, { repository, source, progress, signal });
    const backup = await backupRecordOf(context, {
      job: run.job,
      executionId: run.executionId,
      manifest,
      driver,
      destination: run.destination,
      sourceType: String(run.sourceConfig.type),
      startedAt: run.startedAt,
      signal,
    });
    await context.catalog.insertBackup(backup);
    return await verifyAfterBackup(context, run, backup, { repository, progress, signal });
  } finally {
    await driver.close?.().catch(() => {});
  }
}

/** The job's verification of the new backup, unless off or skipped; the backup row as it then reads. */
async function verifyAfterBackup(
  context: ServiceContext,
  run: ExecutionRun,
  backup: BackupRecord,
  parts: { repository: Repository; progress: ExecutionProgress; signal: AbortSignal },
): Promise<BackupRecord> {
  const verify = run.job.verification;
  if (verify.enabled !== true || run.options.execution_options.skip_verification) return backup;
  await inPhase(run.phases, 'verify', (span) =>
    verifyStoredBackup(context, backup, {
      verification_type: typeof verify.verification_type === 'string' ? verify.verification_type : 'full',
      ...(verify.test_restore_options
        ? { test_restore_options: verify.test_restore_options as Record<string, unknown> }
        : {}),
      checksum_verification: verify.checksum_verification !== false,
      integrity_check: verify.integrity_check !== false,
      test_restore: verify.test_restore === true,
      requested_by: run.execution.executed_by,
      repository: parts.repository,
      signal: parts.signal,
      onProgress: (update) => parts.progress.verification(update),
      ...(span ? { traceParent: span } : {}),
    }),
  );
  return (await context.catalog.getBackup(backup.backup_id)) ?? backup;
}

/**
 * The job's retention policy (and garbage collection), when the service applies it after each
 * backup. Before the final status, so whoever waits for this run sees the policy applied.
 * Retention or GC trouble is logged; the backup itself has succeeded and stays so.
 */
async function applyRetentionAfterBackup(context: ServiceContext, job: JobRecord): Promise<void> {
  if (!context.retentionAfterBackup || !job.retention) return;
  if (isEmptyPolicy(normalizeRetentionPolicy(job.retention))) return;
  try {
    await applyRetentionPolicy(context, job.job_id, {});
  } catch (error) {
    context.logger.warn('Retention after backup failed', {
      job_id: job.job_id,
      code: toBackupError(error).code,
    });
  }
}
