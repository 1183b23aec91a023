import os from 'node:os';
import type { ExecutionRecord } from '../catalog/records.js';
import { nowIso, type ServiceContext } from './service-context.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the instance that owns an execution is gone (same id as ours, a dead local pid, or an expired lease). */
function ownerIsDead(context: ServiceContext, execution: ExecutionRecord, now: Date): boolean {
  if (execution.owner === null || execution.owner === context.instanceId) return true;
  const [host, pid] = execution.owner.split(':');
  if (
    host === os.hostname() &&
    pid &&
    /^\d+$/.test(pid) &&
    Number(pid) !== process.pid &&
    !processAlive(Number(pid))
  ) {
    return true;
  }
  return execution.lease_expires_at !== null && new Date(execution.lease_expires_at) < now;
}

/**
 * Marks executions that a dead process left `running` as failed, so their jobs can run again.
 * Run at start-up, before this instance starts any work of its own. (Queued executions belong to
 * no instance; they stay queued for whichever claims them. Dead instances elsewhere are found by
 * the scheduler's lease sweep.)
 */
export async function failOrphanedExecutions(context: ServiceContext): Promise<string[]> {
  const now = context.clock.now();
  const failed: string[] = [];
  // Failed ones leave the filtered listing, so the offset only counts the live ones skipped.
  let skipped = 0;
  for (;;) {
    const page = await context.catalog.listExecutions({
      status: ['running'],
      limit: 500,
      offset: skipped,
    });
    for (const execution of page.items) {
      if (!ownerIsDead(context, execution, now)) {
        skipped++;
        continue;
      }
      await context.catalog.updateExecution(execution.execution_id, {
        status: 'failed',
        completed_at: nowIso(context),
        lease_expires_at: null,
        error: {
          code: 'internal_error',
          message:
            'The process running this execution stopped before it finished; nothing from it was committed',
        },
      });
      failed.push(execution.execution_id);
    }
    if (page.items.length < 500) break;
  }
  if (failed.length > 0)
    context.logger.warn('Marked executions of a stopped process as failed', { executions: failed });
  return failed;
}

/** `host:pid:random`: lets a restarted process on the same host recognise executions of a dead one. */
export function defaultInstanceId(random: string): string {
  return `${os.hostname()}:${process.pid}:${random}`;
}
