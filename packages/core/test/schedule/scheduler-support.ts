import type { CatalogRepository, ExecutionRecord, JobRecord, ScheduleSpec } from '@backupkit/core';
import { nextRunAfter } from '@backupkit/core';

let counter = 0;

/** Inserts an active job with a schedule whose next occurrence is computed from `now`. */
export async function insertScheduledJob(
  catalog: CatalogRepository,
  spec: ScheduleSpec,
  now: Date,
  jobId = `job_sched${String(++counter).padStart(4, '0')}${Math.random().toString(36).slice(2, 8)}`,
): Promise<string> {
  const at = now.toISOString();
  const next = nextRunAfter(spec, now)?.toISOString() ?? null;
  const job: JobRecord = {
    job_id: jobId,
    job_name: `Scheduled ${jobId}`,
    description: null,
    backup_type: 'full',
    source: { type: 'filesystem', path: '/tmp/none' },
    destination: { type: 'local', path: '/tmp/none' },
    schedule: { ...spec },
    retention: null,
    compression: { enabled: false },
    encryption: { enabled: false },
    verification: { enabled: false },
    notifications: null,
    status: 'active',
    created_at: at,
    created_by: null,
    updated_at: at,
    last_run: null,
    next_run: next,
  };
  await catalog.insertJob(job);
  await catalog.upsertSchedule({
    job_id: jobId,
    frequency: spec.frequency,
    day_of_month: spec.day_of_month ?? null,
    day_of_week: spec.day_of_week ?? null,
    time: spec.time ?? null,
    timezone: spec.timezone ?? 'UTC',
    enabled: spec.enabled ?? true,
    last_executed: null,
    next_execution: next,
    created_at: at,
    updated_at: at,
  });
  return jobId;
}

/** A run that completes at once, recording the final state the way the service does. */
export function completingRun(catalog: CatalogRepository, now: () => Date, log: ExecutionRecord[]) {
  return async (execution: ExecutionRecord) => {
    log.push(execution);
    await catalog.updateExecution(execution.execution_id, {
      status: 'completed',
      progress: 100,
      completed_at: now().toISOString(),
      lease_expires_at: null,
    });
  };
}
