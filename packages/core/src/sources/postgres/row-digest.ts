import { Transform, type TransformCallback } from 'node:stream';
import type { CopyFormat } from './schema-types.js';

const NEWLINE = 0x0a;
/** `PGCOPY\n\377\r\n\0`, flags (4 bytes), header extension length (4 bytes). */
const BINARY_HEADER_BYTES = 19;

/**
 * An order-independent digest of the rows of COPY data: each row's bytes hashed on their own
 * (two 32-bit hashes), the hashes summed, and the rows counted. Two streams holding the same
 * rows in any order — a table read in page ranges, and the same table re-read whole after its
 * ranges were loaded in parallel (which interleaves them in the heap) — give the same digest.
 *
 * Text rows end at a raw newline (COPY escapes those inside values). Binary data is parsed into
 * tuples (field count, then each field's length and bytes); its header and trailer are not
 * rows, so parts with a header each digest like one stream. Not a cryptographic hash: it
 * compares data already authenticated chunk by chunk with what the server gives back.
 */
export class RowDigest extends Transform {
  /** Where the rows are added: shared by the streams of one table's parts. */
  readonly total: RowDigestTotal;
  readonly #binary: boolean;
  #a = 0x811c9dc5;
  #b = 0x9747b28c;
  /** Binary: header bytes still to skip (−1 once the extension length must be read). */
  #headerLeft = BINARY_HEADER_BYTES;
  /** Binary: bytes of a length word gathered so far, and how long it is (2 or 4). */
  #word = 0;
  #wordBytes = 0;
  #wordSize = 2;
  /** Binary: fields left in this tuple, and data bytes left in this field. */
  #fieldsLeft = 0;
  #dataLeft = 0;
  #ended = false;

  constructor(format: CopyFormat, total = new RowDigestTotal()) {
    super();
    this.#binary = format === 'binary';
    this.total = total;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#binary) this.#binaryBytes(chunk);
    else this.#textBytes(chunk);
    callback(null, chunk);
  }

  #textBytes(chunk: Buffer): void {
    let a = this.#a;
    let b = this.#b;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === NEWLINE) {
        this.#a = a;
        this.#b = b;
        this.#endRow();
        a = this.#a;
        b = this.#b;
        continue;
      }
      a = Math.imul(a ^ byte, 0x01000193);
      b = Math.imul(b ^ byte, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.#a = a;
    this.#b = b;
  }

  #binaryBytes(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.#ended) {
      if (this.#headerLeft > 0) {
        const skip = Math.min(this.#headerLeft, chunk.length - i);
        // The extension length is the header's last 4 bytes: gathered as a word, then skipped.
        if (this.#headerLeft <= 4) {
          this.#word = (this.#word << 8) | chunk[i]!;
          this.#headerLeft--;
          i++;
          if (this.#headerLeft === 0) {
            this.#headerLeft = this.#word >>> 0 > 0 ? -(this.#word >>> 0) : 0;
            this.#word = 0;
          }
          continue;
        }
        const before = Math.min(skip, this.#headerLeft - 4);
        this.#headerLeft -= before;
        i += before;
        continue;
      }
      if (this.#headerLeft < 0) {
        // Header extension bytes (none in current servers): skipped.
        const skip = Math.min(-this.#headerLeft, chunk.length - i);
        this.#headerLeft += skip;
        i += skip;
        continue;
      }
      if (this.#dataLeft > 0) {
        const end = Math.min(chunk.length, i + this.#dataLeft);
        this.#hash(chunk, i, end);
        this.#dataLeft -= end - i;
        i = end;
        if (this.#dataLeft === 0) this.#fieldDone();
        continue;
      }
      // A length word: the tuple's field count (2 bytes) or a field's length (4 bytes).
      const byte = chunk[i]!;
      this.#hash(chunk, i, i + 1);
      this.#word = (this.#word << 8) | byte;
      this.#wordBytes++;
      i++;
      if (this.#wordBytes < this.#wordSize) continue;
      const word = this.#wordSize === 2 ? (this.#word << 16) >> 16 : this.#word | 0;
      this.#word = 0;
      this.#wordBytes = 0;
      if (this.#wordSize === 2) {
        if (word === -1) {
          this.#ended = true; // the trailer: not a row
          break;
        }
        this.#fieldsLeft = word;
        this.#wordSize = 4;
        if (word === 0) this.#fieldDone();
      } else if (word > 0) {
        this.#dataLeft = word;
      } else {
        this.#fieldDone(); // NULL (−1) or empty
      }
    }
  }

  /** A field ended (or a tuple without fields began): the tuple ends after its last field. */
  #fieldDone(): void {
    if (this.#fieldsLeft > 0) this.#fieldsLeft--;
    if (this.#fieldsLeft > 0) return;
    this.#wordSize = 2;
    this.#endRow();
  }

  #hash(chunk: Buffer, from: number, to: number): void {
    let a = this.#a;
    let b = this.#b;
    for (let i = from; i < to; i++) {
      const byte = chunk[i]!;
      a = Math.imul(a ^ byte, 0x01000193);
      b = Math.imul(b ^ byte, 0x5bd1e995);
      b ^= b >>> 15;
    }
    this.#a = a;
    this.#b = b;
  }

  #endRow(): void {
    this.total.add(finalMix(this.#a), finalMix(this.#b ^ 0x5f3759df));
    this.#a = 0x811c9dc5;
    this.#b = 0x9747b28c;
  }
}

/** The rows' hashes summed (mod 2^32 each) and counted, over one or more streams. */
export class RowDigestTotal {
  rows = 0;
  #sumA = 0;
  #sumB = 0;

  add(a: number, b: number): void {
    this.#sumA = (this.#sumA + a) >>> 0;
    this.#sumB = (this.#sumB + b) >>> 0;
    this.rows++;
  }

  /** `rows:sumA:sumB` (hex sums): equal for equal multisets of rows. */
  toString(): string {
    return `${this.rows}:${this.#sumA.toString(16)}:${this.#sumB.toString(16)}`;
  }
}

/** murmur3's fmix32: spreads each row hash over all bits before the sum. */
function finalMix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
