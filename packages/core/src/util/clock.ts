/** Time source. Tests pass a `ManualClock`; nothing in the SDK reads `Date.now()` directly. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand; schedules and retention read it instead of real time. */
export class ManualClock implements Clock {
  #ms: number;

  constructor(start: Date | string = '2024-01-15T12:00:00Z') {
    this.#ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  set(time: Date | string): void {
    this.#ms = new Date(time).getTime();
  }

  advance(ms: number): void {
    this.#ms += ms;
  }
}
