/**
 * A backup's expected total bytes, corrected as entries are read: a finished entry counts what
 * it really had, one being read at least what was read of it so far, the others their source
 * estimates. So a table the statistics over-estimated stops inflating the total once it is done,
 * and one they under-estimated raises it while it is read rather than at the very end.
 */
export class SizeEstimate {
  /** The source's estimate for everything, entries not listed yet included. */
  readonly #planned: number;
  readonly #entries = new Map<string, { estimated: number; read: number; done: boolean }>();
  #listedEstimates = 0;
  /** Sum of what the started entries count for (kept as it changes: no walk per report). */
  #started = 0;

  constructor(planned: number) {
    this.#planned = Math.max(0, planned);
  }

  /** An entry starts being read; `estimated` is the source's estimate of its bytes. */
  start(name: string, estimated: number): void {
    const value = Math.max(0, estimated);
    this.#entries.set(name, { estimated: value, read: 0, done: false });
    this.#listedEstimates += value;
    this.#started += value;
  }

  read(name: string, bytes: number): void {
    this.#update(name, (entry) => {
      entry.read += bytes;
    });
  }

  /** The entry is complete with `size` bytes. */
  finish(name: string, size: number): void {
    this.#update(name, (entry) => {
      entry.read = size;
      entry.done = true;
    });
  }

  get total(): number {
    return Math.max(0, this.#planned - this.#listedEstimates) + this.#started;
  }

  #update(name: string, change: (entry: { estimated: number; read: number; done: boolean }) => void): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    const counts = () => (entry.done ? entry.read : Math.max(entry.estimated, entry.read));
    const before = counts();
    change(entry);
    this.#started += counts() - before;
  }
}
