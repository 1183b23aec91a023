import type { CatalogRepository } from '../catalog/catalog-repository.js';
import type { ExecutionRecord, ScheduleRecord } from '../catalog/records.js';
import { BackupError, toBackupError } from '../errors.js';
import { newId } from '../util/ids.js';
import { nextRunAfter } from './next-run.js';

/** Execution priorities as stored (`execution_options.priority` → number; higher runs first). */
export const EXECUTION_PRIORITY = { low: 0, normal: 50, high: 100 } as const;

export type ScheduledTrigger = 'schedule' | 'startup-catchup';

/** What the scheduler reports about each due occurrence it looked at. */
export interface OccurrenceOutcome {
  job_id: string;
  scheduled_for: string;
  /** `claimed`: this instance won it and queued `execution_id`; `lost`: another instance did; `skipped`: won, but not run. */
  result: 'claimed' | 'lost' | 'skipped';
  trigger?: ScheduledTrigger;
  execution_id?: string;
  next_run: string | null;
  reason?: string;
}

export interface ClaimOccurrencesOptions {
  catalog: CatalogRepository;
  now: Date;
  /** An occurrence older than this when claimed is a missed run caught up (`startup-catchup`). Default 60 s. */
  lateAfterMs?: number;
  /**
   * Builds the execution for a claimed occurrence (the service adds options, estimate...). Return
   * null to skip it (e.g. the job is paused). Default: a plain queued execution of normal priority.
   */
  createExecution?: (
    schedule: ScheduleRecord,
    trigger: ScheduledTrigger,
    now: Date,
  ) => Promise<ExecutionRecord | null>;
  logger?: { warn(message: string, fields?: Record<string, unknown>): void };
}

/** A queued execution of a scheduled occurrence, with no options. */
export function scheduledExecution(
  schedule: ScheduleRecord,
  trigger: ScheduledTrigger,
  now: Date,
): ExecutionRecord {
  return {
    execution_id: newId('exec'),
    job_id: schedule.job_id,
    status: 'queued',
    progress: 0,
    bytes_done: 0,
    bytes_total: 0,
    execution_options: {},
    custom_parameters: {},
    executed_by: null,
    trigger,
    scheduled_for: schedule.next_execution,
    priority: EXECUTION_PRIORITY.normal,
    owner: null,
    lease_expires_at: null,
    created_at: now.toISOString(),
    started_at: null,
    completed_at: null,
    estimated_completion: null,
    backup_id: null,
    error: null,
  };
}

/**
 * Claims every schedule occurrence due at `now` that no other instance has claimed, and queues
 * one execution for each. The claim is the catalog's compare-and-set on `next_execution`, so with
 * many instances each occurrence is claimed once. The new `next_execution` is the first occurrence
 * after `now`: however many occurrences were missed while every instance was down, one run
 * catches up. `backup_schedules.last_executed` and `backup_jobs.last_run/next_run` are updated.
 *
 * Throws catalog errors of the listing; per-occurrence failures are reported, not thrown.
 */
export async function claimDueOccurrences(options: ClaimOccurrencesOptions): Promise<OccurrenceOutcome[]> {
  const { catalog, now } = options;
  const nowIso = now.toISOString();
  const outcomes: OccurrenceOutcome[] = [];
  for (const schedule of await catalog.listDueSchedules(nowIso)) {
    const scheduledFor = schedule.next_execution;
    if (scheduledFor === null) continue;
    let next: string | null;
    try {
      next = nextRunAfter(schedule, now)?.toISOString() ?? null;
    } catch (error) {
      // A schedule that can no longer be computed stops rather than firing on every tick.
      options.logger?.warn('Schedule is invalid; it is stopped', {
        job_id: schedule.job_id,
        code: toBackupError(error).code,
      });
      next = null;
    }
    if (!(await catalog.claimScheduleOccurrence(schedule.job_id, scheduledFor, next, nowIso))) {
      outcomes.push({ job_id: schedule.job_id, scheduled_for: scheduledFor, result: 'lost', next_run: next });
      continue;
    }
    const late = now.getTime() - Date.parse(scheduledFor) > (options.lateAfterMs ?? 60_000);
    const trigger: ScheduledTrigger = late ? 'startup-catchup' : 'schedule';
    const outcome: OccurrenceOutcome = {
      job_id: schedule.job_id,
      scheduled_for: scheduledFor,
      result: 'claimed',
      trigger,
      next_run: next,
    };
    try {
      const job = await catalog.getJob(schedule.job_id);
      if (job === null || job.status !== 'active') {
        // A paused or deleted job keeps its schedule row but does not run.
        outcomes.push({
          ...outcome,
          result: 'skipped',
          reason: job === null ? 'job_not_found' : `job_${job.status}`,
        });
        continue;
      }
      await catalog.updateJob(schedule.job_id, { last_run: nowIso, next_run: next });
      const execution = options.createExecution
        ? await options.createExecution(schedule, trigger, now)
        : scheduledExecution(schedule, trigger, now);
      if (execution === null) {
        outcomes.push({ ...outcome, result: 'skipped', reason: 'declined' });
        continue;
      }
      await catalog.insertExecution(execution);
      outcomes.push({ ...outcome, execution_id: execution.execution_id });
    } catch (error) {
      const code = toBackupError(error).code;
      // A run of the job still going: this occurrence is skipped (never two runs of one job at once).
      options.logger?.warn('Scheduled occurrence not run', {
        job_id: schedule.job_id,
        scheduled_for: scheduledFor,
        code,
      });
      outcomes.push({ ...outcome, result: 'skipped', reason: code });
    }
  }
  return outcomes;
}

/** The error recorded on an execution whose instance stopped renewing its lease. */
export function leaseExpiredError(execution: ExecutionRecord): BackupError {
  return new BackupError(
    'unavailable',
    'The instance running this execution stopped renewing its lease; nothing from it was committed',
    {
      details: {
        execution_id: execution.execution_id,
        owner: execution.owner,
        lease_expires_at: execution.lease_expires_at,
      },
    },
  );
}

/**
 * Marks running executions whose lease ended before `now` as failed (their instance died or hung),
 * which also frees their job for the next run. Re-reads each one first so a lease renewed meanwhile
 * is left alone. Returns the ids it failed.
 */
export async function sweepExpiredLeases(
  catalog: CatalogRepository,
  now: Date,
  options: { skipOwner?: string; logger?: ClaimOccurrencesOptions['logger'] } = {},
): Promise<ExecutionRecord[]> {
  const nowIso = now.toISOString();
  const failed: ExecutionRecord[] = [];
  for (const expired of await catalog.listExpiredLeases(nowIso)) {
    if (options.skipOwner !== undefined && expired.owner === options.skipOwner) continue;
    const current = await catalog.getExecution(expired.execution_id);
    if (
      current === null ||
      current.status !== 'running' ||
      current.lease_expires_at === null ||
      Date.parse(current.lease_expires_at) >= now.getTime()
    ) {
      continue;
    }
    const error = leaseExpiredError(current);
    const updated = await catalog.updateExecution(current.execution_id, {
      status: 'failed',
      completed_at: nowIso,
      lease_expires_at: null,
      error: { code: 'lease_expired', message: error.message, details: error.details },
    });
    options.logger?.warn('Execution lease expired; marked failed', {
      execution_id: current.execution_id,
      job_id: current.job_id,
      owner: current.owner,
    });
    failed.push(updated);
  }
  return failed;
}
