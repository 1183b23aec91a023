import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { supportsZstdNapiVersion, ZstdCompressor, ZstdDecompressor } from '../../src/repository/zstd.js';

describe('zstd adapter', () => {
  it('supports the zstd-napi releases its binding use was written for, and no others', () => {
    expect(supportsZstdNapiVersion('0.0.13')).toBe(true);
    expect(supportsZstdNapiVersion('0.0.14')).toBe(true);
    expect(supportsZstdNapiVersion('0.0.12')).toBe(false);
    expect(supportsZstdNapiVersion('0.1.0')).toBe(false);
    expect(supportsZstdNapiVersion('1.0.0')).toBe(false);
    expect(supportsZstdNapiVersion('garbage')).toBe(false);
  });

  it('round-trips into reused and caller-owned buffers, and bounds the output', () => {
    const compressor = new ZstdCompressor();
    const decompressor = new ZstdDecompressor();
    const text = Buffer.from('backupkit '.repeat(100_000));
    const noise = randomBytes(300_000);
    for (const [level, data] of [
      [1, text],
      [19, text],
      [3, noise],
    ] as const) {
      const compressed = Buffer.from(compressor.compress(data, level));
      expect(compressor.compressToNew(data, level).equals(compressed)).toBe(true);
      expect(decompressor.decompress(compressed, data.length).equals(data)).toBe(true);
      const out = Buffer.alloc(data.length + 10);
      const into = decompressor.decompress(compressed, data.length, out);
      expect(into.buffer).toBe(out.buffer);
      expect(into.equals(data)).toBe(true);
      // A frame larger than the bound is refused before anything is written (a bomb).
      expect(() => decompressor.decompress(compressed, data.length - 1)).toThrow(/exceeds the limit/);
    }
    expect(compressor.compress(text, 1).length).toBeLessThan(text.length / 50);
  });
});
