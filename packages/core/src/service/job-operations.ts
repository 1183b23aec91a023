import type { JobRecord, ScheduleRecord } from '../catalog/records.js';
import { BackupError, isBackupError } from '../errors.js';
import { nextRunAfter, type ScheduleSpec, shortestInterval } from '../schedule/next-run.js';
import type { DestinationConfig } from '../storage/storage-driver.js';
import { newId } from '../util/ids.js';
import type { CallContext } from './backup-service.js';
import { type JobConfig, mergeJobInput, normalizeJob } from './job-config.js';
import { creatorOf, jobNotFound, ownsJob, scopeOf } from './ownership.js';
import { createJobSchema, listJobsQuerySchema, updateJobSchema } from './schemas/job.js';
import { scheduleProblem } from './schemas/job-parts.js';
import type { JobList, JobView } from './schemas/views/index.js';
import { sealConfig, unsealConfig } from './secrets.js';
import { nowIso, type ServiceContext } from './service-context.js';
import { invalidConfig, parseInput, validationError } from './validate.js';
import { jobView } from './views.js';

/**
 * Checks what needs lookups: a source kind and a storage driver exist for the types, the
 * source kind accepts the config, the encryption key exists.
 * @throws BackupError `invalid_backup_config` or `validation_failed`.
 */
export async function checkJobConfig(context: ServiceContext, config: JobConfig): Promise<void> {
  const kind = context.sources.get(String(config.source.type), 'source.type');
  const issues = kind.validateSource(config.source);
  if (issues.length > 0) throw validationError(issues);
  context.storage.check(config.destination as DestinationConfig);
  if (config.encryption.enabled) await checkKeyId(context, config.encryption.key_id!, 'encryption.key_id');
  if (config.schedule)
    checkSchedule(config.schedule, context.clock.now(), context.access.minScheduleIntervalSeconds);
  await context.access.checkConfig(kind, config.source, 'backup', 'source');
  await context.access.checkDestination(config.destination);
}

/**
 * A schedule that parses but cannot run (bad cron, unknown zone, or croner refusing it).
 * @throws BackupError `invalid_backup_config` with `{ field, issue }`.
 */
function checkSchedule(schedule: Record<string, unknown>, now: Date, minIntervalSeconds: number): void {
  const problem = scheduleProblem(schedule as { frequency: string; timezone?: string });
  if (problem) throw invalidConfig(problem.field, problem.issue);
  let interval: number | null;
  try {
    interval = shortestInterval(schedule as unknown as ScheduleSpec, now);
  } catch (error) {
    if (!isBackupError(error, 'invalid_backup_config')) throw error;
    const field = typeof error.details.field === 'string' ? error.details.field : 'schedule';
    throw invalidConfig(field, error.message);
  }
  if (interval !== null && interval < minIntervalSeconds) {
    throw invalidConfig(
      'schedule.frequency',
      `The schedule runs every ${interval} s; this service runs a job at most once every ${minIntervalSeconds} s`,
    );
  }
}

/** The schedule's next occurrence after `from`, or null (disabled, never again). */
export function computeNextRun(schedule: Record<string, unknown> | null, from: Date): string | null {
  if (!schedule) return null;
  return nextRunAfter(schedule as unknown as ScheduleSpec, from)?.toISOString() ?? null;
}

/** @throws BackupError `invalid_backup_config` when the key provider has no such key. */
export async function checkKeyId(context: ServiceContext, keyId: string, field: string): Promise<void> {
  if (!(await context.keys.hasKey(keyId))) {
    throw invalidConfig(field, `No encryption key with id "${keyId}" is available`);
  }
}

function scheduleRecord(
  jobId: string,
  schedule: Record<string, unknown>,
  next: string | null,
  now: string,
  created: string,
): ScheduleRecord {
  return {
    job_id: jobId,
    frequency: String(schedule.frequency),
    day_of_month: typeof schedule.day_of_month === 'number' ? schedule.day_of_month : null,
    day_of_week: typeof schedule.day_of_week === 'number' ? schedule.day_of_week : null,
    time: typeof schedule.time === 'string' ? schedule.time : null,
    timezone: typeof schedule.timezone === 'string' ? schedule.timezone : 'UTC',
    enabled: schedule.enabled !== false,
    last_executed: null,
    next_execution: next,
    created_at: created,
    updated_at: now,
  };
}

/**
 * The job, when `call` may see it (see `CallContext.roles`; no `call`: the host's own code).
 * @throws BackupError `job_not_found` for unknown or deleted jobs and for jobs the call may not see.
 */
export async function loadJob(
  context: ServiceContext,
  jobId: string,
  call?: CallContext,
): Promise<JobRecord> {
  const job = typeof jobId === 'string' ? await context.catalog.getJob(jobId) : null;
  if (!job || job.status === 'deleted' || !ownsJob(scopeOf(call), job)) throw jobNotFound(jobId);
  return job;
}

