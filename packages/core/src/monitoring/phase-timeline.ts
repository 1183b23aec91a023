import type { TraceSpan } from './trace-span.js';

/** The phases of a backup run, as its trace shows them (see `PhaseTimeline`). */
export type BackupPhase = 'snapshot' | 'read' | 'chunk' | 'write' | 'manifest' | 'verify';

/**
 * Where a backup run reports its phases. `snapshot`, `manifest` and `verify` happen once and
 * are `run` around their work. Reading, chunking and writing overlap (a streaming pipeline),
 * so they are `mark`ed as they happen: each becomes one span from its first to its last mark.
 */
export interface PhaseTimeline {
  /** `fn` gets the phase's span, to parent work it starts (e.g. the verification's). */
  run<T>(phase: BackupPhase, fn: (span: TraceSpan) => Promise<T>): Promise<T>;
  mark(phase: BackupPhase): void;
}

/** `fn` inside `phase` when the run is traced; just `fn` when it is not. */
export function inPhase<T>(
  timeline: PhaseTimeline | undefined,
  phase: BackupPhase,
  fn: (span: TraceSpan | undefined) => Promise<T>,
): Promise<T> {
  return timeline ? timeline.run(phase, fn) : fn(undefined);
}

interface Window {
  first: number;
  last: number;
  marks: number;
}

/** A timeline recording its phases as child spans of an execution's span. */
export class SpanPhaseTimeline implements PhaseTimeline {
  readonly #parent: TraceSpan;
  readonly #windows = new Map<BackupPhase, Window>();

  constructor(parent: TraceSpan) {
    this.#parent = parent;
  }

  run<T>(phase: BackupPhase, fn: (span: TraceSpan) => Promise<T>): Promise<T> {
    const span = this.#parent.child(`backupkit.backup.${phase}`, { 'backupkit.phase': phase });
    return span.run(() => fn(span));
  }

  mark(phase: BackupPhase): void {
    const now = Date.now();
    const window = this.#windows.get(phase);
    if (window) {
      window.last = now;
      window.marks++;
    } else this.#windows.set(phase, { first: now, last: now, marks: 1 });
  }

  /** Emits the marked phases' spans (call once the pipeline has finished, or failed). */
  close(): void {
    for (const [phase, window] of this.#windows) {
      const span = this.#parent.child(
        `backupkit.backup.${phase}`,
        { 'backupkit.phase': phase, 'backupkit.phase.events': window.marks },
        window.first,
      );
      span.end(window.last);
    }
    this.#windows.clear();
  }
}
