import { z } from 'zod';
import {
  errorBlockSchema,
  isoTime,
  jsonObject,
  progressSchema,
  VERIFICATION_STATUSES,
  verificationIdSchema,
} from './view-parts.js';

const checkOutcome = z.enum(['passed', 'failed', 'skipped', 'error']);

/** One damaged object a verification found, and what it takes down with it. Open for more facts. */
export const damagedObjectSchema = z.looseObject({
  object: z.string(),
  key: z.string().nullable(),
  kind: z.enum(['chunk', 'manifest', 'entry']),
  chunk_id: z.string().nullable(),
  problem: z.string(),
  detail: z.string(),
  entries: z.array(z.string()),
  shared_with_backups: z.array(z.string()),
  earlier_backups: z.array(z.string()),
  found_by: z.enum(['checksum', 'integrity', 'test_restore']),
});

/**
 * A finished verification's outcome. The three flags are always there (a verification that could
 * not start has only them); the counts and reports come with every verification that ran.
 */
export const verificationOutcomeSchema = z.looseObject({
  checksum_verified: z.boolean(),
  integrity_verified: z.boolean(),
  test_restore_verified: z.boolean(),
  backup_id: z.string().optional(),
  status: z.enum(['passed', 'failed', 'error']).optional(),
  verification_type: z.string().optional(),
  checks: z
    .object({ checksum: checkOutcome, integrity: checkOutcome, test_restore: checkOutcome })
    .optional(),
  manifest_checksum: z.string().nullable().optional(),
  chunks_total: z.number().int().optional(),
  chunks_checked: z.number().int().optional(),
  chunks_read: z.number().int().optional(),
  bytes_read: z.number().optional(),
  entries_verified: z.number().int().optional(),
  read_data: jsonObject().nullable().optional(),
  damaged: z.array(damagedObjectSchema).optional(),
  damaged_truncated: z.boolean().optional(),
  test_restore: jsonObject().nullable().optional(),
  error: errorBlockSchema.nullable().optional(),
  started_at: isoTime().optional(),
  completed_at: isoTime().optional(),
});

/**
 * A verification (`verifyBackup`, `getVerification`; `POST /backup/backups/{backup_id}/verify`),
 * with its outcome once known.
 */
export const verificationViewSchema = z.object({
  verification_id: verificationIdSchema,
  backup_id: z.string(),
  verification_type: z.string().describe('full, quick or a share such as 10%'),
  status: z.enum(VERIFICATION_STATUSES),
  progress: progressSchema,
  started_at: isoTime(),
  estimated_completion: isoTime().nullable(),
  checksum_verification: z.boolean(),
  integrity_check: z.boolean(),
  test_restore: z.boolean(),
  test_restore_options: jsonObject().nullable(),
  completed_at: isoTime().nullable(),
  result: verificationOutcomeSchema.nullable(),
  /**
   * What went wrong, once finished other than `passed`, as `code: message` text; the same
   * failure with its details is `result.error`.
   */
  error: z.string().nullable(),
});

export type DamagedObjectView = z.infer<typeof damagedObjectSchema>;
export type VerificationOutcome = z.infer<typeof verificationOutcomeSchema>;
export type VerificationView = z.infer<typeof verificationViewSchema>;
