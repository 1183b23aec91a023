import type { ScheduleRecord } from '../../catalog/records.js';
import { nextRuns, type ScheduleSpec } from '../../schedule/next-run.js';
import type { JobState } from './catalog-state.js';

/**
 * When a scheduled job should have succeeded again: the first occurrence after its last
 * success (or, never having succeeded, after its creation) plus half the schedule's period
 * there, so the run has time to finish. Past this time the job is overdue. Null for jobs
 * without an enabled schedule, or paused ones.
 */
export function successDeadline(state: JobState): Date | null {
  const { job, schedule, lastSuccess } = state;
  if (job.status !== 'active' || !schedule || !schedule.enabled) return null;
  // A scheduled run is measured from the occurrence it ran for; a manual one from its start.
  const since = lastSuccess ? (lastSuccess.scheduled_for ?? lastSuccess.started_at) : job.created_at;
  if (!since) return null;
  try {
    const [next, after] = nextRuns(specOf(schedule), new Date(since), 2);
    if (!next) return null;
    const period = after ? after.getTime() - next.getTime() : 0;
    return new Date(next.getTime() + period / 2);
  } catch {
    return null; // a schedule that no longer compiles (e.g. a retired time zone) has no deadline
  }
}

function specOf(schedule: ScheduleRecord): ScheduleSpec {
  return {
    frequency: schedule.frequency,
    time: schedule.time,
    day_of_week: schedule.day_of_week,
    day_of_month: schedule.day_of_month,
    timezone: schedule.timezone,
    enabled: schedule.enabled,
  };
}
