/**
 * Updates that read the catalog after an event (a backup's sizes, a run's schedule). A scrape
 * waits for those under way, so a figure never lags the event a caller already saw.
 */
export class PendingUpdates {
  readonly #pending = new Set<Promise<void>>();

  add(update: Promise<void>): void {
    const tracked = update.catch(() => {}).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