export async function createJob(
  context: ServiceContext,
  input: unknown,
  call: CallContext = {},
): Promise<JobView> {
  const parsed = parseInput(createJobSchema, input);
  const config = normalizeJob(parsed);
  await checkJobConfig(context, config);
  const now = nowIso(context);
  const jobId = newId('job');
  const nextRun = computeNextRun(config.schedule, context.clock.now());
  const job: JobRecord = {
    job_id: jobId,
    ...config,
    source: sealConfig(config.source, context.sealer),
    destination: sealConfig(config.destination, context.sealer),
    status: 'active',
    created_at: now,
    created_by: creatorOf(call, parsed.created_by),
    updated_at: now,
    last_run: null,
    next_run: nextRun,
  };
  await context.catalog.insertJob(job);
  if (config.schedule)
    await context.catalog.upsertSchedule(scheduleRecord(jobId, config.schedule, nextRun, now, now));
  return jobView(job);
}

/** The job in the shape `createJob` accepts, with the real connection string (for merging). */
function jobInput(job: JobRecord, sealer: ServiceContext['sealer']): Record<string, unknown> {
  const input: Record<string, unknown> = {
    job_name: job.job_name,
    description: job.description,
    backup_type: job.backup_type,
    source: unsealConfig(job.source, sealer),
    destination: unsealConfig(job.destination, sealer),
    schedule: job.schedule,
    retention: job.retention,
    compression: job.compression,
    encryption: job.encryption,
    verification: job.verification,
    notifications: job.notifications,
  };
  return input;
}

export async function updateJob(
  context: ServiceContext,
  jobId: string,
  patchInput: unknown,
  call?: CallContext,
): Promise<JobView> {
  const job = await loadJob(context, jobId, call);
  const patch = parseInput(updateJobSchema, patchInput);
  const merged = mergeJobInput(jobInput(job, context.sealer), patch);
  const config = normalizeJob(parseInput(createJobSchema, merged));
  await checkJobConfig(context, config);
  const now = nowIso(context);
  const status = patch.status ?? job.status;
  const nextRun = status === 'active' ? computeNextRun(config.schedule, context.clock.now()) : null;
  const updated = await context.catalog.updateJob(jobId, {
    ...config,
    source: sealConfig(config.source, context.sealer),
    destination: sealConfig(config.destination, context.sealer),
    status,
    updated_at: now,
    next_run: nextRun,
  });
  if (config.schedule) {
    const previous = await context.catalog.getSchedule(jobId);
    const record = scheduleRecord(jobId, config.schedule, nextRun, now, previous?.created_at ?? now);
    record.last_executed = previous?.last_executed ?? null;
    if (status !== 'active') record.enabled = false;
    await context.catalog.upsertSchedule(record);
  } else {
    await context.catalog.deleteSchedule(jobId);
  }
  return jobView(updated);
}

/**
 * Marks the job deleted (its backups stay listed and restorable) and drops its schedule.
 * @throws BackupError `job_not_found`, `execution_in_progress` while it runs.
 */
export async function deleteJob(context: ServiceContext, jobId: string, call?: CallContext): Promise<void> {
  await loadJob(context, jobId, call);
  const latest = await context.catalog.latestExecution(jobId);
  if (latest && (latest.status === 'running' || latest.status === 'queued')) {
    throw new BackupError('execution_in_progress', 'The job has an execution in progress; cancel it first', {
      details: { job_id: jobId, execution_id: latest.execution_id },
    });
  }
  await context.catalog.deleteSchedule(jobId);
  await context.catalog.updateJob(jobId, { status: 'deleted', updated_at: nowIso(context), next_run: null });
}

/** Jobs newest first; a principal without `admin` lists only its own (see `CallContext.roles`). */
export async function listJobs(
  context: ServiceContext,
  queryInput: unknown,
  call?: CallContext,
): Promise<JobList> {
  const query = parseInput(listJobsQuerySchema, queryInput ?? {});
  const scope = scopeOf(call);
  const statuses = query.status ? [query.status] : (['active', 'paused'] as const);
  const owner = scope.kind === 'owner' ? { created_by: scope.owner } : {};
  // Deleted jobs are hidden: merge the live statuses' pages (each fetched up to offset+limit).
  const pages =
    scope.kind === 'none'
      ? []
      : await Promise.all(
          statuses.map((status) =>
            context.catalog.listJobs({ status, ...owner, limit: query.offset + query.limit, offset: 0 }),
          ),
        );
  const rows = pages
    .flatMap((page) => page.items)
    .sort((a, b) =>
      a.created_at === b.created_at
        ? b.job_id.localeCompare(a.job_id)
        : b.created_at.localeCompare(a.created_at),
    );
  return {
    jobs: rows.slice(query.offset, query.offset + query.limit).map(jobView),
    total: pages.reduce((sum, page) => sum + page.total, 0),
    limit: query.limit,
    offset: query.offset,
  };
}
