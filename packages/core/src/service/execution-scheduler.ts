import { setMaxListeners } from 'node:events';
import type { ExecutionRecord } from '../catalog/records.js';
import { isBackupError } from '../errors.js';
import { Scheduler } from '../schedule/scheduler.js';
import type { CallContext } from './backup-service.js';
import { runExecution } from './execution-runner.js';
import { executionInProgressError, prepareExecution } from './execution-start.js';
import { executeJobSchema } from './schemas/execute.js';
import type { ServiceContext } from './service-context.js';

export interface ServiceSchedulerOptions {
  maxConcurrentExecutions?: number;
  /** Real-time interval between scheduler ticks after `start()`. */
  intervalMs?: number;
}

/**
 * The service's one execution mechanism: the catalog-backed `Scheduler`. Every execution is a
 * catalog row; queued ones are claimed by priority by whichever instance has a free slot, so a
 * run queued on a busy instance is picked up by an idle one. Runs are registered in the context's
 * `WorkTracker` too, so `waitFor`, `cancelExecution` and `stop()` see them like other work.
 */
export function createServiceScheduler(
  context: () => ServiceContext,
  options: ServiceSchedulerOptions,
): Scheduler {
  const c = context();
  return new Scheduler({
    catalog: c.catalog,
    instanceId: c.instanceId,
    clock: c.clock,
    leaseMs: c.leaseMs,
    // Ticks also renew leases, so they must come at least three times per lease.
    pollMs: Math.min(options.intervalMs ?? 15_000, Math.floor(c.leaseMs / 3)),
    maxConcurrent: options.maxConcurrentExecutions ?? 2,
    logger: c.logger,
    runExecution: (execution, { signal }) => runTracked(context(), execution, signal),
    createExecution: async (schedule, trigger) => {
      const job = await c.catalog.getJob(schedule.job_id);
      if (job?.status !== 'active') return null;
      const { execution } = await prepareExecution(
        context(),
        schedule.job_id,
        {},
        { principal: null },
        { trigger, scheduled_for: schedule.next_execution },
      );
      return execution;
    },
  });
}

/** Runs a claimed execution (its options are on the record) as tracked work; resolves when it ends. */
async function runTracked(context: ServiceContext, execution: ExecutionRecord, signal: AbortSignal) {
  const id = execution.execution_id;
  const options = executeJobSchema.parse({
    execution_options: execution.execution_options,
    custom_parameters: execution.custom_parameters,
  });
  context.tracker.start(id, async (own) => {
    const linked = AbortSignal.any([signal, own]);
    // One run's signal is shared by many concurrent reads and writes.
    setMaxListeners(0, linked);
    await runExecution(context, id, options, linked);
  });
  await context.tracker.settled(id);
}

/**
 * Records a manual execution: `running` at once when this instance has a free slot, else `queued`
 * for the first instance with one (highest priority first).
 * @throws BackupError `job_not_found`, `validation_failed`, `invalid_backup_config`,
 * `execution_in_progress` (the job already has a queued or running execution).
 */
export async function startExecution(
  context: ServiceContext,
  scheduler: Scheduler,
  jobId: string,
  input: unknown,
  call: CallContext,
): Promise<ExecutionRecord> {
  const { execution } = await prepareExecution(context, jobId, input, call, { trigger: 'manual' });
  const slot = scheduler.reserve();
  if (slot) {
    const now = context.clock.now();
    execution.status = 'running';
    execution.started_at = execution.created_at;
    execution.owner = context.instanceId;
    execution.lease_expires_at = new Date(now.getTime() + context.leaseMs).toISOString();
  }
  try {
    await context.catalog.insertExecution(execution);
  } catch (error) {
    if (slot) scheduler.unreserve();
    if (isBackupError(error, 'execution_in_progress'))
      throw await executionInProgressError(context, jobId, error);
    throw error;
  }
  if (slot) scheduler.runReserved(execution);
  return execution;
}
