import { z } from 'zod';
import { keyIdSchema, nameList } from './common.js';

export const executionOptionsSchema = z.strictObject({
  priority: z.enum(['low', 'normal', 'high'], { error: 'must be low, normal or high' }).default('normal'),
  force_full_backup: z.boolean().default(false),
  skip_verification: z.boolean().default(false),
  notify_on_completion: z.boolean().default(true),
});

/** Overrides for one run only; the job itself is unchanged. */
export const customParametersSchema = z.strictObject({
  /** A subset of the job's tables (database sources) or entry names (filesystem). */
  tables: nameList().min(1, { error: 'must name at least one table' }).optional(),
  /** Validated against the job's algorithm by the service. */
  compression_level: z.number().int({ error: 'must be a whole number' }).optional(),
  /** A key id (never key material) to encrypt this run with. */
  encryption_key: keyIdSchema.optional(),
});

/** `POST /backup/jobs/{job_id}/execute`. */
export const executeJobSchema = z.strictObject({
  execution_options: executionOptionsSchema.default({
    priority: 'normal',
    force_full_backup: false,
    skip_verification: false,
    notify_on_completion: true,
  }),
  custom_parameters: customParametersSchema.default({}),
});

export const listExecutionsQuerySchema = z.strictObject({
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']).optional(),
  limit: z.coerce.number<number | string>().int().min(1).max(500).default(50),
  offset: z.coerce.number<number | string>().int().min(0).default(0),
});

export type ExecuteJobInput = z.input<typeof executeJobSchema>;
export type ExecuteJobParsed = z.output<typeof executeJobSchema>;
export type ListExecutionsQueryInput = z.input<typeof listExecutionsQuerySchema>;
