/**
 * Bounds how many executions this instance runs at once. Executions over the limit wait in
 * arrival order (higher priority first) and start as slots free up.
 */
export class ExecutionQueue {
  readonly #max: number;
  #running = 0;
  readonly #pending: Array<{ id: string; priority: number; start: () => void }> = [];

  constructor(max: number) {
    this.#max = Math.max(1, Math.floor(max));
  }

  /** Takes a slot now if one is free. */
  tryTake(): boolean {
    if (this.#running >= this.#max) return false;
    this.#running++;
    return true;
  }

  /** Waits for a slot; `start` runs once one is taken for it. */
  enqueue(id: string, priority: number, start: () => void): void {
    const index = this.#pending.findIndex((item) => item.priority < priority);
    const item = { id, priority, start };
    if (index < 0) this.#pending.push(item);
    else this.#pending.splice(index, 0, item);
  }

  /** Removes a waiting execution; false when it is not waiting. */
  remove(id: string): boolean {
    const index = this.#pending.findIndex((item) => item.id === id);
    if (index < 0) return false;
    this.#pending.splice(index, 1);
    return true;
  }

  /** Frees a slot and hands it to the next waiting execution, if any. */
  release(): void {
    this.#running--;
    const next = this.#pending.shift();
    if (next) {
      this.#running++;
      next.start();
    }
  }

  get pending(): number {
    return this.#pending.length;
  }
}
