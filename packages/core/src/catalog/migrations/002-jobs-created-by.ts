import type { PostgresMigration } from './index.js';

/**
 * Principals without `admin` see only the jobs they created: their job listings filter on
 * `created_by` (and `status`, newest first), and their backups, executions and analytics on
 * `job_id IN (jobs created_by them)`.
 */
export const jobsCreatedBy: PostgresMigration = {
  version: 2,
  name: 'jobs_created_by',
  up: (s) => `
CREATE INDEX backup_jobs_created_by ON ${s}backup_jobs (created_by, status, created_at);
`,
};
