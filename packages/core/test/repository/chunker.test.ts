import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  ChunkBufferPool,
  ChunkCutter,
  type ChunkerParams,
  chunkStream,
  DEFAULT_CHUNKER_PARAMS,
  validateChunkerParams,
} from '@backupkit/core';
import { describe, expect, it } from 'vitest';

const SMALL: ChunkerParams = { algorithm: 'fastcdc-gear-v1', minSize: 1024, avgSize: 4096, maxSize: 16384 };

/** Splits `data` into pieces of the given sizes (cycled), as a stream would deliver it. */
function pieces(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const n = sizes[i++ % sizes.length]!;
    out.push(data.subarray(offset, offset + n));
    offset += n;
  }
  return out;
}

async function chunksOf(parts: Buffer[], params: ChunkerParams): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of chunkStream(Readable.from(parts, { objectMode: true }), params)) out.push(chunk);
  return out;
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** COPY-like text: rows of numbers and words, compressible but not repetitive. */
function copyText(bytes: number): Buffer {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  const rows: string[] = [];
  let size = 0;
  let seed = 12345;
  for (let id = 1; size < bytes; id++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const row = `${id}\t${words[seed % 8]} ${words[(seed >>> 8) % 8]}\t${seed}\t2026-11-${(seed % 28) + 1}\n`;
    rows.push(row);
    size += row.length;
  }
  return Buffer.from(rows.join('')).subarray(0, bytes);
}

describe('chunker', () => {
  it('cuts the same bytes at the same boundaries however the stream is split', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const whole = await chunksOf([data], SMALL);
    const split1 = await chunksOf(pieces(data, [65536]), SMALL);
    const split2 = await chunksOf(pieces(data, [1, 7, 1000, 4096, 33333, 5]), SMALL);
    expect(whole.length).toBeGreaterThan(100);
    expect(Buffer.concat(whole).equals(data)).toBe(true);
    expect(split1.map(digest)).toEqual(whole.map(digest));
    expect(split2.map(digest)).toEqual(whole.map(digest));
  });

  it('keeps every chunk within min/max and the average near the target', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const chunks = await chunksOf(pieces(data, [65536]), SMALL);
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(SMALL.minSize);
      expect(c.length).toBeLessThanOrEqual(SMALL.maxSize);
    }
    const avg = data.length / chunks.length;
    expect(avg).toBeGreaterThan(SMALL.avgSize * 0.6);
    expect(avg).toBeLessThan(SMALL.avgSize * 1.8);
  });

  it('cuts low-entropy data at maxSize and handles empty and tiny inputs', async () => {
    const zeros = Buffer.alloc(10 * SMALL.maxSize + 123);
    const chunks = await chunksOf(pieces(zeros, [5000]), SMALL);
    expect(chunks.map((c) => c.length)).toEqual([...Array(10).fill(SMALL.maxSize), 123]);
    expect(await chunksOf([], SMALL)).toEqual([]);
    const tiny = await chunksOf([Buffer.from('abc')], SMALL);
    expect(tiny.map((c) => c.toString())).toEqual(['abc']);
  });

  it('only changes chunks near an insertion (shift resistance)', async () => {
    const data = copyText(4 * 1024 * 1024);
    const edited = Buffer.concat([
      data.subarray(0, 10_000),
      Buffer.from('INSERTED ROW\t42\n'),
      data.subarray(10_000),
    ]);
    const before = (await chunksOf(pieces(data, [65536]), SMALL)).map(digest);
    const after = (await chunksOf(pieces(edited, [65536]), SMALL)).map(digest);
    const kept = new Set(before);
    const shared = after.filter((d) => kept.has(d)).length;
    expect(before.length).toBeGreaterThan(300);
    // Only the chunk(s) around offset 10 000 differ; everything after re-synchronises.
    expect(after.length - shared).toBeLessThanOrEqual(2);
    expect(before.length - shared).toBeLessThanOrEqual(2);
  });

  it('uses the default 256 KiB / 1 MiB / 4 MiB parameters and measures throughput', async () => {
    expect(DEFAULT_CHUNKER_PARAMS).toMatchObject({ minSize: 262144, avgSize: 1048576, maxSize: 4194304 });
    const data = copyText(8 * 1024 * 1024);
    const parts = pieces(data, [65536]);
    const rounds = 24;
    const cutter = new ChunkCutter(DEFAULT_CHUNKER_PARAMS);
    const started = performance.now();
    const chunks: Buffer[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const p of parts) for (const c of cutter.push(p)) chunks.push(c);
    }
    chunks.push(...cutter.finishAll());
    const seconds = (performance.now() - started) / 1000;
    const total = rounds * data.length;
    console.log(
      `chunker: ${(total / 1e6 / seconds).toFixed(0)} MB/s over ${(total / 1e6).toFixed(0)} MB of COPY text ` +
        `(64 KiB pieces, copies included), ${chunks.length} chunks, avg ${(total / chunks.length / 1024).toFixed(0)} KiB`,
    );
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(total);
    // Each chunk owns its memory whole (transferable to a worker without copying).
    expect(chunks.slice(0, -1).every((c) => c.byteOffset === 0 && c.buffer.byteLength === c.length)).toBe(
      true,
    );
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(DEFAULT_CHUNKER_PARAMS.minSize);
      expect(c.length).toBeLessThanOrEqual(DEFAULT_CHUNKER_PARAMS.maxSize);
    }
  });

  it('cuts the same chunks into pooled shared slots, freeing and reusing them', () => {
    const data = copyText(256 * 1024);
    const parts = pieces(data, [3000, 17, 9000, 1]);
    const plain = new ChunkCutter(SMALL);
    const expected = [...parts.flatMap((p) => plain.push(p)), ...plain.finishAll()].map(digest);
    // One push may complete several chunks (9000-byte pieces, 1 KiB minimum): enough slots for
    // those plus the one being gathered; freeing each chunk's slot right away lets the run go on
    // without fallback allocations.
    const pool = new ChunkBufferPool(SMALL.maxSize + 4, 12);
    const cutter = new ChunkCutter(SMALL, pool);
    const got: string[] = [];
    let pooled = 0;
    const take = (chunks: Buffer[]) => {
      for (const c of chunks) {
        got.push(digest(c));
        const slot = pool.slotOf(c);
        if (slot >= 0) pooled++;
        pool.release(slot);
      }
    };
    for (const p of parts) take(cutter.push(p));
    take(cutter.finishAll());
    expect(got).toEqual(expected);
    expect(pooled).toBe(expected.length);
    expect(() => new ChunkCutter(SMALL, new ChunkBufferPool(SMALL.maxSize - 8, 2))).toThrow(/pool/i);
    // With every slot taken, the cutter falls back to ordinary buffers and still cuts the same.
    const tight = new ChunkBufferPool(SMALL.maxSize + 4, 1);
    const fallback = new ChunkCutter(SMALL, tight);
    const kept = [...parts.flatMap((p) => fallback.push(p)), ...fallback.finishAll()];
    expect(kept.map(digest)).toEqual(expected);
    expect(kept.filter((c) => tight.slotOf(c) >= 0)).toHaveLength(1);
  });

  it('rejects nonsensical parameters', () => {
    expect(() => validateChunkerParams({ ...SMALL, avgSize: 3000 })).toThrow(/chunker/i);
    expect(() => validateChunkerParams({ ...SMALL, minSize: 8192 })).toThrow(/chunker/i);
  });
});
