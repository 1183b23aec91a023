import { readFileSync } from 'node:fs';
import { ChunkBufferPool, ChunkCutter, type ChunkerParams, DEFAULT_CHUNKER_PARAMS } from '@backupkit/core';
import { describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { GEAR, gearScan, lastGearScanHash } from '../../src/repository/gear-scan.js';
import { WasmGearScanner } from '../../src/repository/gear-scan-wasm.js';
import { GEAR_SCAN_WASM } from '../../src/repository/gear-scan-wasm-bytes.generated.js';
import { pieces, seededBytes, seededCopyText } from './chunker-inputs.js';

// The boundary scan runs in WebAssembly where it can, in JavaScript otherwise (the reference):
// both must cut every input at exactly the same offsets, since stored chunks depend on them.

const params = (minSize: number, avgSize: number, maxSize: number): ChunkerParams => ({
  algorithm: 'fastcdc-gear-v1',
  minSize,
  avgSize,
  maxSize,
});
const SMALL = params(1024, 4096, 16384);
const TINY = params(64, 256, 1024);
/** Sizes that are not powers of two (allowed for min and max). */
const ODD = params(333, 1024, 5001);

/** FastCDC as specified, one byte at a time, each chunk hashed from its start: the oracle. */
function specLengths(data: Uint8Array, p: ChunkerParams): number[] {
  const bits = Math.round(Math.log2(p.avgSize));
  const mask = (b: number) => ~((1 << (32 - b)) - 1) | 0;
  const [maskS, maskL] = [mask(bits + 2), mask(bits - 2)];
  const out: number[] = [];
  for (let start = 0; start < data.length; ) {
    const limit = Math.min(p.maxSize, data.length - start);
    let length = limit;
    let h = 0;
    for (let i = 0; i < limit; i++) {
      h = ((h << 1) + GEAR[data[start + i]!]!) | 0;
      if (i >= p.minSize && (h & (i < p.avgSize ? maskS : maskL)) === 0) {
        length = i + 1;
        break;
      }
    }
    out.push(length);
    start += length;
  }
  return out;
}

/** Chunk lengths from a cutter fed `parts` (each pooled chunk released once counted). */
function cutLengths(parts: Buffer[], p: ChunkerParams, pool?: ChunkBufferPool): number[] {
  const cutter = new ChunkCutter(p, pool);
  const lengths: number[] = [];
  const take = (chunks: Buffer[]) => {
    for (const c of chunks) {
      lengths.push(c.length);
      pool?.release(pool.slotOf(c));
    }
  };
  for (const part of parts) take(cutter.push(part));
  take(cutter.finishAll());
  return lengths;
}

/** Pools for one piece size: enough slots that every chunk of a push is a slot (no fallback buffers). */
function pools(p: ChunkerParams, largestPiece: number) {
  const slots = Math.ceil(largestPiece / p.minSize) + 2;
  const wasm = new ChunkBufferPool(p.maxSize + 64, slots);
  expect(wasm.scanner).not.toBeNull();
  return { wasm, js: new ChunkBufferPool(p.maxSize + 64, slots, { webAssembly: false }) };
}

/** Every way of cutting `data` agrees with the oracle: WebAssembly and JavaScript scans, pooled or not. */
function expectSameCuts(
  data: Buffer,
  p: ChunkerParams,
  sizes: number[],
  expected = specLengths(data, p),
): number[] {
  const parts = pieces(data, sizes);
  const { wasm, js } = pools(p, Math.max(...sizes));
  expect(cutLengths(parts, p, js)).toEqual(expected);
  expect(cutLengths(parts, p, wasm)).toEqual(expected);
  expect(cutLengths(parts, p)).toEqual(expected);
  return expected;
}

/** Random bytes, COPY text and long zero runs (forced cuts at maxSize), one after another. */
function mixed(bytes: number, seed: number): Buffer {
  const third = Math.floor(bytes / 3);
  return Buffer.concat([
    seededBytes(third, seed),
    Buffer.alloc(third >>> 2),
    seededCopyText(third, seed),
    Buffer.alloc(third >>> 3, 0x41),
    seededBytes(third, seed + 1),
  ]);
}

const ends = (lengths: number[]) => {
  let offset = 0;
  return lengths.map((n) => (offset += n));
};

describe('chunker boundary scan (WebAssembly and JavaScript)', () => {
  it('runs the WebAssembly assembled from the current gear-scan.wat', async () => {
    // The bytes are generated on install and before each build: after an edit of the text,
    // this fails until they are generated again (pnpm install, or pnpm build).
    const wabt = await wabtInit();
    const text = readFileSync(new URL('../../src/repository/gear-scan.wat', import.meta.url), 'utf8');
    const module = wabt.parseWat('gear-scan.wat', text, { threads: true });
    try {
      module.resolveNames();
      expect(Buffer.from(module.toBinary({}).buffer).equals(Buffer.from(GEAR_SCAN_WASM))).toBe(true);
    } finally {
      module.destroy();
    }
    // Were the module not to load, chunking would fall back to the (eight times slower)
    // JavaScript scan without a word.
    const scanner = WasmGearScanner.create(1 << 16);
    expect(scanner).not.toBeNull();
    const bytes = new Uint8Array(scanner!.memory, 0, 1 << 16);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    const words = new Uint32Array(scanner!.memory, 0, bytes.length / 4);
    const cut = scanner!.scan(0, bytes.length, 0, 0xfff);
    expect(cut).toBeGreaterThan(0);
    expect(cut).toBe(gearScan(bytes, words, 0, bytes.length, 0, 0xfff));
  });

  it('scans like the JavaScript reference for any range, hash and mask', () => {
    const bytes = 1 << 20;
    const scanner = WasmGearScanner.create(bytes);
    expect(scanner).not.toBeNull();
    const memory = scanner!.memory;
    const buf = Buffer.from(memory, 0, bytes);
    const words = new Uint32Array(memory, 0, bytes >>> 2);
    seededBytes(bytes / 2, 11).copy(buf, 0);
    seededCopyText(bytes / 2, 12).copy(buf, bytes / 2);
    let x = 0x1234567;
    const next = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    let cuts = 0;
    for (let round = 0; round < 20000; round++) {
      const start = next(bytes);
      // Mostly short ranges (every unrolled-loop remainder), some long ones.
      const end = Math.min(bytes, start + (round % 4 === 0 ? next(1 << 16) : next(40)));
      const h = round % 3 === 0 ? 0 : (next(1 << 30) * 4 + next(4)) | 0;
      const mask = round % 5 === 0 ? next(1 << 30) << 2 : ~((1 << (32 - 1 - next(14))) - 1) | 0;
      const wasmCut = scanner!.scan(start, end, h, mask);
      const wasmHash = scanner!.hash;
      const jsCut = gearScan(buf, words, start, end, h, mask);
      expect([wasmCut, wasmHash]).toEqual([jsCut, lastGearScanHash()]);
      if (jsCut >= 0) cuts++;
    }
    expect(cuts).toBeGreaterThan(5000);
  });

  it('cuts random bytes and COPY text identically, whole or in pieces of any size', () => {
    for (const [data, p] of [
      [seededBytes(3 << 20, 1), SMALL],
      [seededCopyText(3 << 20, 2), SMALL],
      [seededCopyText(12 << 20, 3), DEFAULT_CHUNKER_PARAMS],
    ] as const) {
      const expected = specLengths(data, p);
      expect(expected.length).toBeGreaterThan(8);
      for (const sizes of [
        [data.length],
        [65536],
        [1, 7, 1000, 4096, 33333, 5],
        [p.maxSize + 1, p.minSize - 1],
      ]) {
        expectSameCuts(data, p, sizes, expected);
      }
    }
  });

  it('cuts tiny pieces identically (a byte or a row at a time)', () => {
    const data = mixed(96 * 1024, 4);
    expectSameCuts(data, TINY, [1]);
    expectSameCuts(data, TINY, [3, 1, 2, 8, 5]);
    expectSameCuts(data, ODD, [1, 63, 64, 65]);
  });

  it('cuts identically at the min, avg and max edges, with non-default parameters', () => {
    for (const p of [TINY, ODD, params(64, 512, 600), params(4000, 8192, 8193), SMALL]) {
      const lengths = expectSameCuts(mixed(3 << 20, 5), p, [4096, 1, 777]);
      const body = lengths.slice(0, -1);
      // The edges do occur: first possible cut, last under the harder mask, first under the
      // easier one, and forced cuts.
      expect(body.every((n) => n > p.minSize && n <= p.maxSize)).toBe(true);
      expect(body).toContain(p.maxSize);
      if (p === TINY) {
        expect(body).toContain(p.minSize + 1);
        expect(body).toContain(p.avgSize);
        expect(body).toContain(p.avgSize + 1);
      }
    }
  });

  it('keeps cutting identically when pool slots run out mid-stream (fallback buffers scan in JavaScript)', () => {
    const data = mixed(512 * 1024, 6);
    const parts = pieces(data, [9000, 17, 3000]);
    const pool = new ChunkBufferPool(SMALL.maxSize + 64, 3);
    const cutter = new ChunkCutter(SMALL, pool);
    const lengths: number[] = [];
    let kept = 0;
    for (const part of parts) {
      for (const c of cutter.push(part)) {
        lengths.push(c.length);
        // Hold every third slot: the pool runs dry, then refills.
        if (pool.slotOf(c) >= 0 && kept++ % 3 !== 0) pool.release(pool.slotOf(c));
      }
    }
    lengths.push(...cutter.finishAll().map((c) => c.length));
    expect(lengths).toEqual(specLengths(data, SMALL));
  });

  it('cuts seeded inputs at the recorded offsets (golden vectors)', () => {
    const sizes = [65536];
    expect(ends(expectSameCuts(seededBytes(16 << 20, 0x5eed), DEFAULT_CHUNKER_PARAMS, sizes))).toEqual([
      1246612, 2348923, 3400972, 4872563, 6144312, 7370735, 8461884, 9817661, 11408166, 11782043, 13477221,
      15333975, 16777216,
    ]);
    expect(ends(expectSameCuts(seededCopyText(16 << 20, 0x5eed), DEFAULT_CHUNKER_PARAMS, sizes))).toEqual([
      1154189, 2308866, 3769582, 5477567, 6623823, 8006883, 8782142, 10123509, 11284040, 12756316, 13961640,
      15362112, 15837534, 16777216,
    ]);
    expect(ends(expectSameCuts(seededCopyText(160 << 10, 7), SMALL, sizes))).toEqual([
      1677, 7851, 13241, 17552, 23466, 28772, 33547, 37739, 40777, 44903, 51891, 56612, 63468, 67632, 73327,
      78663, 83555, 87766, 92094, 99417, 103696, 108243, 112371, 116486, 121181, 126210, 135135, 142298,
      148484, 151668, 158571, 163272, 163840,
    ]);
  });
});
