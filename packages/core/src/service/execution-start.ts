import type { ExecutionRecord, JobRecord } from '../catalog/records.js';
import { BackupError } from '../errors.js';
import { EXECUTION_PRIORITY } from '../schedule/occurrences.js';
import { newId } from '../util/ids.js';
import type { CallContext } from './backup-service.js';
import { checkKeyId, loadJob } from './job-operations.js';
import { COMPRESSION_LEVELS } from './schemas/common.js';
import { type ExecuteJobParsed, executeJobSchema } from './schemas/execute.js';
import type { ServiceContext } from './service-context.js';
import { invalidConfig, parseInput } from './validate.js';
import { durationSeconds } from './views.js';

/** How a run was started (the scheduler passes `schedule` and the occurrence it claimed). */
export interface ExecutionTrigger {
  trigger: 'manual' | 'schedule' | 'startup-catchup';
  scheduled_for?: string | null;
}

/**
 * Checks the per-run overrides against the job (they need lookups, so they are config errors).
 * @throws BackupError `invalid_backup_config`.
 */
async function checkCustomParameters(
  context: ServiceContext,
  job: JobRecord,
  options: ExecuteJobParsed,
): Promise<void> {
  const custom = options.custom_parameters;
  if (custom.compression_level !== undefined) {
    const algorithm = String(job.compression.algorithm ?? 'none');
    if (algorithm === 'none') {
      throw invalidConfig(
        'custom_parameters.compression_level',
        'The job does not compress; no level applies',
      );
    }
    const range = COMPRESSION_LEVELS[algorithm as keyof typeof COMPRESSION_LEVELS];
    if (custom.compression_level < range.min || custom.compression_level > range.max) {
      throw invalidConfig(
        'custom_parameters.compression_level',
        `The level must be ${range.min}-${range.max} for ${algorithm}`,
      );
    }
  }
  if (custom.encryption_key !== undefined) {
    await checkKeyId(context, custom.encryption_key, 'custom_parameters.encryption_key');
  }
}

/**
 * ETA for a run that has not measured anything yet: as long after `startedAt` as the job's
 * last completed run took. Null for a first run: nothing is known until the engine has measured
 * its rate, and progress updates then bring one.
 */
export async function initialEstimate(
  context: ServiceContext,
  jobId: string,
  startedAt: Date,
): Promise<string | null> {
  const last = await context.catalog.listExecutions({
    job_id: jobId,
    status: ['completed'],
    limit: 1,
    offset: 0,
  });
  const run = last.items[0];
  const seconds = run ? durationSeconds(run.started_at, run.completed_at) : null;
  return seconds === null ? null : new Date(startedAt.getTime() + Math.max(1, seconds) * 1000).toISOString();
}

/**
 * Validates an execute request and builds the execution record (`queued`, no owner; the caller
 * marks it `running` with owner and lease when it takes a slot). Nothing is recorded here.
 * @throws BackupError `job_not_found` (also for a job `call` may not see), `validation_failed`,
 * `invalid_backup_config`.
 */
export async function prepareExecution(
  context: ServiceContext,
  jobId: string,
  input: unknown,
  call: CallContext,
  trigger: ExecutionTrigger,
): Promise<{ execution: ExecutionRecord; options: ExecuteJobParsed; job: JobRecord }> {
  const job = await loadJob(context, jobId, call);
  const options = parseInput(executeJobSchema, input ?? {});
  await checkCustomParameters(context, job, options);
  const now = context.clock.now();
  const execution: ExecutionRecord = {
    execution_id: newId('exec'),
    job_id: jobId,
    status: 'queued',
    progress: 0,
    bytes_done: 0,
    bytes_total: 0,
    execution_options: options.execution_options,
    custom_parameters: options.custom_parameters,
    executed_by: call.principal ?? null,
    trigger: trigger.trigger,
    scheduled_for: trigger.scheduled_for ?? null,
    priority: EXECUTION_PRIORITY[options.execution_options.priority],
    // Queued executions belong to no instance: whichever has a free slot claims them.
    owner: null,
    lease_expires_at: null,
    created_at: now.toISOString(),
    started_at: null,
    completed_at: null,
    estimated_completion: await initialEstimate(context, jobId, now),
    backup_id: null,
    error: null,
  };
  return { execution, options, job };
}

/**
 * The documented 409 for a second run, naming the job and the run in progress (the catalog's
 * own error only knows that a uniqueness rule fired).
 */
export async function executionInProgressError(
  context: ServiceContext,
  jobId: string,
  cause: unknown,
): Promise<BackupError> {
  const latest = await context.catalog.latestExecution(jobId).catch(() => null);
  const running = latest && executionIsActive(latest) ? latest : null;
  return new BackupError('execution_in_progress', `Job ${jobId} already has an execution in progress`, {
    cause,
    details: { job_id: jobId, ...(running ? { execution_id: running.execution_id } : {}) },
  });
}

export function executionIsActive(execution: ExecutionRecord): boolean {
  return execution.status === 'queued' || execution.status === 'running';
}
