import { z } from 'zod';
import { isoTime, jsonObject } from './view-parts.js';

/** One backup's fate under the policy: why it is kept (empty for forgotten backups). */
export const retentionDecisionSchema = z.object({
  backup_id: z.string(),
  created_at: isoTime(),
  reasons: z.array(z.string()),
});

/** What garbage collection after retention removed; repositories it could not lock are `deferred`. */
export const garbageCollectionSchema = z.object({
  deleted_chunks: z.number().int(),
  deleted_bytes: z.number(),
  spared_recent_chunks: z.number().int(),
  deferred: z.array(z.object({ location: z.string(), code: z.string() })),
});

/** `applyRetention` (`POST /backup/jobs/{job_id}/retention/apply`); `dry_run` deletes nothing. */
export const retentionResultSchema = z.object({
  job_id: z.string(),
  dry_run: z.boolean(),
  policy: jsonObject().nullable(),
  keep: z.array(retentionDecisionSchema),
  forget: z.array(retentionDecisionSchema),
  deleted: z.array(z.string()),
  garbage_collection: garbageCollectionSchema.nullable().describe('null on a dry run'),
});

export type RetentionDecisionView = z.infer<typeof retentionDecisionSchema>;
export type GarbageCollectionView = z.infer<typeof garbageCollectionSchema>;
export type RetentionResult = z.infer<typeof retentionResultSchema>;
