import type { VerificationProgress } from './types.js';

/**
 * A verification's progress in units (see content-checks.ts), reported as a percentage per
 * phase: at most 99 until `done`, and only when the percentage moves (a phase change always).
 */
export class ProgressTracker {
  readonly #emit?: (progress: VerificationProgress) => void;
  #phase: VerificationProgress['phase'] = 'manifest';
  total = 0;
  done = 0;
  #last = -1;

  constructor(emit?: (progress: VerificationProgress) => void) {
    this.#emit = emit;
  }

  phase(phase: VerificationProgress['phase']): void {
    this.#phase = phase;
    this.#report(true);
  }

  add(units: number): void {
    this.set(this.done + units);
  }

  set(units: number): void {
    this.done = Math.max(this.done, units);
    this.#report(false);
  }

  #report(force: boolean): void {
    if (!this.#emit) return;
    const percent =
      this.#phase === 'done'
        ? 100
        : this.total > 0
          ? Math.min(99, Math.floor((this.done / this.total) * 100))
          : 0;
    if (!force && percent === this.#last) return;
    this.#last = percent;
    this.#emit({ phase: this.#phase, progress: percent, units_done: this.done, units_total: this.total });
  }
}
