/**
 * Which free slot of a chunk reader's slot memory a chunk goes to. A slot's pages become
 * resident as far as a plaintext was ever written into it, and stay so: the chooser puts each
 * chunk where the fewest new pages are touched — with its size known, the free slot touched
 * least far that still holds it, else the one touched farthest; without, the one touched
 * farthest. Large chunks then keep to the few slots already grown for them.
 */
export class SlotChooser {
  readonly #free: Uint8Array;
  /** Bytes written at the front of each slot, at most (by this chooser's user). */
  readonly #touched: Float64Array;
  #freeCount: number;

  constructor(slots: number) {
    this.#free = new Uint8Array(slots).fill(1);
    this.#touched = new Float64Array(slots);
    this.#freeCount = slots;
  }

  /** Every slot is free. */
  get allFree(): boolean {
    return this.#freeCount === this.#free.length;
  }

  /** A free slot for a plaintext of `size` bytes (unknown: undefined), now taken; undefined when none is free. */
  take(size?: number): number | undefined {
    if (this.#freeCount === 0) return undefined;
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      if (this.#free[i] === 0) continue;
      if (best < 0 || this.#better(i, best, size)) best = i;
    }
    this.#free[best] = 0;
    this.#freeCount--;
    return best;
  }

  /** `length` bytes were written at the front of `slot`. */
  wrote(slot: number, length: number): void {
    if (length > this.#touched[slot]!) this.#touched[slot] = length;
  }

  release(slot: number): void {
    if (this.#free[slot] === 1) return;
    this.#free[slot] = 1;
    this.#freeCount++;
  }

  #better(i: number, best: number, size: number | undefined): boolean {
    const a = this.#touched[i]!;
    const b = this.#touched[best]!;
    if (size === undefined) return a > b;
    const fitsA = a >= size;
    if (fitsA !== b >= size) return fitsA;
    return fitsA ? a < b : a > b;
  }
}
