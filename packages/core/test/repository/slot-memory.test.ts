import { createHash } from 'node:crypto';
import { ChunkBufferPool, encodeObject } from '@backupkit/core';
import { describe, expect, it } from 'vitest';
import { createWorkerDecoder } from '../../src/repository/chunk-decoder.js';
import { giveBackSlotMemory, takeSlotMemory } from '../../src/repository/slot-memory.js';
import { giveBack } from '../../src/util/lent-buffers.js';

const MiB = 1024 * 1024;
const aad = Buffer.from('chunk:test');

// One process slot memory, reused run after run: these tests take it in turn (not concurrently).
describe('the process slot memory', () => {
  it('is the same memory for the next taker that fits in it, a new one for a larger one', () => {
    const first = takeSlotMemory(8 * MiB);
    giveBackSlotMemory(first);
    expect(takeSlotMemory(4 * MiB)).toBe(first);
    giveBackSlotMemory(first);
    const larger = takeSlotMemory(first.bytes + MiB);
    expect(larger).not.toBe(first);
    expect(larger.bytes).toBeGreaterThan(first.bytes);
    // Two given back: the larger is kept, and serves both sizes.
    giveBackSlotMemory(first);
    giveBackSlotMemory(larger);
    expect(takeSlotMemory(4 * MiB)).toBe(larger);
    giveBackSlotMemory(larger);
  });

  it('serves a backup pool after a backup pool, and not while a slot is still held', () => {
    const pool = ChunkBufferPool.fromSlotMemory(4 * MiB + 64, 12);
    const held = pool.take();
    pool.retire();
    const next = ChunkBufferPool.fromSlotMemory(4 * MiB + 64, 12);
    expect(next.memory).not.toBe(pool.memory); // the first was not given back: a slot was held
    expect(held.buffer).toBe(pool.memory);
    const chunk = next.take();
    next.release(next.slotOf(chunk));
    next.retire();
    expect(ChunkBufferPool.fromSlotMemory(4 * MiB + 64, 8).memory).toBe(next.memory);
  });

  it('is shared by a backup pool and the chunk readers that follow it', async () => {
    const pool = ChunkBufferPool.fromSlotMemory(4 * MiB + 64, 12);
    pool.retire();
    const plaintext = Buffer.from('row\t1\n'.repeat(20_000));
    const id = createHash('sha256').update(plaintext).digest('hex');
    const stored = (
      await encodeObject(plaintext, { compression: { algorithm: 'zstd', level: 1 }, aad, key: null })
    ).bytes;
    const decoder = createWorkerDecoder(2, 64 * MiB, { slotBytes: 4 * MiB + 64 });
    try {
      const out = await decoder.decode(stored, aad, id, null, 'Chunk');
      expect(out.buffer).toBe(pool.memory);
      expect(out.equals(plaintext)).toBe(true);
      giveBack(out);
    } finally {
      await decoder.close();
    }
    // Every slot handed back: the next backup takes the same memory again.
    const after = ChunkBufferPool.fromSlotMemory(4 * MiB + 64, 12);
    expect(after.memory).toBe(pool.memory);
    after.retire();
  });
});
