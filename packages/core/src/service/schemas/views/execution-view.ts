import { z } from 'zod';
import {
  errorBlockSchema,
  executionIdSchema,
  isoTime,
  jsonObject,
  progressSchema,
  RUN_STATUSES,
} from './view-parts.js';

/**
 * An execution as `executeJob` and `cancelExecution` answer (`POST /backup/jobs/{job_id}/execute`),
 * plus when it ended, for listings.
 */
export const executionViewSchema = z.object({
  execution_id: executionIdSchema,
  job_id: z.string(),
  status: z.enum(RUN_STATUSES),
  progress: progressSchema,
  started_at: isoTime().describe('when it started, or was queued'),
  estimated_completion: isoTime().nullable(),
  execution_options: jsonObject(),
  custom_parameters: jsonObject(),
  executed_by: z.string().nullable(),
  trigger: z.string().describe('manual, schedule or startup-catchup'),
  completed_at: isoTime().nullable(),
  backup_id: z.string().nullable(),
  error: errorBlockSchema.nullable(),
});

/** A page of a job's executions (`listExecutions`), newest first. */
export const executionListSchema = z.object({
  executions: z.array(executionViewSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export type ExecutionView = z.infer<typeof executionViewSchema>;
export type ExecutionList = z.infer<typeof executionListSchema>;
