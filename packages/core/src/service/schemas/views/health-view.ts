import { z } from 'zod';
import { isoTime } from './view-parts.js';

/** `health()` (`GET /backup/health`): this instance and its catalog answer. */
export const healthViewSchema = z.object({
  status: z.literal('ok'),
  instance_id: z.string(),
  running_executions: z.number().int().describe('in the whole catalog'),
  active_work: z.number().int().describe('executions, restores and verifications this instance runs'),
  time: isoTime(),
});

export type HealthView = z.infer<typeof healthViewSchema>;
