import { BackupError } from '../errors.js';
import { compareText } from './analytics-rules.js';
import type {
  AnalyticsAggregates,
  AnalyticsFilter,
  BackupFilter,
  CatalogRepository,
  JobFilter,
  Page,
} from './catalog-repository.js';
import { computeAnalytics } from './memory-analytics.js';
import {
  AUDIT,
  BACKUPS,
  canonicalTime,
  EXECUTIONS,
  JOBS,
  normalizeRecord,
  patchEntries,
  RESTORES,
  type RecordSpec,
  SCHEDULES,
  VERIFICATIONS,
} from './record-columns.js';
import type {
  AuditRecord,
  BackupRecord,
  ExecutionRecord,
  ExecutionStatus,
  JobRecord,
  RestoreRecord,
  ScheduleRecord,
  VerificationRecord,
} from './records.js';

const ACTIVE: ReadonlySet<ExecutionStatus> = new Set(['queued', 'running']);

/** Records of one type, stored normalised and handed out as copies (callers cannot alias them). */
class Table<R extends object> {
  readonly rows = new Map<string, R>();
  readonly #spec: RecordSpec;

  constructor(spec: RecordSpec) {
    this.#spec = spec;
  }

  keyOf(record: R): string {
    return (record as Record<string, unknown>)[this.#spec.key] as string;
  }

  insert(record: R): void {
    const row = normalizeRecord<R>(this.#spec, record);
    const key = this.keyOf(row);
    if (this.rows.has(key)) {
      throw new BackupError('conflict', `${this.#spec.key} ${key} already exists`, {
        details: { [this.#spec.key]: key },
      });
    }
    this.rows.set(key, row);
  }

  put(record: R): void {
    const row = normalizeRecord<R>(this.#spec, record);
    this.rows.set(this.keyOf(row), row);
  }

  get(key: string): R | null {
    const row = this.rows.get(key);
    return row ? structuredClone(row) : null;
  }

  /** The record with `patch` applied, not yet stored. @throws BackupError('not_found') */
  patched(key: string, patch: Partial<R>): R {
    const row = this.rows.get(key);
    if (!row)
      throw new BackupError('not_found', `${this.#spec.key} ${key} not found`, {
        details: { [this.#spec.key]: key },
      });
    return normalizeRecord<R>(this.#spec, { ...row, ...Object.fromEntries(patchEntries(this.#spec, patch)) });
  }

  update(key: string, patch: Partial<R>): R {
    const next = this.patched(key, patch);
    this.rows.set(key, next);
    return structuredClone(next);
  }

  values(): R[] {
    return [...this.rows.values()];
  }
}

function page<T>(items: T[], limit: number, offset: number): Page<T> {
  return { items: items.slice(offset, offset + limit).map((i) => structuredClone(i)), total: items.length };
}

/** Newest first, then identifier descending, like the SQL catalogs. */
function newestFirst<T>(at: (r: T) => string, id: (r: T) => string): (a: T, b: T) => number {
  return (a, b) => (at(a) < at(b) ? 1 : at(a) > at(b) ? -1 : id(a) < id(b) ? 1 : id(a) > id(b) ? -1 : 0);
}

/**
 * In-process catalog for tests and single-process use. Every operation is synchronous inside,
 * so the "atomic" operations are atomic by construction (no await between check and write).
 */
export class MemoryCatalog implements CatalogRepository {
  readonly #jobs = new Table<JobRecord>(JOBS);
  readonly #schedules = new Table<ScheduleRecord>(SCHEDULES);
  readonly #executions = new Table<ExecutionRecord>(EXECUTIONS);
  readonly #backups = new Table<BackupRecord>(BACKUPS);
  readonly #restores = new Table<RestoreRecord>(RESTORES);
  readonly #verifications = new Table<VerificationRecord>(VERIFICATIONS);
  readonly #audit = new Table<AuditRecord>(AUDIT);
  readonly #rates = new Map<string, Map<string, number>>();

  async init(): Promise<void> {}
  async close(): Promise<void> {}

  async insertJob(job: JobRecord): Promise<void> {
    this.#jobs.insert(job);
  }
  async getJob(jobId: string): Promise<JobRecord | null> {
    return this.#jobs.get(jobId);
  }
  async listJobs(filter: JobFilter): Promise<Page<JobRecord>> {
    const rows = this.#jobs
      .values()
      .filter(
        (j) =>
          (filter.status === undefined || j.status === filter.status) &&
          (filter.created_by === undefined || j.created_by === filter.created_by),
      );
    rows.sort(
      newestFirst(
        (j) => j.created_at,
        (j) => j.job_id,
      ),
    );
    return page(rows, filter.limit, filter.offset);
  }
  async updateJob(jobId: string, patch: Partial<JobRecord>): Promise<JobRecord> {
    return this.#jobs.update(jobId, patch);
  }

  async upsertSchedule(schedule: ScheduleRecord): Promise<void> {
    this.#schedules.put(schedule);
  }
  async getSchedule(jobId: string): Promise<ScheduleRecord | null> {
    return this.#schedules.get(jobId);
  }
  async deleteSchedule(jobId: string): Promise<void> {
    this.#schedules.rows.delete(jobId);
  }
  async listDueSchedules(now: string): Promise<ScheduleRecord[]> {
    const at = canonicalTime(now, 'now');
    return this.#schedules
      .values()
      .filter((s) => s.enabled && s.next_execution !== null && s.next_execution <= at)
      .sort(
        (a, b) =>
          compareText(a.next_execution as string, b.next_execution as string) ||
          compareText(a.job_id, b.job_id),
      )
      .map((s) => structuredClone(s));
  }
  async claimScheduleOccurrence(
    jobId: string,
    expectedNext: string,
    newNext: string | null,
    now: string,
  ): Promise<boolean> {
    const row = this.#schedules.rows.get(jobId);
    if (!row?.enabled || row.next_execution !== canonicalTime(expectedNext, 'expectedNext')) return false;
    this.#schedules.update(jobId, { next_execution: newNext, last_executed: now, updated_at: now });
    return true;
  }

  async insertExecution(execution: ExecutionRecord): Promise<void> {
    const row = normalizeRecord<ExecutionRecord>(EXECUTIONS, execution);
    this.#checkExecutionSlots(row);
    this.#executions.insert(row);
  }
  async getExecution(executionId: string): Promise<ExecutionRecord | null> {
    return this.#executions.get(executionId);
  }
  async latestExecution(jobId: string): Promise<ExecutionRecord | null> {
    const rows = this.#executions.values().filter((e) => e.job_id === jobId);
    rows.sort(
      newestFirst(
        (e) => e.created_at,
        (e) => e.execution_id,
      ),
    );
    return rows[0] ? structuredClone(rows[0]) : null;
  }
  async listExecutions(filter: {
    job_id?: string;
    status?: ExecutionStatus[];
    limit: number;
    offset: number;
  }): Promise<Page<ExecutionRecord>> {
    const rows = this.#executions
      .values()
      .filter(
        (e) =>
          (filter.job_id === undefined || e.job_id === filter.job_id) &&
          (!filter.status || filter.status.includes(e.status)),
      );
    rows.sort(
      newestFirst(
        (e) => e.created_at,
        (e) => e.execution_id,
      ),
    );
    return page(rows, filter.limit, filter.offset);
  }
  async updateExecution(executionId: string, patch: Partial<ExecutionRecord>): Promise<ExecutionRecord> {
    const next = this.#executions.patched(executionId, patch);
    this.#checkExecutionSlots(next);
    return this.#executions.update(executionId, patch);
  }
  async claimQueuedExecution(
    owner: string,
    leaseUntil: string,
    now: string,
  ): Promise<ExecutionRecord | null> {
    const queued = this.#executions.values().filter((e) => e.status === 'queued');
    queued.sort(
      (a, b) =>
        b.priority - a.priority ||
        (a.created_at < b.created_at
          ? -1
          : a.created_at > b.created_at
            ? 1
            : a.execution_id < b.execution_id
              ? -1
              : 1),
    );
    const next = queued[0];
    if (!next) return null;
    return this.#executions.update(next.execution_id, {
      status: 'running',
      owner,
      lease_expires_at: leaseUntil,
      started_at: next.started_at ?? now,
    });
  }
  async listExpiredLeases(now: string): Promise<ExecutionRecord[]> {
    const at = canonicalTime(now, 'now');
    return this.#executions
      .values()
      .filter((e) => e.status === 'running' && e.lease_expires_at !== null && e.lease_expires_at < at)
      .sort(
        (a, b) =>
          compareText(a.lease_expires_at as string, b.lease_expires_at as string) ||
          compareText(a.execution_id, b.execution_id),
      )
      .map((e) => structuredClone(e));
  }

  async insertBackup(backup: BackupRecord): Promise<void> {
    this.#backups.insert(backup);
  }
  async getBackup(backupId: string): Promise<BackupRecord | null> {
    return this.#backups.get(backupId);
  }
  async listBackups(filter: BackupFilter): Promise<Page<BackupRecord>> {
    const from = filter.date_from ? canonicalTime(filter.date_from, 'date_from') : null;
    const to = filter.date_to ? canonicalTime(filter.date_to, 'date_to') : null;
    const rows = this.#backups
      .values()
      .filter(
        (b) =>
          (filter.job_id === undefined || b.job_id === filter.job_id) &&
          (filter.owner === undefined || this.#jobs.rows.get(b.job_id)?.created_by === filter.owner) &&
          (filter.backup_type === undefined || b.backup_type === filter.backup_type) &&
          (filter.status === undefined || b.status === filter.status) &&
          (from === null || b.created_at >= from) &&
          (to === null || b.created_at <= to),
      );
    rows.sort(
      newestFirst(
        (b) => b.created_at,
        (b) => b.backup_id,
      ),
    );
    return page(rows, filter.limit, filter.offset);
  }
  async updateBackup(backupId: string, patch: Partial<BackupRecord>): Promise<BackupRecord> {
    return this.#backups.update(backupId, patch);
  }

  async insertRestore(restore: RestoreRecord): Promise<void> {
    this.#restores.insert(restore);
  }
  async getRestore(restoreId: string): Promise<RestoreRecord | null> {
    return this.#restores.get(restoreId);
  }
  async updateRestore(restoreId: string, patch: Partial<RestoreRecord>): Promise<RestoreRecord> {
    return this.#restores.update(restoreId, patch);
  }

  async insertVerification(verification: VerificationRecord): Promise<void> {
    this.#verifications.insert(verification);
  }
  async getVerification(verificationId: string): Promise<VerificationRecord | null> {
    return this.#verifications.get(verificationId);
  }
  async latestVerification(backupId: string): Promise<VerificationRecord | null> {
    const rows = this.#verifications.values().filter((v) => v.backup_id === backupId);
    rows.sort(
      newestFirst(
        (v) => v.created_at,
        (v) => v.verification_id,
      ),
    );
    return rows[0] ? structuredClone(rows[0]) : null;
  }
  async updateVerification(
    verificationId: string,
    patch: Partial<VerificationRecord>,
  ): Promise<VerificationRecord> {
    return this.#verifications.update(verificationId, patch);
  }

  async appendAudit(entry: AuditRecord): Promise<void> {
    this.#audit.insert(entry);
  }
  async listAudit(filter: {
    principal?: string;
    action?: string;
    limit: number;
    offset: number;
  }): Promise<Page<AuditRecord>> {
    const rows = this.#audit
      .values()
      .filter(
        (a) =>
          (filter.principal === undefined || a.principal === filter.principal) &&
          (filter.action === undefined || a.action === filter.action),
      );
    rows.sort(
      newestFirst(
        (a) => a.at,
        (a) => a.audit_id,
      ),
    );
    return page(rows, filter.limit, filter.offset);
  }

  async incrementRateCounter(key: string, windowStart: string): Promise<number> {
    const window = canonicalTime(windowStart, 'windowStart');
    const windows = this.#rates.get(key) ?? new Map<string, number>();
    const count = (windows.get(window) ?? 0) + 1;
    windows.set(window, count);
    // Like the SQL catalogs: the key's older windows are pruned once a newer one is counted.
    for (const w of windows.keys()) if (w < window) windows.delete(w);
    this.#rates.set(key, windows);
    return count;
  }

  async analytics(filter: AnalyticsFilter): Promise<AnalyticsAggregates> {
    return computeAnalytics(
      {
        jobs: this.#jobs.rows.values(),
        executions: this.#executions.rows.values(),
        backups: this.#backups.rows.values(),
        restores: this.#restores.rows.values(),
      },
      filter,
    );
  }

  /** One queued/running execution per job, one execution per scheduled occurrence. */
  #checkExecutionSlots(candidate: ExecutionRecord): void {
    for (const other of this.#executions.rows.values()) {
      if (other.execution_id === candidate.execution_id || other.job_id !== candidate.job_id) continue;
      if (ACTIVE.has(candidate.status) && ACTIVE.has(other.status)) {
        throw new BackupError(
          'execution_in_progress',
          `Job ${candidate.job_id} already has an execution in progress`,
          {
            details: { job_id: candidate.job_id, execution_id: other.execution_id },
          },
        );
      }
      if (candidate.scheduled_for !== null && other.scheduled_for === candidate.scheduled_for) {
        throw new BackupError(
          'conflict',
          `Occurrence ${candidate.scheduled_for} of job ${candidate.job_id} already has an execution`,
          {
            details: { job_id: candidate.job_id, scheduled_for: candidate.scheduled_for },
          },
        );
      }
    }
  }
}

/** A fresh in-memory catalog (tests, single-process embedding without persistence). */
export function createMemoryCatalog(): CatalogRepository {
  return new MemoryCatalog();
}
