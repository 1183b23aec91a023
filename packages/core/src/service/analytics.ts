import type { AnalyticsAggregates } from '../catalog/catalog-repository.js';
import type { AnalyticsView } from './schemas/views/index.js';

/** USD per GiB-month by destination type and storage class (list prices; override with `storagePrices`). */
export const DEFAULT_STORAGE_PRICES: Record<string, Record<string, number>> = {
  local: { default: 0 },
  s3: {
    default: 0.023,
    STANDARD: 0.023,
    INTELLIGENT_TIERING: 0.023,
    STANDARD_IA: 0.0125,
    ONEZONE_IA: 0.01,
    GLACIER_IR: 0.004,
    GLACIER: 0.0036,
    DEEP_ARCHIVE: 0.00099,
  },
  azure: { default: 0.0184, HOT: 0.0184, COOL: 0.01, COLD: 0.0036, ARCHIVE: 0.00099 },
  gcs: { default: 0.02, STANDARD: 0.02, NEARLINE: 0.01, COLDLINE: 0.004, ARCHIVE: 0.0012 },
};

const GIB = 1024 ** 3;

function ratio(part: number, whole: number, digits = 4): number {
  if (whole <= 0) return 0;
  const scale = 10 ** digits;
  return Math.round((part / whole) * scale) / scale;
}

function average(total: number, count: number): number {
  return count > 0 ? Math.round(total / count) : 0;
}

export function monthlyCost(
  prices: Record<string, Record<string, number>>,
  destination: string,
  storageClass: string | null,
  bytes: number,
): number {
  const table = prices[destination] ?? {};
  const price = (storageClass ? table[storageClass.toUpperCase()] : undefined) ?? table.default ?? 0;
  return Math.round((bytes / GIB) * price * 100) / 100;
}

/**
 * One job's row: backups, success rate, averages, then counts, total duration, throughput, dedup
 * and compression. Every size/duration figure is over successful backups only (a failed run
 * stores nothing and has no meaningful duration), so averages divide by the successful count.
 */
function jobRow(job: AnalyticsAggregates['job_breakdown'][number]): AnalyticsView['job_breakdown'][number] {
  return {
    job_id: job.job_id,
    job_name: job.job_name,
    backups: job.backups,
    success_rate: ratio(job.successful, job.backups),
    average_size: average(job.total_size, job.successful),
    average_duration: ratio(job.total_duration, job.successful, 3),
    successful_backups: job.successful,
    failed_backups: job.backups - job.successful,
    total_duration: Math.round(job.total_duration * 1000) / 1000,
    // Logical (source) bytes per second of backup time.
    average_throughput: job.total_duration > 0 ? Math.round(job.logical_size / job.total_duration) : 0,
    // Share of the stored bytes the backups reference that earlier backups already held.
    dedup_ratio:
      job.total_size > 0
        ? Math.max(0, Math.round((1 - job.new_bytes / job.total_size) * 10_000) / 10_000)
        : 0,
    // Stored / logical, as each backup's compression_ratio.
    compression_ratio: ratio(job.total_size, job.logical_size),
  };
}

/** The analytics response (`GET /backup/analytics`) from the catalog's aggregates. */
export function analyticsView(
  aggregates: AnalyticsAggregates,
  generatedAt: string,
  prices: Record<string, Record<string, number>> = DEFAULT_STORAGE_PRICES,
): AnalyticsView {
  const storage = new Map<string, { total_size: number; backup_count: number; cost: number }>();
  for (const row of aggregates.storage_breakdown) {
    const current = storage.get(row.destination) ?? { total_size: 0, backup_count: 0, cost: 0 };
    current.total_size += row.total_size;
    current.backup_count += row.backup_count;
    current.cost += monthlyCost(prices, row.destination, row.storage_class, row.total_size);
    storage.set(row.destination, current);
  }
  return {
    overview: aggregates.overview,
    job_breakdown: aggregates.job_breakdown.map(jobRow),
    // Sizes and durations exist only for successful backups, so their averages divide by those.
    backup_types: aggregates.backup_types.map((type) => ({
      type: type.type,
      count: type.count,
      success_rate: ratio(type.successful, type.count),
      average_size: average(type.total_size, type.successful),
      average_duration: ratio(type.total_duration, type.successful, 3),
    })),
    storage_breakdown: [...storage.entries()].map(([destination, row]) => ({
      destination,
      total_size: row.total_size,
      backup_count: row.backup_count,
      average_size: average(row.total_size, row.backup_count),
      cost_per_month: Math.round(row.cost * 100) / 100,
    })),
    time_series: aggregates.time_series,
    generated_at: generatedAt,
  };
}
