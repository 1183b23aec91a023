import { BackupError } from '../errors.js';

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

/**
 * The gear table: 256 pseudo-random 32-bit words from a fixed seed (splitmix32), so that
 * boundaries never change between versions or machines. Int32 keeps the hot loop in
 * small-integer arithmetic.
 */
const GEAR: Int32Array = (() => {
  const table = new Int32Array(256);
  let state = 0x9e3779b9 | 0;
  for (let i = 0; i < 256; i++) {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[i] = z ^ (z >>> 16);
  }
  return table;
})();

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
 * Streaming: holds at most one chunk of input (≤ `maxSize`) plus the piece being scanned.
 * Yielded buffers are owned by the caller (never reused).
 */
export async function* chunkStream(
  source: AsyncIterable<Uint8Array | string>,
  params: ChunkerParams = DEFAULT_CHUNKER_PARAMS,
): AsyncGenerator<Buffer> {
  const cutter = new ChunkCutter(params);
  for await (const piece of source) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    yield* cutter.push(bytes);
  }
  const last = cutter.finish();
  if (last) yield last;
}

/** The synchronous core of {@link chunkStream}: feed pieces, collect chunks. */
export class ChunkCutter {
  readonly #min: number;
  readonly #avg: number;
  readonly #max: number;
  readonly #maskS: number;
  readonly #maskL: number;
  /** Pieces (or parts of pieces) of the current chunk, not yet cut. */
  #pending: Uint8Array[] = [];
  #len = 0;
  #hash = 0;

  constructor(params: ChunkerParams = DEFAULT_CHUNKER_PARAMS) {
    validateChunkerParams(params);
    this.#min = params.minSize;
    this.#avg = params.avgSize;
    this.#max = params.maxSize;
    const bits = Math.round(Math.log2(params.avgSize));
    this.#maskS = highMask(bits + 2);
    this.#maskL = highMask(bits - 2);
  }

  /** Feeds the next piece; returns the chunks completed by it (possibly none). */
  push(piece: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    const end = piece.length;
    while (start < end) {
      const cut = this.#scan(piece, start, end);
      if (cut < 0) {
        this.#pending.push(start === 0 ? piece : piece.subarray(start));
        return out;
      }
      this.#pending.push(piece.subarray(start, cut));
      out.push(this.#take());
      start = cut;
    }
    return out;
  }

  /** The final (short) chunk, or null when nothing is pending. */
  finish(): Buffer | null {
    return this.#len > 0 || this.#pending.length > 0 ? this.#take() : null;
  }

  #take(): Buffer {
    const parts = this.#pending;
    const chunk =
      parts.length === 1
        ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, parts[0]!.byteLength)
        : Buffer.concat(parts);
    this.#pending = [];
    this.#len = 0;
    this.#hash = 0;
    return chunk;
  }

  /**
   * Scans `buf[start, end)` continuing the current chunk. Returns the index just past the
   * cut point, or -1 when the piece ends without a cut (state carried over).
   */
  #scan(buf: Uint8Array, start: number, end: number): number {
    let len = this.#len;
    let i = start;
    let h = this.#hash;

    // Below the minimum no cut is allowed: skip without hashing (the hash window is 32 bytes,
    // so starting it at minSize - 32 gives the same value as hashing everything).
    const warm = this.#min - 32;
    if (len < warm) {
      const skip = Math.min(warm - len, end - i);
      i += skip;
      len += skip;
    }
    // Warm-up bytes: hashed so the window is full at minSize, but no cut yet.
    if (len < this.#min && i < end) {
      const stop = Math.min(end, i + (this.#min - len));
      for (; i < stop; i++) h = ((h << 1) + GEAR[buf[i]!]!) | 0;
    }
    len = this.#len + (i - start);
    // Normal region: the harder mask.
    if (len < this.#avg && i < end) {
      const stop = Math.min(end, i + (this.#avg - len));
      const cut = gearScan(buf, i, stop, h, this.#maskS);
      h = scanHash;
      if (cut >= 0) return this.#cut(cut, start, h);
      len += stop - i;
      i = stop;
    }
    // Large region: the easier mask, then the forced cut at maxSize.
    if (len >= this.#avg && i < end) {
      const stop = Math.min(end, i + (this.#max - len));
      const cut = gearScan(buf, i, stop, h, this.#maskL);
      h = scanHash;
      if (cut >= 0) return this.#cut(cut, start, h);
      len += stop - i;
      i = stop;
      if (len >= this.#max) return this.#cut(i, start, h);
    }
    this.#len = len;
    this.#hash = h;
    return -1;
  }

  #cut(at: number, start: number, h: number): number {
    this.#len += at - start;
    this.#hash = h;
    return at;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Second return value of {@link gearScan} (a module variable avoids allocating a result per call). */
let scanHash = 0;

/**
 * The hot loop: rolls the gear hash over `buf[i, end)` and returns the index just past the
 * first position where `(hash & mask) === 0`, or -1; the hash is left in `scanHash`.
 * Reads aligned 32-bit words where it can (one bounds-checked load per 4 bytes); byte order
 * is fixed to little-endian so boundaries are the same on every machine.
 */
function gearScan(buf: Uint8Array, i: number, end: number, h: number, mask: number): number {
  const g = GEAR;
  const base = buf.byteOffset;
  while (i < end && ((base + i) & 3) !== 0) {
    h = ((h << 1) + g[buf[i]!]!) | 0;
    i++;
    if ((h & mask) === 0) {
      scanHash = h;
      return i;
    }
  }
  const words = LITTLE_ENDIAN ? (end - i) >> 2 : 0;
  if (words > 0) {
    const u32 = new Uint32Array(buf.buffer, base + i, words);
    for (let j = 0; j < words; j++) {
      const w = u32[j]!;
      h = ((h << 1) + g[w & 255]!) | 0;
      if ((h & mask) === 0) {
        scanHash = h;
        return i + j * 4 + 1;
      }
      h = ((h << 1) + g[(w >>> 8) & 255]!) | 0;
      if ((h & mask) === 0) {
        scanHash = h;
        return i + j * 4 + 2;
      }
      h = ((h << 1) + g[(w >>> 16) & 255]!) | 0;
      if ((h & mask) === 0) {
        scanHash = h;
        return i + j * 4 + 3;
      }
      h = ((h << 1) + g[w >>> 24]!) | 0;
      if ((h & mask) === 0) {
        scanHash = h;
        return i + j * 4 + 4;
      }
    }
    i += words * 4;
  }
  while (i < end) {
    h = ((h << 1) + g[buf[i]!]!) | 0;
    i++;
    if ((h & mask) === 0) {
      scanHash = h;
      return i;
    }
  }
  scanHash = h;
  return -1;
}
