/** What polling a run's status saw: each read's time, `progress` and `estimated_completion`. */
export interface ProgressSample {
  at: number;
  status: string;
  progress: number;
  eta: string | null;
}

export interface ProgressSummary {
  samples: number;
  /** Distinct `progress` values seen while the run was running, strictly between 0 and 100. */
  distinct: number[];
  /** Seconds from start to end, as the status says. */
  durationSeconds: number;
  /**
   * |estimated_completion − actual end| over the run's duration, at the first read at or past
   * each progress mark (null when no read was there).
   */
  etaErrorAt: Record<'50' | '75' | '90', number | null>;
  /** The largest such error over every read at or past 50%. */
  worstEtaErrorPast50: number | null;
}

const FINAL = new Set(['completed', 'failed', 'cancelled', 'passed', 'error']);

/** Polls `read` every `intervalMs` until the run ends; returns every read while it ran. */
export async function pollProgress(
  read: () => Promise<{ status: string; progress: number; estimated_completion?: string | null }>,
  intervalMs = 100,
): Promise<ProgressSample[]> {
  const samples: ProgressSample[] = [];
  for (;;) {
    const view = await read();
    if (FINAL.has(view.status)) return samples;
    samples.push({
      at: Date.now(),
      status: view.status,
      progress: view.progress,
      eta: view.estimated_completion ?? null,
    });
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Distinct values and ETA errors of a run that started at `startedAt` and ended at `completedAt`. */
export function summarize(
  samples: ProgressSample[],
  startedAt: string,
  completedAt: string,
): ProgressSummary {
  const start = Date.parse(startedAt);
  const end = Date.parse(completedAt);
  const duration = Math.max(1, end - start);
  const running = samples.filter((s) => s.status === 'running');
  const error = (s: ProgressSample | undefined) =>
    s?.eta ? Math.round((Math.abs(Date.parse(s.eta) - end) / duration) * 1000) / 1000 : null;
  const past = (mark: number) => running.find((s) => s.progress >= mark && s.eta !== null);
  const errors = running
    .filter((s) => s.progress >= 50)
    .map(error)
    .filter((e): e is number => e !== null);
  return {
    samples: samples.length,
    distinct: [...new Set(running.map((s) => s.progress))]
      .filter((p) => p > 0 && p < 100)
      .sort((a, b) => a - b),
    durationSeconds: duration / 1000,
    etaErrorAt: { '50': error(past(50)), '75': error(past(75)), '90': error(past(90)) },
    worstEtaErrorPast50: errors.length > 0 ? Math.max(...errors) : null,
  };
}
