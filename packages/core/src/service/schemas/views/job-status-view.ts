import { z } from 'zod';
import {
  errorBlockSchema,
  executionIdSchema,
  isoTime,
  progressSchema,
  RUN_STATUSES,
  VERIFICATION_STATUSES,
} from './view-parts.js';

/** The `result` of a job status: the backup the run produced. */
export const backupResultViewSchema = z.object({
  backup_id: z.string(),
  file_path: z.string(),
  file_size: z.number().describe('bytes stored'),
  compression_ratio: z.number().describe('stored / logical'),
  encryption: z.string().nullable(),
  checksum: z.string().describe('sha256:<hex> of the stored manifest'),
  created_at: isoTime(),
});

/**
 * The `verification` block of a job status. A backup nobody verified has status `not_verified`
 * and no `verification_id`.
 */
export const backupVerificationViewSchema = z.object({
  verification_id: z.string().optional(),
  status: z.enum(['not_verified', ...VERIFICATION_STATUSES]),
  checksum_verified: z.boolean(),
  integrity_verified: z.boolean(),
  test_restore_verified: z.boolean(),
  verified_at: isoTime().nullable(),
});

/**
 * A job's status (`getJobStatus`, `GET /backup/jobs/{job_id}/status`): its latest execution, or
 * the one asked for; `idle` before the first run.
 */
export const jobStatusViewSchema = z.object({
  job_id: z.string(),
  status: z.enum(['idle', ...RUN_STATUSES]),
  execution_id: executionIdSchema.nullable(),
  progress: progressSchema,
  started_at: isoTime().nullable(),
  completed_at: isoTime().nullable(),
  duration: z.number().nullable().describe('seconds'),
  /** Absent while idle; null once the run ended. */
  estimated_completion: isoTime().nullable().optional(),
  result: backupResultViewSchema.nullable(),
  verification: backupVerificationViewSchema.nullable(),
  error: errorBlockSchema.nullable(),
  next_run: isoTime().nullable(),
});

export type BackupResultView = z.infer<typeof backupResultViewSchema>;
export type BackupVerificationView = z.infer<typeof backupVerificationViewSchema>;
export type JobStatusView = z.infer<typeof jobStatusViewSchema>;
