import { isBackupError } from '../errors.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { releaseNow } from '../util/release-memory.js';
import type { BlobLocation } from './chunk-index.js';
import { readRange } from './pack-format.js';

/** A span read at once covers neighbouring blobs up to this many bytes. */
const DEFAULT_SPAN_BYTES = 4 * 1024 * 1024;

interface Span {
  pack: string;
  offset: number;
  length: number;
  /** Index of the first and one past the last blob of the sequence it covers. */
  from: number;
  to: number;
}

/**
 * The stored bytes of a sequence of chunks (an entry's, in order), read in spans: blobs that lie
 * back to back in a pack (a backup keeps an entry's chunks together) come in one range request
 * of up to `spanBytes`, the next span read while this one is consumed. A blob the index does not
 * place, or whose span cannot be read, is read alone through `readAlone` (which re-reads the
 * index once and names the chunk in its errors). Memory: two spans.
 */
export class BlobSequence {
  readonly #driver: StorageDriver;
  readonly #locations: Array<BlobLocation | undefined>;
  readonly #readAlone: (index: number) => Promise<Buffer>;
  readonly #signal: AbortSignal | undefined;
  readonly #spans: Span[] = [];
  /** The span each blob is in, or -1 to read it alone. */
  readonly #spanOf: Int32Array;
  readonly #reads = new Map<number, Promise<Buffer | null>>();
  /** Blobs of each span not yet handed out: at 0 its bytes are freed. */
  readonly #left: Int32Array;

  constructor(
    driver: StorageDriver,
    locations: Array<BlobLocation | undefined>,
    readAlone: (index: number) => Promise<Buffer>,
    signal?: AbortSignal,
    spanBytes = DEFAULT_SPAN_BYTES,
  ) {
    this.#driver = driver;
    this.#locations = locations;
    this.#readAlone = readAlone;
    this.#signal = signal;
    this.#spanOf = new Int32Array(locations.length).fill(-1);
    let span: Span | null = null;
    locations.forEach((location, i) => {
      if (!location) {
        span = null;
        return;
      }
      const extends_ =
        span !== null &&
        span.pack === location.pack &&
        span.offset + span.length === location.offset &&
        span.length + location.length <= spanBytes;
      if (span && extends_) {
        span.length += location.length;
        span.to = i + 1;
      } else {
        span = { pack: location.pack, offset: location.offset, length: location.length, from: i, to: i + 1 };
        this.#spans.push(span);
      }
      this.#spanOf[i] = this.#spans.length - 1;
    });
    this.#left = Int32Array.from(this.#spans, (span) => span.to - span.from);
  }

  /** Requests made (span reads), for tests and measurements. */
  get spans(): number {
    return this.#spans.length;
  }

  /** The stored bytes of blob `index`, in memory of its own. Ask in order for the read-ahead to help. */
  async get(index: number): Promise<Buffer> {
    const spanIndex = this.#spanOf[index]!;
    if (spanIndex < 0) return this.#readAlone(index);
    const bytes = await this.#span(spanIndex);
    this.#span(spanIndex + 1).catch(() => {}); // read ahead; its failure surfaces when its turn comes
    const span = this.#spans[spanIndex]!;
    const last = --this.#left[spanIndex]! === 0;
    if (last) this.#reads.delete(spanIndex);
    if (bytes === null) return this.#readAlone(index);
    const location = this.#locations[index]!;
    const own = Buffer.allocUnsafeSlow(location.length);
    bytes.copy(own, 0, location.offset - span.offset, location.offset - span.offset + location.length);
    // Its last blob copied out: freed now, not when the collector gets to it.
    if (last) releaseNow(bytes);
    return own;
  }

  /** A span's bytes, read once; null when it cannot be read whole (its blobs are read alone). */
  #span(spanIndex: number): Promise<Buffer | null> {
    const span = this.#spans[spanIndex];
    if (!span) return Promise.resolve(null);
    let read = this.#reads.get(spanIndex);
    if (!read) {
      read = readRange(this.#driver, span.pack, span.offset, span.length, {
        ...(this.#signal ? { signal: this.#signal } : {}),
      }).catch((error: unknown) => {
        if (isBackupError(error, 'aborted')) throw error;
        return null; // missing or damaged: each blob alone says which chunk and how
      });
      this.#reads.set(spanIndex, read);
    }
    return read;
  }
}
