import {
  averageBytes,
  type NormalizedAnalyticsFilter,
  normalizeAnalyticsFilter,
} from '../analytics-rules.js';
import type { AnalyticsAggregates, AnalyticsFilter } from '../catalog-repository.js';
import type { Row } from './row-codec.js';
import { ownedJobIds, Params } from './sql-builder.js';
import type { SqlDialect } from './sql-dialect.js';

type Run = (sql: string, params: unknown[]) => Promise<Row[]>;

/**
 * The rules of analytics-rules.ts as GROUP BY queries: every breakdown is an aggregate over
 * `attempts` (successful backups UNION ALL failed executions), so only group rows reach JS.
 */
export async function sqlAnalytics(
  dialect: SqlDialect,
  run: Run,
  filter: AnalyticsFilter,
): Promise<AnalyticsAggregates> {
  const f = normalizeAnalyticsFilter(filter);
  const t = (name: string) => dialect.table(name);
  const bin = dialect.binary;

  /** `WITH attempts AS (...)` plus its bound values; built per query since placeholders are positional. */
  const withAttempts = (): Params & { cte: string } => {
    const p = new Params(dialect);
    const b = windowConditions(dialect, p, f, 'b');
    const e = windowConditions(dialect, p, f, 'e');
    const type = `COALESCE(${dialect.jsonString('e.execution_options', 'backup_type')}, j.backup_type, 'unknown')`;
    const cte = `WITH attempts AS (
      SELECT b.job_id, b.job_name, b.backup_type AS type, b.created_at, 1 AS ok, b.file_size AS size,
             b.logical_size AS logical, b.new_bytes AS new_bytes, b.duration AS duration, b.destination_type AS destination, b.storage_class AS storage_class
        FROM ${t('backup_files')} b WHERE b.status = 'completed'${b}
      UNION ALL
      SELECT e.job_id, NULL, ${type}, e.created_at, 0, 0, 0, 0, 0, NULL, NULL
        FROM ${t('backup_executions')} e LEFT JOIN ${t('backup_jobs')} j ON j.job_id = e.job_id
       WHERE e.status = 'failed'${e}
    )`;
    return Object.assign(p, { cte });
  };
  const query = async (body: (cte: string) => string): Promise<Row[]> => {
    const a = withAttempts();
    return run(body(a.cte), a.values);
  };

  const [totals, jobs, types, stores, days, jobCounts, restoreCounts] = await Promise.all([
    query(
      (cte) =>
        `${cte} SELECT COUNT(*) AS n, COALESCE(SUM(ok), 0) AS ok, COALESCE(SUM(size), 0) AS size FROM attempts`,
    ),
    query(
      (cte) => `${cte}
      SELECT a.job_id, MAX(${bin('j.job_name')}) AS current_name, MAX(${bin('a.job_name')}) AS name, COUNT(*) AS n,
             SUM(a.ok) AS ok, SUM(a.size) AS size, SUM(a.logical) AS logical,
             SUM(a.new_bytes) AS new_bytes, SUM(a.duration) AS duration
        FROM attempts a LEFT JOIN ${t('backup_jobs')} j ON j.job_id = a.job_id
       GROUP BY a.job_id ORDER BY COUNT(*) DESC, ${bin('a.job_id')}`,
    ),
    query(
      (cte) => `${cte}
      SELECT type, COUNT(*) AS n, SUM(ok) AS ok, SUM(size) AS size, SUM(duration) AS duration
        FROM attempts GROUP BY type ORDER BY ${bin('type')}`,
    ),
    query(
      (cte) => `${cte}
      SELECT destination, storage_class, SUM(size) AS size, COUNT(*) AS n
        FROM attempts WHERE ok = 1 GROUP BY destination, storage_class
       ORDER BY ${bin('destination')}, ${bin("COALESCE(storage_class, '')")}`,
    ),
    query(
      (cte) => `${cte}
      SELECT ${dialect.utcDay('created_at')} AS day, COUNT(*) AS n, SUM(ok) AS ok, SUM(size) AS size
        FROM attempts GROUP BY ${dialect.utcDay('created_at')} ORDER BY 1`,
    ),
    (() => {
      const p = new Params(dialect);
      let job = f.job_id === null ? '' : ` AND job_id = ${p.raw(f.job_id)}`;
      if (f.owner !== null) job += ` AND created_by = ${p.raw(f.owner)}`;
      return run(
        `SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END), 0) AS active
           FROM ${t('backup_jobs')} WHERE status <> 'deleted'${job}`,
        p.values,
      );
    })(),
    (() => {
      const p = new Params(dialect);
      let where = windowConditions(dialect, p, f, 'r', false);
      // Restores belong to the job of the backup they restore.
      const backups: string[] = [];
      if (f.job_id !== null) backups.push(`job_id = ${p.raw(f.job_id)}`);
      if (f.owner !== null) backups.push(`job_id IN (${ownedJobIds(dialect, p, f.owner)})`);
      if (backups.length > 0)
        where += ` AND r.backup_id IN (SELECT backup_id FROM ${t('backup_files')} WHERE ${backups.join(' AND ')})`;
      return run(
        `SELECT COUNT(*) AS n,
                COALESCE(SUM(CASE WHEN r.status = 'completed' THEN 1 ELSE 0 END), 0) AS ok,
                COALESCE(SUM(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END), 0) AS failed
           FROM ${t('backup_restores')} r WHERE 1 = 1${where}`,
        p.values,
      );
    })(),
  ]);

  const n = (row: Row | undefined, key: string) => Number(row?.[key] ?? 0);
  const total = totals[0];
  const storage = n(total, 'size');
  const ok = n(total, 'ok');
  return {
    overview: {
      total_jobs: n(jobCounts[0], 'n'),
      active_jobs: n(jobCounts[0], 'active'),
      total_backups: n(total, 'n'),
      successful_backups: ok,
      failed_backups: n(total, 'n') - ok,
      total_restores: n(restoreCounts[0], 'n'),
      successful_restores: n(restoreCounts[0], 'ok'),
      failed_restores: n(restoreCounts[0], 'failed'),
      total_storage_used: storage,
      average_backup_size: averageBytes(storage, ok),
    },
    job_breakdown: jobs.map((r) => ({
      job_id: String(r.job_id),
      job_name: String(r.current_name ?? r.name ?? r.job_id),
      backups: n(r, 'n'),
      successful: n(r, 'ok'),
      total_size: n(r, 'size'),
      logical_size: n(r, 'logical'),
      new_bytes: n(r, 'new_bytes'),
      total_duration: n(r, 'duration'),
    })),
    backup_types: types.map((r) => ({
      type: String(r.type),
      count: n(r, 'n'),
      successful: n(r, 'ok'),
      total_size: n(r, 'size'),
      total_duration: n(r, 'duration'),
    })),
    storage_breakdown: stores.map((r) => ({
      destination: String(r.destination),
      storage_class:
        r.storage_class === null || r.storage_class === undefined ? null : String(r.storage_class),
      total_size: n(r, 'size'),
      backup_count: n(r, 'n'),
    })),
    time_series: days.map((r) => ({
      date: String(r.day),
      backups_created: n(r, 'n'),
      successful_backups: n(r, 'ok'),
      failed_backups: n(r, 'n') - n(r, 'ok'),
      storage_used: n(r, 'size'),
    })),
  };
}

/** ` AND alias.job_id = ? AND alias.created_at >= ? ...` for the filter (job and owner optional). */
function windowConditions(
  dialect: SqlDialect,
  p: Params,
  f: NormalizedAnalyticsFilter,
  alias: string,
  withJob = true,
): string {
  let sql = '';
  if (withJob && f.job_id !== null) sql += ` AND ${alias}.job_id = ${p.raw(f.job_id)}`;
  if (withJob && f.owner !== null) sql += ` AND ${alias}.job_id IN (${ownedJobIds(dialect, p, f.owner)})`;
  if (f.date_from !== null) sql += ` AND ${alias}.created_at >= ${p.raw(f.date_from, 'time')}`;
  if (f.date_to !== null) sql += ` AND ${alias}.created_at <= ${p.raw(f.date_to, 'time')}`;
  return sql;
}
