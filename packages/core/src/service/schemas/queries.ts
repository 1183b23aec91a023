import { z } from 'zod';
import { isoDateTime } from './common.js';

/** `GET /backup/files` query. Query strings arrive as strings: numbers are coerced. */
export const listBackupsQuerySchema = z
  .strictObject({
    job_id: z.string().min(1).max(100).optional(),
    backup_type: z.enum(['full', 'incremental', 'differential']).optional(),
    date_from: isoDateTime().optional(),
    date_to: isoDateTime().optional(),
    status: z.enum(['completed', 'failed', 'deleted']).optional(),
    limit: z.coerce
      .number<number | string>()
      .int()
      .min(1, { error: 'must be 1-500' })
      .max(500, { error: 'must be 1-500' })
      .default(50),
    offset: z.coerce.number<number | string>().int().min(0, { error: 'must be 0 or more' }).default(0),
  })
  .superRefine((value, ctx) => {
    if (value.date_from && value.date_to && new Date(value.date_from) > new Date(value.date_to)) {
      ctx.addIssue({ code: 'custom', path: ['date_to'], message: 'must not be before date_from' });
    }
  });

/** `GET /backup/analytics` query. */
export const analyticsQuerySchema = z
  .strictObject({
    date_from: isoDateTime().optional(),
    date_to: isoDateTime().optional(),
    job_id: z.string().min(1).max(100).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.date_from && value.date_to && new Date(value.date_from) > new Date(value.date_to)) {
      ctx.addIssue({ code: 'custom', path: ['date_to'], message: 'must not be before date_from' });
    }
  });

/** `GET /backup/jobs/{job_id}/status` query: the latest execution unless one is named. */
export const jobStatusQuerySchema = z.strictObject({
  execution_id: z.string().min(1).max(100).optional(),
});

/** `POST /backup/jobs/{job_id}/retention/apply` (body or query: query values arrive as strings). */
export const applyRetentionOptionsSchema = z.strictObject({
  dry_run: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')])
    .default(false),
});

export type ListBackupsQuery = z.output<typeof listBackupsQuerySchema>;
export type ListBackupsQueryInput = z.input<typeof listBackupsQuerySchema>;
export type AnalyticsQuery = z.output<typeof analyticsQuerySchema>;
export type AnalyticsQueryInput = z.input<typeof analyticsQuerySchema>;
export type JobStatusQueryInput = z.input<typeof jobStatusQuerySchema>;
export type ApplyRetentionOptionsInput = z.input<typeof applyRetentionOptionsSchema>;
