/**
 * Serialises the catalog writes of one run, so a late progress write never lands after the
 * final one (which would put an ended run back to, say, 87%).
 */
export class WriteChain {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `write` after every write queued before it; its failure does not stop later ones. */
  run<T>(write: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(write, write);
    this.#tail = next.catch(() => {});
    return next;
  }

  /** Resolves once every write queued so far has settled. */
  async settled(): Promise<void> {
    await this.#tail;
  }
}
