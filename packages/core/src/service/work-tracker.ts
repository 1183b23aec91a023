import { setMaxListeners } from 'node:events';

/** One piece of background work this instance runs: an execution, a restore, a verification. */
interface Work {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Background work by id: lets `cancelExecution` abort it, `waitFor` await it and `stop()`
 * drain it. Work never rejects here (runners record their own failures).
 */
export class WorkTracker {
  readonly #work = new Map<string, Work>();

  /** Starts `run` in the background under `id`. */
  start(id: string, run: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    // One run's signal is shared by many concurrent reads and writes.
    setMaxListeners(0, controller.signal);
    const done = (async () => {
      try {
        await run(controller.signal);
      } catch {
        // Runners record failures in the catalog and emit them; nothing to add here.
      } finally {
        this.#work.delete(id);
      }
    })();
    this.#work.set(id, { controller, done });
  }

  has(id: string): boolean {
    return this.#work.has(id);
  }

  /** Aborts the work; returns false when nothing runs under `id` here. */
  abort(id: string, reason?: unknown): boolean {
    const work = this.#work.get(id);
    if (!work) return false;
    work.controller.abort(reason);
    return true;
  }

  /** Resolves when the work under `id` ends (at once when there is none). */
  async settled(id: string): Promise<void> {
    await this.#work.get(id)?.done;
  }

  get size(): number {
    return this.#work.size;
  }

  /** Waits for everything running now (and anything it starts). */
  async drain(abort = false): Promise<void> {
    while (this.#work.size > 0) {
      const pending = [...this.#work.values()];
      if (abort) for (const work of pending) work.controller.abort();
      await Promise.all(pending.map((work) => work.done));
    }
  }
}
