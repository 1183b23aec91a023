import { BackupError } from '../../errors.js';
import type {
  AnalyticsAggregates,
  AnalyticsFilter,
  BackupFilter,
  CatalogRepository,
  JobFilter,
  Page,
} from '../catalog-repository.js';
import {
  AUDIT,
  BACKUPS,
  EXECUTIONS,
  JOBS,
  patchEntries,
  RESTORES,
  type RecordSpec,
  SCHEDULES,
  VERIFICATIONS,
} from '../record-columns.js';
import type {
  AuditRecord,
  BackupRecord,
  ExecutionRecord,
  ExecutionStatus,
  JobRecord,
  RestoreRecord,
  ScheduleRecord,
  VerificationRecord,
} from '../records.js';
import { sqlAnalytics } from './analytics-sql.js';
import { decodeRow, type Row } from './row-codec.js';
import { insertStatement, ownedJobIds, Params, updateStatement } from './sql-builder.js';
import { quote, type SqlDialect } from './sql-dialect.js';

/** A WHERE clause under construction: conditions joined by AND, values bound through `p`. */
interface Where {
  p: Params;
  conditions: string[];
}

/**
 * The CatalogRepository operations whose SQL is the same in PostgreSQL and SQLite. Subclasses
 * provide the connection (`query`), error translation, setup, and the claim of queued
 * executions, whose locking differs (SKIP LOCKED vs BEGIN IMMEDIATE).
 */
export abstract class SqlCatalog implements CatalogRepository {
  protected readonly dialect: SqlDialect;

  protected constructor(dialect: SqlDialect) {
    this.dialect = dialect;
  }

  /** Runs one statement and returns its rows (none for statements without RETURNING). */
  protected abstract query(sql: string, params: unknown[]): Promise<Row[]>;
  /** Turns driver errors into BackupErrors (unique violations into `conflict`/`execution_in_progress`). */
  protected abstract translateError(error: unknown): BackupError;

  abstract init(): Promise<void>;
  abstract close(): Promise<void>;
  abstract claimQueuedExecution(
    owner: string,
    leaseUntil: string,
    now: string,
  ): Promise<ExecutionRecord | null>;

  protected async run(sql: string, params: unknown[]): Promise<Row[]> {
    try {
      return await this.query(sql, params);
    } catch (error) {
      throw this.translateError(error);
    }
  }

  protected t(name: string): string {
    return this.dialect.table(name);
  }

  protected decode<R>(spec: RecordSpec, row: Row): R {
    return decodeRow<R>(this.dialect, spec, row);
  }

