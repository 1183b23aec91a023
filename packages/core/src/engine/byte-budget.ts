/**
 * Bounds bytes in flight: `acquire(n)` waits until `n` more fit under the limit (FIFO, so a
 * large request is not starved by small ones). A request larger than the whole limit is let
 * through alone, so it can never wait forever.
 */
export class ByteBudget {
  readonly #limit: number;
  #used = 0;
  readonly #waiters: Array<{ bytes: number; resolve: () => void }> = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, Math.floor(limit));
  }

  get used(): number {
    return this.#used;
  }

  acquire(bytes: number): Promise<void> {
    if (this.#waiters.length === 0 && this.#fits(bytes)) {
      this.#used += bytes;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push({ bytes, resolve }));
  }

  release(bytes: number): void {
    this.#used -= bytes;
    while (this.#waiters.length > 0 && this.#fits(this.#waiters[0]!.bytes)) {
      const next = this.#waiters.shift()!;
      this.#used += next.bytes;
      next.resolve();
    }
  }

  #fits(bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.#limit;
  }
}
