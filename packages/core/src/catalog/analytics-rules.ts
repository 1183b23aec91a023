import type { AnalyticsFilter } from './catalog-repository.js';
import { canonicalTime } from './record-columns.js';

/*
 * What the analytics count — the same rules in the memory catalog (JS) and the SQL catalogs
 * (GROUP BY queries in analytics-sql.ts):
 *
 * - An "attempt" is either a backup row with status `completed` (a successful backup) or an
 *   execution with status `failed` (a failed backup). A failed run never writes a backup row,
 *   so failures can only be counted from executions; backup rows with status `failed` or
 *   `deleted` are not counted at all (counting `failed` rows too would count a failure twice
 *   whenever the engine also marked its execution failed; `deleted` rows were pruned).
 *   total_backups = successful_backups + failed_backups.
 * - The window (`date_from`/`date_to`, inclusive) applies to `created_at` of the backup row,
 *   of the failed execution, and of restores. `job_id` filters backups and executions by job,
 *   and restores by the job of the backup they restore.
 * - `owner` keeps only what belongs to the jobs that principal created (`created_by`), deleted
 *   jobs included: their backups, their failed executions, restores of their backups, and the
 *   job counts. Backups and executions of a job with no row belong to nobody. It combines with
 *   `job_id` (someone else's job gives zeros).
 * - Sizes are `file_size` (stored bytes the backup references), `logical_size` and `new_bytes`
 *   (stored bytes no earlier backup held) of successful backups; durations are `duration` of
 *   successful backups (a failed run has no meaningful duration). So every per-backup average
 *   divides by the successful count, never by all attempts.
 *   With deduplication, summed file sizes exceed the physical repository size.
 * - A failed execution's type is its `execution_options.backup_type` when that is a string,
 *   else its job's `backup_type`, else `unknown`; its job name is the job's current name.
 * - total_jobs counts jobs whose status is not `deleted`; active_jobs those `active`. The date
 *   window does not apply to jobs.
 * - time_series groups by the UTC day (YYYY-MM-DD) of `created_at`.
 * - Orderings: job_breakdown by backups desc then job_id; backup_types by type; storage_breakdown
 *   by destination then storage_class (null first); time_series by date. Text compares by code
 *   point (PostgreSQL uses COLLATE "C").
 */

export interface NormalizedAnalyticsFilter {
  job_id: string | null;
  owner: string | null;
  date_from: string | null;
  date_to: string | null;
}

/** @throws BackupError('validation_failed') when a bound is not a valid time. */
export function normalizeAnalyticsFilter(filter: AnalyticsFilter): NormalizedAnalyticsFilter {
  return {
    job_id: filter.job_id ?? null,
    owner: filter.owner ?? null,
    date_from: filter.date_from ? canonicalTime(filter.date_from, 'date_from') : null,
    date_to: filter.date_to ? canonicalTime(filter.date_to, 'date_to') : null,
  };
}

/** Average rounded to whole bytes; 0 when there is nothing to average. */
export function averageBytes(total: number, count: number): number {
  return count === 0 ? 0 : Math.round(total / count);
}

/** Code-point order, the order every catalog sorts text in. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
