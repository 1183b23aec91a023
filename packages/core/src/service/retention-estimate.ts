import type { JobRecord } from '../catalog/records.js';
import { retentionUntil } from '../retention/retention-until.js';

/** When a backup taken at `createdAt` is expected to be forgotten under the job's policy (null: not known). */
export function estimateRetentionUntil(
  job: Pick<JobRecord, 'retention' | 'schedule' | 'next_run'>,
  createdAt: string,
): string | null {
  if (!job.retention) return null;
  const timezone = typeof job.schedule?.timezone === 'string' ? job.schedule.timezone : 'UTC';
  const until = retentionUntil(new Date(createdAt), job.retention, {
    timezone,
    nextBackupAt: job.next_run ? new Date(job.next_run) : null,
  });
  return until ? until.toISOString() : null;
}
