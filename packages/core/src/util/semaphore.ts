/**
 * A counting semaphore: at most `limit` holders at once, waiters served in FIFO order.
 * Used to bound work in flight (chunk writes, prefetches) so memory stays flat.
 */
export class Semaphore {
  #available: number;
  readonly #waiters: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`Semaphore limit must be a positive integer`);
    this.#available = limit;
  }

  /** Resolves once a slot is held; call `release()` exactly once afterwards. */
  acquire(): Promise<void> {
    if (this.#available > 0) {
      this.#available--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#available++;
  }
}
