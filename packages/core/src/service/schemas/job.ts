import { z } from 'zod';
import { nonEmptyString, notificationsSchema } from './common.js';
import {
  backupTypeSchema,
  compressionSchema,
  destinationSchema,
  encryptionSchema,
  retentionSchema,
  scheduleSchema,
  sourceSchema,
  verificationSchema,
} from './job-parts.js';

/** `POST /backup/jobs`: the request body. Unknown fields are rejected. */
export const createJobSchema = z.strictObject({
  job_name: nonEmptyString(200),
  description: z.string().max(2000).nullish(),
  backup_type: backupTypeSchema.default('full'),
  source: sourceSchema,
  destination: destinationSchema,
  schedule: scheduleSchema.nullish(),
  retention: retentionSchema.nullish(),
  compression: compressionSchema.optional(),
  encryption: encryptionSchema.optional(),
  verification: verificationSchema.optional(),
  notifications: notificationsSchema.nullish(),
  /** Ignored in favour of the caller's principal when there is one. */
  created_by: z.string().max(200).nullish(),
});

/**
 * `PATCH /backup/jobs/{job_id}`: any subset of the job's fields, plus `status` (pause/resume).
 * Objects are merged field by field into the stored job (an object with a different `type`
 * replaces it); the merged job is then validated as a whole.
 */
export const updateJobSchema = z.strictObject({
  job_name: nonEmptyString(200).optional(),
  description: z.string().max(2000).nullish(),
  backup_type: backupTypeSchema.optional(),
  source: z.record(z.string(), z.unknown()).optional(),
  destination: z.record(z.string(), z.unknown()).optional(),
  schedule: z.record(z.string(), z.unknown()).nullish(),
  retention: z.record(z.string(), z.unknown()).nullish(),
  compression: z.record(z.string(), z.unknown()).optional(),
  encryption: z.record(z.string(), z.unknown()).optional(),
  verification: z.record(z.string(), z.unknown()).optional(),
  notifications: z.record(z.string(), z.unknown()).nullish(),
  status: z.enum(['active', 'paused'], { error: 'must be active or paused' }).optional(),
});

export const listJobsQuerySchema = z.strictObject({
  status: z.enum(['active', 'paused']).optional(),
  limit: z.coerce.number<number | string>().int().min(1).max(500).default(50),
  offset: z.coerce.number<number | string>().int().min(0).default(0),
});

export type CreateJobInput = z.input<typeof createJobSchema>;
export type CreateJobParsed = z.output<typeof createJobSchema>;
export type UpdateJobInput = z.input<typeof updateJobSchema>;
export type ListJobsQueryInput = z.input<typeof listJobsQuerySchema>;
