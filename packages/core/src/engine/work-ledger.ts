/**
 * A restore's work, in bytes of content it is worth, budgeted per part (an entry, the checks
 * before, the target's finish) and credited as it is done. A part is never credited beyond its
 * budget, and settling it credits what it had left, so progress only moves forward and a part
 * that ended sooner than priced does not leave the total short.
 */
export class WorkLedger {
  readonly #parts = new Map<string, { budget: number; credited: number }>();
  #total = 0;
  #done = 0;

  /** Adds a part worth `budget` units (a part added twice keeps its first budget). */
  add(part: string, budget: number): void {
    if (this.#parts.has(part)) return;
    const value = Number.isFinite(budget) ? Math.max(0, budget) : 0;
    this.#parts.set(part, { budget: value, credited: 0 });
    this.#total += value;
  }

  /** Credits `units` of work done on `part` (unknown parts and negative amounts are ignored). */
  credit(part: string, units: number): void {
    const entry = this.#parts.get(part);
    if (!entry || !(units > 0)) return;
    const amount = Math.min(units, entry.budget - entry.credited);
    entry.credited += amount;
    this.#done += amount;
  }

  /** The part is finished: whatever of its budget was not credited yet is. */
  settle(part: string): void {
    const entry = this.#parts.get(part);
    if (entry) this.credit(part, entry.budget - entry.credited);
  }

  /** Work left on the part that has most left, among the parts `include` accepts. */
  largestRemaining(include: (part: string) => boolean): number {
    let largest = 0;
    for (const [part, entry] of this.#parts) {
      if (include(part)) largest = Math.max(largest, entry.budget - entry.credited);
    }
    return largest;
  }

  /** Work left on `part` (0 for an unknown one). */
  remaining(part: string): number {
    const entry = this.#parts.get(part);
    return entry ? entry.budget - entry.credited : 0;
  }

  get total(): number {
    return this.#total;
  }

  get done(): number {
    return this.#done;
  }
}
