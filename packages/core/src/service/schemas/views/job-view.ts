import { z } from 'zod';
import { BACKUP_TYPES, isoTime, jsonObject } from './view-parts.js';

/** A job as `createJob`, `getJob` and `updateJob` answer (`POST /backup/jobs`): secrets masked. */
export const jobViewSchema = z.object({
  job_id: z.string(),
  job_name: z.string(),
  description: z.string().nullable(),
  backup_type: z.enum(BACKUP_TYPES),
  source: jsonObject().describe('connection_string password masked as ***'),
  destination: jsonObject().describe('credentials masked as ***'),
  schedule: jsonObject().nullable(),
  retention: jsonObject().nullable(),
  compression: jsonObject(),
  encryption: jsonObject(),
  verification: jsonObject(),
  notifications: jsonObject().nullable(),
  status: z.enum(['active', 'paused', 'deleted']),
  created_at: isoTime(),
  created_by: z.string().nullable(),
  updated_at: isoTime(),
  last_run: isoTime().nullable(),
  next_run: isoTime().nullable(),
});

/** A page of jobs (`listJobs`, `GET /backup/jobs`), newest first. */
export const jobListSchema = z.object({
  jobs: z.array(jobViewSchema),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export type JobView = z.infer<typeof jobViewSchema>;
export type JobList = z.infer<typeof jobListSchema>;
