import { averageBytes, compareText, normalizeAnalyticsFilter } from './analytics-rules.js';
import type { AnalyticsAggregates, AnalyticsFilter } from './catalog-repository.js';
import type { BackupRecord, ExecutionRecord, JobRecord, RestoreRecord } from './records.js';

/** One successful backup or one failed execution (see analytics-rules.ts). */
interface Attempt {
  job_id: string;
  job_name: string | null;
  type: string;
  day: string;
  ok: boolean;
  size: number;
  logical: number;
  newBytes: number;
  duration: number;
  destination: string | null;
  storage_class: string | null;
}

export interface AnalyticsSource {
  jobs: Iterable<JobRecord>;
  executions: Iterable<ExecutionRecord>;
  backups: Iterable<BackupRecord>;
  restores: Iterable<RestoreRecord>;
}

/** The in-memory catalog's analytics: the rules of analytics-rules.ts computed in JS. */
export function computeAnalytics(source: AnalyticsSource, filter: AnalyticsFilter): AnalyticsAggregates {
  const f = normalizeAnalyticsFilter(filter);
  const inWindow = (at: string) =>
    (f.date_from === null || at >= f.date_from) && (f.date_to === null || at <= f.date_to);
  const jobs = new Map<string, JobRecord>();
  for (const job of source.jobs) jobs.set(job.job_id, job);
  const owned =
    f.owner === null
      ? null
      : new Set([...jobs.values()].filter((j) => j.created_by === f.owner).map((j) => j.job_id));
  const forJob = (jobId: string) =>
    (f.job_id === null || jobId === f.job_id) && (owned === null || owned.has(jobId));

  const attempts: Attempt[] = [];
  const jobBackupIds = new Set<string>();
  for (const b of source.backups) {
    if (!forJob(b.job_id)) continue;
    jobBackupIds.add(b.backup_id);
    if (b.status !== 'completed' || !inWindow(b.created_at)) continue;
    attempts.push({
      job_id: b.job_id,
      job_name: b.job_name,
      type: b.backup_type,
      day: b.created_at.slice(0, 10),
      ok: true,
      size: b.file_size,
      logical: b.logical_size,
      newBytes: b.new_bytes,
      duration: b.duration,
      destination: b.destination_type,
      storage_class: b.storage_class,
    });
  }
  for (const e of source.executions) {
    if (e.status !== 'failed' || !forJob(e.job_id) || !inWindow(e.created_at)) continue;
    const optionType = e.execution_options.backup_type;
    attempts.push({
      job_id: e.job_id,
      job_name: null,
      type: typeof optionType === 'string' ? optionType : (jobs.get(e.job_id)?.backup_type ?? 'unknown'),
      day: e.created_at.slice(0, 10),
      ok: false,
      size: 0,
      logical: 0,
      newBytes: 0,
      duration: 0,
      destination: null,
      storage_class: null,
    });
  }

  let totalJobs = 0;
  let activeJobs = 0;
  for (const job of jobs.values()) {
    if (job.status === 'deleted' || !forJob(job.job_id)) continue;
    totalJobs += 1;
    if (job.status === 'active') activeJobs += 1;
  }
  let restores = 0;
  let restoresOk = 0;
  let restoresFailed = 0;
  for (const r of source.restores) {
    const scoped = f.job_id !== null || owned !== null;
    if (!inWindow(r.created_at) || (scoped && !jobBackupIds.has(r.backup_id))) continue;
    restores += 1;
    if (r.status === 'completed') restoresOk += 1;
    if (r.status === 'failed') restoresFailed += 1;
  }

  const successful = attempts.filter((a) => a.ok);
  const storage = sum(successful.map((a) => a.size));

  const byJob = group(attempts, (a) => a.job_id);
  const jobBreakdown = [...byJob].map(([jobId, list]) => {
    const ok = list.filter((a) => a.ok);
    const names = list.map((a) => a.job_name).filter((n): n is string => n !== null);
    const fallback = names.length > 0 ? names.reduce((m, n) => (compareText(n, m) > 0 ? n : m)) : jobId;
    return {
      job_id: jobId,
      job_name: jobs.get(jobId)?.job_name ?? fallback,
      backups: list.length,
      successful: ok.length,
      total_size: sum(ok.map((a) => a.size)),
      logical_size: sum(ok.map((a) => a.logical)),
      new_bytes: sum(ok.map((a) => a.newBytes)),
      total_duration: sum(ok.map((a) => a.duration)),
    };
  });
  jobBreakdown.sort((a, b) => b.backups - a.backups || compareText(a.job_id, b.job_id));

  const backupTypes = [...group(attempts, (a) => a.type)].map(([type, list]) => {
    const ok = list.filter((a) => a.ok);
    return {
      type,
      count: list.length,
      successful: ok.length,
      total_size: sum(ok.map((a) => a.size)),
      total_duration: sum(ok.map((a) => a.duration)),
    };
  });
  backupTypes.sort((a, b) => compareText(a.type, b.type));

  const storageBreakdown = [
    ...group(successful, (a) => JSON.stringify([a.destination, a.storage_class])),
  ].map(([, list]) => ({
    destination: (list[0] as Attempt).destination ?? '',
    storage_class: (list[0] as Attempt).storage_class,
    total_size: sum(list.map((a) => a.size)),
    backup_count: list.length,
  }));
  storageBreakdown.sort(
    (a, b) =>
      compareText(a.destination, b.destination) || compareText(a.storage_class ?? '', b.storage_class ?? ''),
  );

  const timeSeries = [...group(attempts, (a) => a.day)].map(([date, list]) => {
    const ok = list.filter((a) => a.ok);
    return {
      date,
      backups_created: list.length,
      successful_backups: ok.length,
      failed_backups: list.length - ok.length,
      storage_used: sum(ok.map((a) => a.size)),
    };
  });
  timeSeries.sort((a, b) => compareText(a.date, b.date));

  return {
    overview: {
      total_jobs: totalJobs,
      active_jobs: activeJobs,
      total_backups: attempts.length,
      successful_backups: successful.length,
      failed_backups: attempts.length - successful.length,
      total_restores: restores,
      successful_restores: restoresOk,
      failed_restores: restoresFailed,
      total_storage_used: storage,
      average_backup_size: averageBytes(storage, successful.length),
    },
    job_breakdown: jobBreakdown,
    backup_types: backupTypes,
    storage_breakdown: storageBreakdown,
    time_series: timeSeries,
  };
}

function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function group<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key);
    if (list) list.push(item);
    else out.set(key, [item]);
  }
  return out;
}
