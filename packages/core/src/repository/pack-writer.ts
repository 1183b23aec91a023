import { createHash } from 'node:crypto';
import { toBackupError } from '../errors.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { releaseNow } from '../util/release-memory.js';
import { Semaphore } from '../util/semaphore.js';
import type { DataKey } from './data-key.js';
import type { IndexedPack } from './index-format.js';
import { packKey } from './layout.js';
import { encodePackTail, type PackBlob } from './pack-format.js';

export interface PackWriterOptions {
  driver: StorageDriver;
  /** Seals the pack headers (null: in the clear, like the blobs of an unencrypted run). */
  key: DataKey | null;
  /** A pack is sealed once its blobs reach this many bytes. */
  targetBytes: number;
  /**
   * Packs uploading at once, each holding its buffer (default 1: the next pack fills while one
   * uploads; each more costs a pack's memory, and a backup's budget is a few hundred MiB).
   */
  uploads?: number;
  signal?: AbortSignal;
}

/** A pack this writer stored: its name, blobs and size in bytes. */
export interface WrittenPack extends IndexedPack {
  bytes: number;
}

/**
 * Where a blob belongs in its pack: blobs of one group (an entry) are stored together, in `seq`
 * order, however their encoding finished; a restore then reads an entry's chunks in few ranges.
 */
/** Header bytes a pack's buffer leaves room for: 40 per blob, so ~1,600 blobs; more are rare. */
const HEADER_ROOM = 64 * 1024;

export interface BlobOrder {
  group: number;
  seq: number;
}

interface OpenPack {
  buffer: Buffer;
  used: number;
  blobs: PackBlob[];
  orders: BlobOrder[];
}

/**
 * Appends stored chunks (blobs) to pack files and uploads each once it reaches the target size.
 * Blobs are copied in, so the caller's buffer is free as soon as `add` resolves. Memory: the
 * open pack and the uploading ones (the copy that puts each entry's blobs together when a pack
 * is sealed reuses the last upload's buffer), each about `targetBytes`; buffers are reused.
 * A pack's name is the SHA-256 of its bytes. Packs are not in any index until the caller
 * writes one for {@link finish}'s list: until then they are orphans a crash leaves behind.
 */
export class PackWriter {
  readonly #options: PackWriterOptions;
  readonly #capacity: number;
  readonly #uploadSlots: Semaphore;
  readonly #uploading = new Set<Promise<void>>();
  readonly #spare: Buffer[] = [];
  readonly #written: WrittenPack[] = [];
  #open: OpenPack | null = null;
  /** Adds run one at a time: one may wait for an upload slot while the pack is full. */
  #turn: Promise<unknown> = Promise.resolve();
  #failure: unknown = undefined;
  /** Blob bytes handed to storage so far (for progress). */
  storedBytes = 0;

  constructor(options: PackWriterOptions) {
    this.#options = options;
    // Blobs stop short of the target (a blob that would pass it starts the next pack): a pack's
    // buffer holds the target plus room for its header.
    this.#capacity = options.targetBytes + HEADER_ROOM;
    this.#uploadSlots = new Semaphore(Math.max(1, options.uploads ?? 1));
  }

  /** Appends a blob; resolves once it is copied in (its pack may still be uploading). */
  add(id: string, stored: Uint8Array, size: number, order?: BlobOrder): Promise<void> {
    const turn = this.#turn.then(() => this.#add(id, stored, size, order));
    this.#turn = turn.catch(() => {});
    return turn;
  }

  async #add(id: string, stored: Uint8Array, size: number, order: BlobOrder | undefined): Promise<void> {
    this.#throwIfFailed();
    if (this.#open && this.#open.used + stored.length > this.#options.targetBytes) await this.#seal();
    this.#open ??= { buffer: this.#takeBuffer(stored.length), used: 0, blobs: [], orders: [] };
    const open = this.#open;
    open.buffer.set(stored, open.used);
    open.orders.push(order ?? { group: 0, seq: open.blobs.length });
    open.blobs.push({ id, offset: open.used, length: stored.length, size });
    open.used += stored.length;
    if (open.used >= this.#options.targetBytes) await this.#seal();
  }

  /** The open pack with its blobs in (group, seq) order: copied into another buffer if they are not. */
  #ordered(open: OpenPack): OpenPack {
    const order = open.blobs.map((_, i) => i);
    order.sort(
      (a, b) => open.orders[a]!.group - open.orders[b]!.group || open.orders[a]!.seq - open.orders[b]!.seq,
    );
    if (order.every((from, to) => from === to)) return open;
    const buffer = this.#takeBuffer(open.used);
    const blobs: PackBlob[] = [];
    let offset = 0;
    for (const i of order) {
      const blob = open.blobs[i]!;
      open.buffer.copy(buffer, offset, blob.offset, blob.offset + blob.length);
      blobs.push({ ...blob, offset });
      offset += blob.length;
    }
    if (open.buffer.length === this.#capacity) this.#spare.push(open.buffer);
    return { buffer, used: open.used, blobs, orders: order.map((i) => open.orders[i]!) };
  }

  /** Seals and uploads what is open, waits for every upload, and returns the packs written. */
  async finish(): Promise<WrittenPack[]> {
    await this.#turn;
    this.#throwIfFailed();
    if (this.#open) await this.#seal();
    await this.settle();
    this.#throwIfFailed();
    return [...this.#written];
  }

  /** Waits for uploads in flight without throwing (cleanup after a failure), then frees the buffers. */
  async settle(): Promise<void> {
    while (this.#uploading.size > 0) await Promise.allSettled([...this.#uploading]);
    // Freed now: a long-lived process would otherwise keep each run's pack buffers until its
    // collector gets to them (they live outside the JavaScript heap).
    for (const buffer of this.#spare.splice(0)) releaseNow(buffer);
  }

  #takeBuffer(firstBlob: number): Buffer {
    if (firstBlob > this.#capacity) return Buffer.allocUnsafeSlow(firstBlob);
    return this.#spare.pop() ?? Buffer.allocUnsafeSlow(this.#capacity);
  }

  async #seal(): Promise<void> {
    const full = this.#open!;
    this.#open = null;
    // The upload slot first: the last upload's buffer is then free for the ordered copy, so a
    // writer holds two buffers (one filling, one uploading), not three.
    await this.#uploadSlots.acquire(this.#options.signal);
    let open: OpenPack;
    try {
      open = this.#ordered(full);
    } catch (error) {
      this.#uploadSlots.release();
      throw error;
    }
    const tail = await encodePackTail(open.blobs, this.#options.key);
    let body: Buffer;
    if (open.used + tail.length <= open.buffer.length) {
      tail.copy(open.buffer, open.used);
      body = open.buffer.subarray(0, open.used + tail.length);
    } else {
      body = Buffer.concat([open.buffer.subarray(0, open.used), tail]); // a header of very many tiny blobs
    }
    const name = createHash('sha256').update(body).digest('hex');
    const upload = this.#options.driver
      .put(packKey(name), body, { signal: this.#options.signal, contentLength: body.length })
      .then(
        () => {
          this.#written.push({
            name,
            key: this.#options.key?.id ?? null,
            blobs: open.blobs,
            bytes: body.length,
          });
          this.storedBytes += body.length;
          if (open.buffer.length === this.#capacity) this.#spare.push(open.buffer);
          else releaseNow(open.buffer); // a pack of its own for one big blob: not reused
        },
        (error: unknown) => {
          this.#failure ??= toBackupError(error, 'storage_error');
        },
      )
      .finally(() => {
        this.#uploadSlots.release();
        this.#uploading.delete(upload);
      });
    this.#uploading.add(upload);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
