import { z } from 'zod';
import { errorBlockSchema, isoTime, progressSchema, RUN_STATUSES, restoreIdSchema } from './view-parts.js';

/** What a completed restore wrote. Open: a restore target may report more. */
export const restoreResultSchema = z.looseObject({
  tables_restored: z.number().int(),
  files_restored: z.number().int().optional(),
  entries_restored: z.number().int().optional(),
  records_restored: z.number(),
  data_size: z.number().describe('bytes'),
  restored_at: isoTime(),
  /** What was skipped or needs a look (absent when nothing did). */
  warnings: z.array(z.string()).optional(),
});

/** Checks after a restore; `skipped` when `verify_after_restore` was off. Open for targets' own checks. */
export const restoreVerificationSchema = z.looseObject({
  status: z.enum(['passed', 'failed', 'skipped']),
  data_integrity_verified: z.boolean(),
  constraints_verified: z.boolean().nullable().describe('null: not a database target'),
  indexes_verified: z.boolean().nullable().describe('null: not a database target'),
  verified_at: isoTime().nullable(),
});

/** A restore's status (`getRestoreStatus`, `GET /backup/restores/{restore_id}/status`). */
export const restoreStatusViewSchema = z.object({
  restore_id: restoreIdSchema,
  backup_id: z.string(),
  status: z.enum(RUN_STATUSES),
  progress: progressSchema,
  started_at: isoTime().nullable(),
  completed_at: isoTime().nullable(),
  duration: z.number().nullable().describe('seconds'),
  /** While queued or running: when it should end, from the measured rate; null until measured and once ended. */
  estimated_completion: isoTime().nullable(),
  result: restoreResultSchema.nullable(),
  verification: restoreVerificationSchema.nullable(),
  error: errorBlockSchema.nullable(),
});

export type RestoreResultBlock = z.infer<typeof restoreResultSchema>;
export type RestoreVerificationBlock = z.infer<typeof restoreVerificationSchema>;
export type RestoreStatusView = z.infer<typeof restoreStatusViewSchema>;
