import type { Clock } from '../../util/clock.js';
import type { CatalogStateReader } from './catalog-state.js';
import type { MetricFactory } from './metric-factory.js';
import type { PendingUpdates } from './pending-updates.js';
import type { GaugeLike, Labels } from './prom-client-like.js';
import { successDeadline } from './success-deadline.js';

const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;

function epochSeconds(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/**
 * Gauges read from the catalog at each scrape: a restarted service reports every job's last
 * success, status and deadline as they are, not zero. Deleted jobs drop out (each scrape resets).
 */
export function registerCatalogStateMetrics(
  factory: MetricFactory,
  reader: CatalogStateReader,
  clock: Clock,
  pending: PendingUpdates,
): void {
  // Each gauge fills itself from the shared read of this scrape.
  const gauge = (
    name: string,
    help: string,
    labels: readonly string[],
    fill: (
      set: (labels: Labels, value: number) => void,
      state: Awaited<ReturnType<CatalogStateReader['read']>>,
    ) => void,
  ): GaugeLike => {
    const metric: GaugeLike = factory.gauge({
      name,
      help,
      labels,
      collect: async () => {
        await pending.settled();
        const state = await reader.read();
        metric.reset();
        fill((l, v) => metric.set(l, v), state);
      },
    });
    return metric;
  };

  gauge(
    'job_info',
    'One series per job (value 1) naming it and its kinds, for joins in queries and dashboards.',
    ['job_id', 'job_name', 'source_type', 'destination_type', 'backup_type'],
    (set, state) => {
      for (const { job } of state.jobs) {
        set(
          {
            job_id: job.job_id,
            job_name: job.job_name,
            source_type: String(job.source.type ?? ''),
            destination_type: String(job.destination.type ?? ''),
            backup_type: job.backup_type,
          },
          1,
        );
      }
    },
  );
  gauge(
    'job_last_success_timestamp_seconds',
    'When the job last completed a backup (Unix seconds); absent until it first does.',
    ['job_id'],
    (set, state) => {
      for (const { job, lastSuccess } of state.jobs) {
        const at = epochSeconds(lastSuccess?.completed_at);
        if (at !== null) set({ job_id: job.job_id }, at);
      }
    },
  );
  gauge(
    'job_last_success_duration_seconds',
    'How long the job’s last successful execution took.',
    ['job_id'],
    (set, state) => {
      for (const { job, lastSuccess } of state.jobs) {
        const start = epochSeconds(lastSuccess?.started_at);
        const end = epochSeconds(lastSuccess?.completed_at);
        if (start !== null && end !== null) set({ job_id: job.job_id }, end - start);
      }
    },
  );
  gauge(
    'job_last_run_timestamp_seconds',
    'When the job’s latest execution started (Unix seconds).',
    ['job_id'],
    (set, state) => {
      for (const { job, latest } of state.jobs) {
        const at = epochSeconds(latest?.started_at ?? latest?.created_at);
        if (at !== null) set({ job_id: job.job_id }, at);
      }
    },
  );
  gauge(
    'job_last_run_status',
    'The status of the job’s latest execution: 1 for its status, 0 for the others.',
    ['job_id', 'status'],
    (set, state) => {
      for (const { job, latest } of state.jobs) {
        if (!latest) continue;
        for (const status of RUN_STATUSES)
          set({ job_id: job.job_id, status }, latest.status === status ? 1 : 0);
      }
    },
  );
  gauge(
    'job_success_deadline_timestamp_seconds',
    'When a scheduled job should have succeeded again (next occurrence after its last success plus half a period). Alert on time() > this.',
    ['job_id'],
    (set, state) => {
      for (const job of state.jobs) {
        const deadline = successDeadline(job);
        if (deadline) set({ job_id: job.job.job_id }, deadline.getTime() / 1000);
      }
    },
  );
  gauge(
    'job_overdue',
    'Whether a scheduled job is past its success deadline by the service’s clock (1) or not (0).',
    ['job_id'],
    (set, state) => {
      const now = clock.now().getTime();
      for (const job of state.jobs) {
        const deadline = successDeadline(job);
        if (deadline) set({ job_id: job.job.job_id }, now > deadline.getTime() ? 1 : 0);
      }
    },
  );
  gauge(
    'executions',
    'Executions in the catalog now running or queued (all instances).',
    ['status'],
    (set, state) => {
      set({ status: 'running' }, state.executions.running);
      set({ status: 'queued' }, state.executions.queued);
    },
  );
  gauge(
    'storage_used_bytes',
    'Stored bytes of completed backups by destination type, as the analytics endpoint reports them.',
    ['destination_type'],
    (set, state) => {
      for (const row of state.storage) set({ destination_type: row.destination }, row.bytes);
    },
  );
}
