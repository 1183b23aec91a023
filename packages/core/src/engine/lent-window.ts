import { whenGivenBack } from '../util/lent-buffers.js';

/**
 * How many chunks one restored entry has handed to its target and not had back yet (their
 * decoding memory still taken): at most `max` before more are fetched, once the target is seen
 * handing chunks back at all. A target that never does (it need not) is not waited for; one
 * that stops doing so is waited for a second at a time, never indefinitely.
 *
 * Why: a target's streams (a row counter, the COPY stream, the socket) each hold a chunk or
 * two; with entries restored in parallel that was ~14 chunks in flight, beyond the decoding
 * slots, so later chunks came back in fresh buffers of their own.
 */
export class LentWindow {
  readonly #max: number;
  #out = 0;
  #givesBack = false;
  #wake: (() => void) | null = null;

  constructor(max: number) {
    this.#max = max;
  }

  /** `chunk` goes to the target: counted until it is given back (when it is lent at all). */
  handOver(chunk: Uint8Array): void {
    const counted = whenGivenBack(chunk, () => {
      this.#out--;
      this.#givesBack = true;
      const wake = this.#wake;
      this.#wake = null;
      wake?.();
    });
    if (counted) this.#out++;
  }

  /** Resolves once fewer than `max` chunks are out (at once while none has come back yet). */
  async room(signal: AbortSignal): Promise<void> {
    while (this.#givesBack && this.#out >= this.#max && !signal.aborted) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 1000).unref();
      });
    }
  }
}
