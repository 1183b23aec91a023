import type { BackupRecord } from '../catalog/records.js';
import type { ExecutionRun } from '../service/execution-run.js';
import type { ServiceContext } from '../service/service-context.js';
import { SpanPhaseTimeline } from './phase-timeline.js';
import { TraceSpan } from './trace-span.js';

/** An execution's span and the timeline its phases nest in. */
export interface ExecutionTrace {
  completed(backup: BackupRecord): void;
  failed(error: unknown): void;
  /** Closes the phase spans, then the execution's. */
  end(): void;
}

/**
 * Starts the execution's span and, when an SDK records it, gives the run a phase timeline
 * (`run.phases`). Without one the run carries no timeline and pays for nothing.
 */
export function traceExecution(context: Pick<ServiceContext, 'tracing'>, run: ExecutionRun): ExecutionTrace {
  const span = TraceSpan.start(
    'backupkit.execution',
    {
      'backupkit.job.id': run.job.job_id,
      'backupkit.execution.id': run.executionId,
      'backupkit.execution.trigger': run.execution.trigger,
      'backupkit.backup.type': run.job.backup_type,
      'backupkit.source.type': String(run.sourceConfig.type ?? ''),
      'backupkit.destination.type': String(run.destination.type ?? ''),
    },
    context.tracing !== false,
  );
  const timeline = span.recording ? new SpanPhaseTimeline(span) : undefined;
  if (timeline) run.phases = timeline;
  return {
    completed(backup) {
      span.setAttributes({
        'backupkit.backup.id': backup.backup_id,
        'backupkit.backup.logical_bytes': backup.logical_size,
        'backupkit.backup.stored_bytes': backup.file_size,
        'backupkit.backup.new_bytes': backup.new_bytes,
      });
    },
    failed(error) {
      span.fail(error);
    },
    end() {
      timeline?.close();
      span.end();
    },
  };
}
