import { claimDueOccurrences, sweepExpiredLeases } from '../schedule/occurrences.js';
import { prepareExecution } from './execution-start.js';
import type { ServiceContext } from './service-context.js';

/**
 * One scheduler pass: fails runs of other instances whose lease expired, then claims each due
 * schedule occurrence (exactly once across instances; missed occurrences collapse into one
 * catch-up run) and hands the queued executions to `adopt` to run.
 */
export async function runSchedulePass(
  context: ServiceContext,
  adopt: (executionId: string) => Promise<void>,
): Promise<void> {
  const now = context.clock.now();
  await sweepExpiredLeases(context.catalog, now, { skipOwner: context.instanceId, logger: context.logger });
  const outcomes = await claimDueOccurrences({
    catalog: context.catalog,
    now,
    logger: context.logger,
    createExecution: async (schedule, trigger) => {
      const job = await context.catalog.getJob(schedule.job_id);
      if (job?.status !== 'active') return null;
      const { execution } = await prepareExecution(
        context,
        schedule.job_id,
        {},
        { principal: null },
        {
          trigger,
          scheduled_for: schedule.next_execution,
        },
      );
      return execution;
    },
  });
  for (const outcome of outcomes) if (outcome.execution_id) await adopt(outcome.execution_id);
}
