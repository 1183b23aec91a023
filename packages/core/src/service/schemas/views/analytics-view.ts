import { z } from 'zod';
import { isoTime } from './view-parts.js';

const count = () => z.number().int();
/** Over successful backups only: a failed run stores nothing and has no meaningful duration. */
const rateAndSize = {
  success_rate: z.number().describe('0-1'),
  average_size: z.number().describe('bytes'),
  average_duration: z.number().describe('seconds'),
};

/** The analytics report (`getAnalytics`, `GET /backup/analytics`). */
export const analyticsViewSchema = z.object({
  overview: z.object({
    total_jobs: count(),
    active_jobs: count(),
    total_backups: count(),
    successful_backups: count(),
    failed_backups: count(),
    total_restores: count(),
    successful_restores: count(),
    failed_restores: count(),
    total_storage_used: z.number().describe('bytes'),
    average_backup_size: z.number().describe('bytes'),
  }),
  job_breakdown: z.array(
    z.object({
      job_id: z.string(),
      job_name: z.string(),
      backups: count(),
      ...rateAndSize,
      successful_backups: count(),
      failed_backups: count(),
      total_duration: z.number().describe('seconds'),
      average_throughput: z.number().describe('logical bytes per second'),
      dedup_ratio: z.number().describe('share of referenced bytes earlier backups already held'),
      compression_ratio: z.number().describe('stored / logical'),
    }),
  ),
  backup_types: z.array(z.object({ type: z.string(), count: count(), ...rateAndSize })),
  storage_breakdown: z.array(
    z.object({
      destination: z.string(),
      total_size: z.number().describe('bytes'),
      backup_count: count(),
      average_size: z.number().describe('bytes'),
      cost_per_month: z.number().describe('USD'),
    }),
  ),
  time_series: z.array(
    z.object({
      date: z.string(),
      backups_created: count(),
      successful_backups: count(),
      failed_backups: count(),
      storage_used: z.number().describe('bytes'),
    }),
  ),
  generated_at: isoTime(),
});

export type AnalyticsView = z.infer<typeof analyticsViewSchema>;