  async #insert(spec: RecordSpec, record: object, upsert = false): Promise<void> {
    const s = insertStatement(this.dialect, spec, record, upsert);
    await this.run(s.sql, s.params);
  }

  async #get<R>(spec: RecordSpec, key: string): Promise<R | null> {
    const rows = await this.run(
      `SELECT * FROM ${this.t(spec.table)} WHERE ${quote(spec.key)} = ${this.dialect.placeholder(1)}`,
      [key],
    );
    return rows[0] ? this.decode<R>(spec, rows[0]) : null;
  }

  async #update<R>(spec: RecordSpec, key: string, patch: object): Promise<R> {
    const entries = patchEntries(spec, patch);
    const found =
      entries.length === 0
        ? await this.#get<R>(spec, key)
        : await (async () => {
            const s = updateStatement(this.dialect, spec, key, entries);
            const rows = await this.run(s.sql, s.params);
            return rows[0] ? this.decode<R>(spec, rows[0]) : null;
          })();
    if (found === null) {
      throw new BackupError('not_found', `${spec.key} ${key} not found`, { details: { [spec.key]: key } });
    }
    return found;
  }

  #where(): Where {
    return { p: new Params(this.dialect), conditions: [] };
  }

  #eq(w: Where, column: string, value: unknown): void {
    if (value !== undefined) w.conditions.push(`${quote(column)} = ${w.p.raw(value)}`);
  }

  /** One page plus the total, newest first (`at` desc, then identifier desc). */
  async #page<R>(spec: RecordSpec, w: Where, at: string, limit: number, offset: number): Promise<Page<R>> {
    const from = `FROM ${this.t(spec.table)}${w.conditions.length ? ` WHERE ${w.conditions.join(' AND ')}` : ''}`;
    const [countRow] = await this.run(`SELECT COUNT(*) AS n ${from}`, [...w.p.values]);
    const order = `ORDER BY ${quote(at)} DESC, ${this.dialect.binary(quote(spec.key))} DESC`;
    const limitAt = w.p.raw(Math.max(0, Math.trunc(limit)));
    const offsetAt = w.p.raw(Math.max(0, Math.trunc(offset)));
    const rows = await this.run(`SELECT * ${from} ${order} LIMIT ${limitAt} OFFSET ${offsetAt}`, w.p.values);
    return { items: rows.map((r) => this.decode<R>(spec, r)), total: Number(countRow?.n ?? 0) };
  }

  insertJob(job: JobRecord): Promise<void> {
    return this.#insert(JOBS, job);
  }
  getJob(jobId: string): Promise<JobRecord | null> {
    return this.#get(JOBS, jobId);
  }
  listJobs(filter: JobFilter): Promise<Page<JobRecord>> {
    const w = this.#where();
    this.#eq(w, 'status', filter.status);
    this.#eq(w, 'created_by', filter.created_by);
    return this.#page(JOBS, w, 'created_at', filter.limit, filter.offset);
  }
  updateJob(jobId: string, patch: Partial<JobRecord>): Promise<JobRecord> {
    return this.#update(JOBS, jobId, patch);
  }

  upsertSchedule(schedule: ScheduleRecord): Promise<void> {
    return this.#insert(SCHEDULES, schedule, true);
  }
  getSchedule(jobId: string): Promise<ScheduleRecord | null> {
    return this.#get(SCHEDULES, jobId);
  }
  async deleteSchedule(jobId: string): Promise<void> {
    await this.run(`DELETE FROM ${this.t(SCHEDULES.table)} WHERE "job_id" = ${this.dialect.placeholder(1)}`, [
      jobId,
    ]);
  }
  async listDueSchedules(now: string): Promise<ScheduleRecord[]> {
    const p = new Params(this.dialect);
    const rows = await this.run(
      `SELECT * FROM ${this.t(SCHEDULES.table)} WHERE "enabled" = ${p.field('bool', true, 'enabled')}
         AND "next_execution" IS NOT NULL AND "next_execution" <= ${p.field('time', now, 'now')}
       ORDER BY "next_execution", ${this.dialect.binary('"job_id"')}`,
      p.values,
    );
    return rows.map((r) => this.decode<ScheduleRecord>(SCHEDULES, r));
  }
  /** Compare-and-set in one UPDATE: only the instance that still sees `expectedNext` wins. */
  async claimScheduleOccurrence(
    jobId: string,
    expectedNext: string,
    newNext: string | null,
    now: string,
  ): Promise<boolean> {
    const p = new Params(this.dialect);
    const rows = await this.run(
      `UPDATE ${this.t(SCHEDULES.table)}
         SET "next_execution" = ${p.field('time', newNext, 'newNext')}, "last_executed" = ${p.field('time', now, 'now')},
             "updated_at" = ${p.field('time', now, 'now')}
       WHERE "job_id" = ${p.raw(jobId)} AND "enabled" = ${p.field('bool', true, 'enabled')}
         AND "next_execution" = ${p.field('time', expectedNext, 'expectedNext')}
       RETURNING "job_id"`,
      p.values,
    );
    return rows.length === 1;
  }

  /**
   * A plain INSERT: the partial unique index on `job_id` for queued/running executions makes it
   * atomic across instances; translateError maps its violation to `execution_in_progress`.
   */
  insertExecution(execution: ExecutionRecord): Promise<void> {
    return this.#insert(EXECUTIONS, execution);
  }
  getExecution(executionId: string): Promise<ExecutionRecord | null> {
    return this.#get(EXECUTIONS, executionId);
  }
  async latestExecution(jobId: string): Promise<ExecutionRecord | null> {
    return (await this.listExecutions({ job_id: jobId, limit: 1, offset: 0 })).items[0] ?? null;
  }
  listExecutions(filter: {
    job_id?: string;
    status?: ExecutionStatus[];
    limit: number;
    offset: number;
  }): Promise<Page<ExecutionRecord>> {
    const w = this.#where();
    this.#eq(w, 'job_id', filter.job_id);
    if (filter.status) {
      w.conditions.push(
        filter.status.length ? `"status" IN (${filter.status.map((s) => w.p.raw(s)).join(', ')})` : '1 = 0',
      );
    }
    return this.#page(EXECUTIONS, w, 'created_at', filter.limit, filter.offset);
  }
  updateExecution(executionId: string, patch: Partial<ExecutionRecord>): Promise<ExecutionRecord> {
    return this.#update(EXECUTIONS, executionId, patch);
  }
  async listExpiredLeases(now: string): Promise<ExecutionRecord[]> {
    const p = new Params(this.dialect);
    const rows = await this.run(
      `SELECT * FROM ${this.t(EXECUTIONS.table)} WHERE "status" = 'running' AND "lease_expires_at" < ${p.field('time', now, 'now')}
       ORDER BY "lease_expires_at", ${this.dialect.binary('"execution_id"')}`,
      p.values,
    );
    return rows.map((r) => this.decode<ExecutionRecord>(EXECUTIONS, r));
  }

  insertBackup(backup: BackupRecord): Promise<void> {
    return this.#insert(BACKUPS, backup);
  }
  getBackup(backupId: string): Promise<BackupRecord | null> {
    return this.#get(BACKUPS, backupId);
  }
  listBackups(filter: BackupFilter): Promise<Page<BackupRecord>> {
    const w = this.#where();
    this.#eq(w, 'job_id', filter.job_id);
    if (filter.owner !== undefined)
      w.conditions.push(`"job_id" IN (${ownedJobIds(this.dialect, w.p, filter.owner)})`);
    this.#eq(w, 'backup_type', filter.backup_type);
    this.#eq(w, 'status', filter.status);
    if (filter.date_from)
      w.conditions.push(`"created_at" >= ${w.p.field('time', filter.date_from, 'date_from')}`);
    if (filter.date_to) w.conditions.push(`"created_at" <= ${w.p.field('time', filter.date_to, 'date_to')}`);
    return this.#page(BACKUPS, w, 'created_at', filter.limit, filter.offset);
  }
  updateBackup(backupId: string, patch: Partial<BackupRecord>): Promise<BackupRecord> {
    return this.#update(BACKUPS, backupId, patch);
  }

  insertRestore(restore: RestoreRecord): Promise<void> {
    return this.#insert(RESTORES, restore);
  }
  getRestore(restoreId: string): Promise<RestoreRecord | null> {
    return this.#get(RESTORES, restoreId);
  }
  updateRestore(restoreId: string, patch: Partial<RestoreRecord>): Promise<RestoreRecord> {
    return this.#update(RESTORES, restoreId, patch);
  }

  insertVerification(verification: VerificationRecord): Promise<void> {
    return this.#insert(VERIFICATIONS, verification);
  }
  getVerification(verificationId: string): Promise<VerificationRecord | null> {
    return this.#get(VERIFICATIONS, verificationId);
  }
  async latestVerification(backupId: string): Promise<VerificationRecord | null> {
    const w = this.#where();
    this.#eq(w, 'backup_id', backupId);
    return (await this.#page<VerificationRecord>(VERIFICATIONS, w, 'created_at', 1, 0)).items[0] ?? null;
  }
  updateVerification(
    verificationId: string,
    patch: Partial<VerificationRecord>,
  ): Promise<VerificationRecord> {
    return this.#update(VERIFICATIONS, verificationId, patch);
  }

  appendAudit(entry: AuditRecord): Promise<void> {
    return this.#insert(AUDIT, entry);
  }
  listAudit(filter: {
    principal?: string;
    action?: string;
    limit: number;
    offset: number;
  }): Promise<Page<AuditRecord>> {
    const w = this.#where();
    this.#eq(w, 'principal', filter.principal);
    this.#eq(w, 'action', filter.action);
    return this.#page(AUDIT, w, 'at', filter.limit, filter.offset);
  }

  /** One upsert (atomic in both databases), then the key's older windows are pruned. */
  async incrementRateCounter(key: string, windowStart: string): Promise<number> {
    const table = this.t('backup_rate_limits');
    const p = new Params(this.dialect);
    const [row] = await this.run(
      `INSERT INTO ${table} ("key", "window_start", "count") VALUES (${p.raw(key)}, ${p.field('time', windowStart, 'windowStart')}, 1)
       ON CONFLICT ("key", "window_start") DO UPDATE SET "count" = ${table}."count" + 1
       RETURNING "count"`,
      p.values,
    );
    const prune = new Params(this.dialect);
    await this.run(
      `DELETE FROM ${table} WHERE "key" = ${prune.raw(key)} AND "window_start" < ${prune.field('time', windowStart, 'windowStart')}`,
      prune.values,
    );
    return Number(row?.count);
  }

  analytics(filter: AnalyticsFilter): Promise<AnalyticsAggregates> {
    return sqlAnalytics(this.dialect, (sql, params) => this.run(sql, params), filter);
  }
}
