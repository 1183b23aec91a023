import { z } from 'zod';
import { isoTime, jsonObject, RUN_STATUSES, restoreIdSchema } from './view-parts.js';

/** A restore as `createRestore` answers (`POST /backup/restores`): secrets masked. */
export const restoreViewSchema = z.object({
  restore_id: restoreIdSchema,
  restore_name: z.string(),
  description: z.string().nullable(),
  backup_id: z.string(),
  source: jsonObject().nullable(),
  destination: jsonObject().describe('connection_string password masked as ***'),
  restore_options: jsonObject(),
  notifications: jsonObject().nullable(),
  status: z.enum(RUN_STATUSES),
  created_at: isoTime(),
  created_by: z.string().nullable(),
  started_at: isoTime().nullable(),
  completed_at: isoTime().nullable(),
});

export type RestoreView = z.infer<typeof restoreViewSchema>;
