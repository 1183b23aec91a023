import { describe, expect, it } from 'vitest';
import { releaseNow } from '../../src/util/release-memory.js';

describe('releaseNow', () => {
  it('frees a buffer it spans whole: its memory is gone at once, not at the next collection', () => {
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 256; i++) {
      const buffer = Buffer.allocUnsafeSlow(1 << 20);
      buffer.fill(i);
      releaseNow(buffer);
      expect(buffer.byteLength).toBe(0);
    }
    // 256 MiB went through; without the release, they would wait for a garbage collection.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });

  it('leaves alone what it does not span whole, shared memory and small buffers', () => {
    const whole = Buffer.allocUnsafeSlow(1 << 16).fill(7);
    const part = whole.subarray(0, 100);
    releaseNow(part);
    expect(part[0]).toBe(7);
    expect(whole.byteLength).toBe(1 << 16);

    const shared = new Uint8Array(new SharedArrayBuffer(1 << 16)).fill(3);
    releaseNow(shared);
    expect(shared.byteLength).toBe(1 << 16);

    const small = Buffer.allocUnsafeSlow(1024).fill(5);
    releaseNow(small);
    expect(small[1023]).toBe(5);
  });
});
