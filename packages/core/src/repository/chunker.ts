import { BackupError } from '../errors.js';
import { giveBack } from '../util/lent-buffers.js';
import type { ChunkBufferPool } from './chunk-buffer-pool.js';
import { GEAR, gearScan, lastGearScanHash } from './gear-scan.js';
import { WasmGearScanner } from './gear-scan-wasm.js';

/** Content-defined chunking parameters; recorded in `repo.json` so every run cuts the same way. */
export interface ChunkerParams {
  algorithm: 'fastcdc-gear-v1';
  minSize: number;
  avgSize: number;
  maxSize: number;
}

export const DEFAULT_CHUNKER_PARAMS: Readonly<ChunkerParams> = Object.freeze({
  algorithm: 'fastcdc-gear-v1',
  minSize: 256 * 1024,
  avgSize: 1024 * 1024,
  maxSize: 4 * 1024 * 1024,
});

/** A mask of the `bits` most significant bits: with `h = (h << 1) + gear[b]` they carry the longest window. */
function highMask(bits: number): number {
  return bits >= 32 ? -1 : ~((1 << (32 - bits)) - 1) | 0;
}

/** @throws BackupError `invalid_backup_config` when the sizes are not ordered powers of two within sane bounds. */
export function validateChunkerParams(params: ChunkerParams): ChunkerParams {
  const { minSize, avgSize, maxSize } = params;
  const pow2 = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (
    params.algorithm !== 'fastcdc-gear-v1' ||
    !pow2(avgSize) ||
    !Number.isInteger(minSize) ||
    !Number.isInteger(maxSize) ||
    minSize < 64 ||
    !(minSize < avgSize && avgSize < maxSize) ||
    maxSize > 64 * 1024 * 1024 ||
    avgSize < 256
  ) {
    throw new BackupError('invalid_backup_config', 'Invalid chunker parameters', { details: { ...params } });
  }
  return params;
}

/**
 * Splits a byte stream into content-defined chunks (FastCDC with normalized chunking, level 2):
 * no cut before `minSize` (those bytes are not even hashed), a harder mask until `avgSize`,
 * an easier one after, and a forced cut at `maxSize`. The same bytes always give the same
 * boundaries, and an edit only moves the boundaries near it.
 *
 * Streaming: holds one `maxSize` buffer plus the piece being copied in. Each yielded buffer
 * is the caller's alone (nothing else shares its memory); with a `pool`, it is the front of a
 * pooled buffer (see {@link ChunkCutter}).
 */
export async function* chunkStream(
  source: AsyncIterable<Uint8Array | string>,
  params: ChunkerParams = DEFAULT_CHUNKER_PARAMS,
  pool?: ChunkBufferPool,
  gear: Int32Array = GEAR,
): AsyncGenerator<Buffer> {
  const cutter = new ChunkCutter(params, pool, gear);
  for await (const piece of source) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    const chunks = cutter.push(bytes);
    // Copied: a piece lent by its source (e.g. a COPY stream's gather buffer) can be reused.
    giveBack(bytes);
    for (const chunk of chunks) yield chunk;
  }
  for (const chunk of cutter.finishAll()) yield chunk;
}

/** Unscanned bytes gathered before a scan: amortises per-call costs over tiny stream pieces (a row each). */
const SCAN_BATCH = 64 * 1024;

/**
 * The synchronous core of {@link chunkStream}: feed pieces, collect chunks. Pieces are copied
 * into one buffer of `maxSize` (so tiny pieces cost a copy, not a list entry each), scanned in
 * place, and each chunk is copied out into a buffer of its own: the caller may transfer or
 * keep it without pinning anything else.
 *
 * With a {@link ChunkBufferPool} (whose slots hold at least `maxSize + 4` bytes), a chunk is
 * instead the front of the slot it was gathered in (release the slot when done with it): the
 * bytes after the cut move to a fresh slot, so nothing is copied out.
 *
 * The boundary scan runs in WebAssembly over the gathering buffer in place when that buffer
 * lies in a WebAssembly memory (the pool's, or without a pool the cutter's own), else in
 * JavaScript (e.g. a pool's fallback buffer); both cut at the same offsets.
 */
