import type { StorageDriver } from '../storage/storage-driver.js';
import type { BlobLocation } from './chunk-index.js';
import { readBlob, readRange } from './pack-format.js';

interface BlobRequest {
  location: BlobLocation;
  signal: AbortSignal | undefined;
  resolve: (bytes: Buffer) => void;
  reject: (error: unknown) => void;
}

/** A coalesced request stays below this many bytes. */
const DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/**
 * Reads blobs by range, coalescing neighbours: requests made in the same turn of the event loop
 * (a restore's prefetch window) that lie back to back in one pack become one range request.
 * Each blob comes back in memory of its own (transferable to a worker).
 */
export class BlobFetcher {
  readonly #driver: StorageDriver;
  readonly #maxRequestBytes: number;
  #queue: BlobRequest[] = [];
  #scheduled = false;

  constructor(driver: StorageDriver, maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES) {
    this.#driver = driver;
    this.#maxRequestBytes = maxRequestBytes;
  }

  fetch(location: BlobLocation, signal?: AbortSignal): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ location, signal, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#dispatch());
      }
    });
  }

  #dispatch(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (let first = 0; first < queue.length; ) {
      const start = queue[first]!.location;
      let end = start.offset + start.length;
      let next = first + 1;
      while (next < queue.length) {
        const candidate = queue[next]!.location;
        if (candidate.pack !== start.pack || candidate.offset !== end) break;
        if (end + candidate.length - start.offset > this.#maxRequestBytes) break;
        end += candidate.length;
        next++;
      }
      void this.#read(queue.slice(first, next), end - start.offset);
      first = next;
    }
  }

  async #read(group: BlobRequest[], bytes: number): Promise<void> {
    const first = group[0]!;
    try {
      if (group.length === 1) {
        first.resolve(await readBlob(this.#driver, first.location, { signal: first.signal, own: true }));
        return;
      }
      const range = await readRange(this.#driver, first.location.pack, first.location.offset, bytes, {
        signal: first.signal,
      });
      for (const request of group) {
        const at = request.location.offset - first.location.offset;
        const own = Buffer.allocUnsafeSlow(request.location.length);
        range.copy(own, 0, at, at + request.location.length);
        request.resolve(own);
      }
    } catch (error) {
      for (const request of group) request.reject(error);
    }
  }
}
