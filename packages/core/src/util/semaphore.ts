import { abortedError } from './abort.js';

/**
 * A counting semaphore: at most `limit` holders at once, waiters served in FIFO order.
 * Used to bound work in flight (chunk writes, prefetches, restores) so memory stays flat.
 */
export class Semaphore {
  #available: number;
  readonly #waiters: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`Semaphore limit must be a positive integer`);
    this.#available = limit;
  }

  /** Whether `acquire()` would resolve at once. */
  get free(): boolean {
    return this.#available > 0;
  }

  /**
   * Resolves once a slot is held; call `release()` exactly once afterwards. With a `signal`,
   * a waiter that is aborted leaves the queue and rejects with `aborted` (holding nothing).
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    if (this.#available > 0) {
      this.#available--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(abortedError(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#available++;
  }
}