export class ChunkCutter {
  readonly #min: number;
  readonly #avg: number;
  readonly #max: number;
  readonly #maskS: number;
  readonly #maskL: number;
  readonly #pool: ChunkBufferPool | undefined;
  readonly #gear: Int32Array;
  /** The WebAssembly scan, used while `#acc` lies in its memory (else {@link gearScan}). */
  readonly #scanner: WasmGearScanner | null;
  #acc: Buffer;
  /** The same memory as 32-bit words, for the JavaScript scan (`#acc` always starts at offset 0). */
  #words: Uint32Array;
  /** Bytes of the current chunk in `#acc`. */
  #len = 0;
  /** How far the current chunk has been scanned; `#hash` is the gear hash up to there. */
  #scanned = 0;
  #hash = 0;
  /** The hash where the last {@link #gearScan} stopped. */
  #scanHash = 0;

  /**
   * `gear` is the table the rolling hash uses: the public one, or a data key's (`DataKey.chunkerGear`).
   * @throws BackupError `invalid_backup_config` for bad parameters or pool buffers too small for them.
   */
  constructor(
    params: ChunkerParams = DEFAULT_CHUNKER_PARAMS,
    pool?: ChunkBufferPool,
    gear: Int32Array = GEAR,
  ) {
    validateChunkerParams(params);
    if (gear.length !== GEAR.length) {
      throw new BackupError('internal_error', `A gear table has ${GEAR.length} entries`, {
        details: { entries: gear.length },
      });
    }
    this.#gear = gear;
    this.#min = params.minSize;
    this.#avg = params.avgSize;
    this.#max = params.maxSize;
    const bits = Math.round(Math.log2(params.avgSize));
    this.#maskS = highMask(bits + 2);
    this.#maskL = highMask(bits - 2);
    if (pool && pool.slotBytes < params.maxSize + 4) {
      throw new BackupError(
        'invalid_backup_config',
        'Chunk buffer pool too small for the chunker parameters',
        {
          details: { slotBytes: pool.slotBytes, maxSize: params.maxSize },
        },
      );
    }
    this.#pool = pool;
    this.#scanner = pool ? pool.scanner : WasmGearScanner.create(params.maxSize + 4);
    this.#scanner?.useGear(gear);
    this.#acc = pool
      ? pool.take()
      : this.#scanner
        ? Buffer.from(this.#scanner.memory, 0, params.maxSize + 4)
        : Buffer.alloc(params.maxSize + 4);
    this.#words = wordsOf(this.#acc);
  }

  /** Feeds the next piece; returns the chunks completed by it (possibly none). */
  push(piece: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(piece.length - offset, this.#max - this.#len);
      this.#acc.set(n === piece.length ? piece : piece.subarray(offset, offset + n), this.#len);
      this.#len += n;
      offset += n;
      if (this.#len - this.#scanned >= SCAN_BATCH || this.#len === this.#max) this.#cutAll(out);
    }
    return out;
  }

  /** The chunks still held when the stream ends (the last one short). */
  finishAll(): Buffer[] {
    const out: Buffer[] = [];
    this.#cutAll(out);
    if (this.#len > 0) out.push(this.#emit(this.#len, true));
    else this.#pool?.release(this.#pool.slotOf(this.#acc));
    return out;
  }

  /**
   * Like {@link push}, but hands each chunk it completes to `visit` as a view of the cutter's own
   * buffer, valid during that call only: nothing is copied out, for callers that only read the
   * bytes (to id them, say). Not for a cutter with a pool.
   */
  visit(piece: Uint8Array, visit: (chunk: Buffer) => void): void {
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(piece.length - offset, this.#max - this.#len);
      this.#acc.set(n === piece.length ? piece : piece.subarray(offset, offset + n), this.#len);
      this.#len += n;
      offset += n;
      if (this.#len - this.#scanned >= SCAN_BATCH || this.#len === this.#max) this.#visitAll(visit);
    }
  }

  /** {@link finishAll} for {@link visit}. */
  visitRest(visit: (chunk: Buffer) => void): void {
    this.#visitAll(visit);
    if (this.#len > 0) visit(this.#acc.subarray(0, this.#len));
    this.#len = 0;
  }

  #visitAll(visit: (chunk: Buffer) => void): void {
    if (this.#pool)
      throw new BackupError('internal_error', 'ChunkCutter.visit is for cutters without a pool');
    for (let cut = this.#scan(); cut > 0; cut = this.#scan()) {
      visit(this.#acc.subarray(0, cut));
      if (cut < this.#len) this.#acc.copyWithin(0, cut, this.#len);
      this.#len -= cut;
      this.#scanned = 0;
      this.#hash = 0;
    }
  }

  #cutAll(out: Buffer[]): void {
    for (let cut = this.#scan(); cut > 0; cut = this.#scan()) out.push(this.#emit(cut));
  }

  /** Copies the first `cut` bytes out as a chunk and moves the rest to the front. */
  #emit(cut: number, last = false): Buffer {
    if (this.#pool) {
      // The gathering buffer becomes the chunk; what follows the cut starts the next one.
      const chunk = this.#acc.subarray(0, cut);
      const rest = this.#len - cut;
      if (!last || rest > 0) {
        const next = this.#pool.take();
        if (rest > 0) this.#acc.copy(next, 0, cut, this.#len);
        this.#acc = next;
        this.#words = wordsOf(next);
      }
      this.#len = rest;
      this.#scanned = 0;
      this.#hash = 0;
      return chunk;
    }
    const chunk = Buffer.allocUnsafe(cut);
    this.#acc.copy(chunk, 0, 0, cut);
    if (cut < this.#len) this.#acc.copyWithin(0, cut, this.#len);
    this.#len -= cut;
    this.#scanned = 0;
    this.#hash = 0;
    return chunk;
  }

  /** Scans what is unscanned; returns the cut point (chunk length) or -1. */
  #scan(): number {
    const acc = this.#acc;
    const end = this.#len;
    let i = this.#scanned;
    let h = this.#hash;
    // Below the minimum no cut is allowed: skip without hashing (the hash window is 32 bytes,
    // so starting it at minSize - 32 gives the same value as hashing everything).
    if (i < this.#min - 32) i = Math.min(this.#min - 32, end);
    // Warm-up bytes: hashed so the window is full at minSize, but no cut yet.
    const warmEnd = Math.min(end, this.#min);
    const gear = this.#gear;
    for (; i < warmEnd; i++) h = ((h << 1) + gear[acc[i]!]!) | 0;
    // Normal region: the harder mask.
    if (i < end && i < this.#avg) {
      const stop = Math.min(end, this.#avg);
      const cut = this.#gearScan(i, stop, h, this.#maskS);
      h = this.#scanHash;
      if (cut >= 0) return cut;
      i = stop;
    }
    // Large region: the easier mask, then the forced cut at maxSize.
    if (i < end && i >= this.#avg) {
      const stop = Math.min(end, this.#max);
      const cut = this.#gearScan(i, stop, h, this.#maskL);
      h = this.#scanHash;
      if (cut >= 0) return cut;
      i = stop;
    }
    if (i >= this.#max) return this.#max;
    this.#scanned = i;
    this.#hash = h;
    return -1;
  }

  /**
   * Rolls the hash over `#acc[i, end)`: the index just past the first position where
   * `(hash & mask) === 0`, or -1; the hash there is left in `#scanHash`. In place in WebAssembly
   * when `#acc` is in the scanner's memory (a pool slot, not a fallback buffer).
   */
  #gearScan(i: number, end: number, h: number, mask: number): number {
    const scanner = this.#scanner;
    const acc = this.#acc;
    if (scanner !== null && acc.buffer === scanner.memory) {
      const base = acc.byteOffset;
      const cut = scanner.scan(base + i, base + end, h, mask);
      this.#scanHash = scanner.hash;
      return cut < 0 ? -1 : cut - base;
    }
    const cut = gearScan(acc, this.#words, i, end, h, mask, this.#gear);
    this.#scanHash = lastGearScanHash();
    return cut;
  }
}

function wordsOf(buffer: Buffer): Uint32Array {
  return new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 2);
}
