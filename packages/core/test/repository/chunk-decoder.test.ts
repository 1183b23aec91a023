import { createHash, randomBytes } from 'node:crypto';
import { type CompressionAlgorithm, encodeObject, LocalKeyProvider, Repository } from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChunkDecoder, createWorkerDecoder } from '../../src/repository/chunk-decoder.js';
import { giveBack } from '../../src/util/lent-buffers.js';
import { tempDriver } from '../engine/fixtures.js';

const aad = Buffer.from('chunk:test');
const idOf = (plaintext: Buffer) => createHash('sha256').update(plaintext).digest('hex');

/** A stored (unencrypted) object for `plaintext`, as the repository writes it. */
async function stored(plaintext: Buffer, algorithm: CompressionAlgorithm = 'zstd'): Promise<Buffer> {
  return (await encodeObject(plaintext, { compression: { algorithm, level: 1 }, aad, key: null })).bytes;
}

const text = (n: number, seed: string) =>
  Buffer.from(
    Array.from({ length: Math.ceil(n / 40) }, (_, i) => `${seed} row ${i}\t${i * 7}\n`)
      .join('')
      .slice(0, n),
  );

describe('worker chunk decoder slots', () => {
  let decoder: ChunkDecoder | null = null;
  afterEach(async () => {
    await decoder?.close();
    decoder = null;
  });

  it('decodes every compression into lent slot memory, reused once handed back', async () => {
    decoder = createWorkerDecoder(2, 64 * 1024 * 1024, { slotBytes: 1024 * 1024, slots: 2 });
    const inputs = (['none', 'gzip', 'brotli', 'zstd'] as const).map((algorithm, i) => ({
      algorithm,
      plaintext: i === 0 ? randomBytes(200_000) : text(300_000, algorithm),
    }));
    for (const { algorithm, plaintext } of inputs) {
      const out = await decoder.decode(
        await stored(plaintext, algorithm),
        aad,
        idOf(plaintext),
        null,
        'Chunk',
      );
      expect(out.equals(plaintext), algorithm).toBe(true);
      expect(out.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(giveBack(out)).toBe(true);
      expect(giveBack(out)).toBe(false); // once only
    }

    // Both slots lent out: the next chunk comes back in a buffer of its own, still verified.
    const [a, b, c] = [text(100_000, 'a'), text(100_000, 'b'), text(100_000, 'c')];
    const outA = await decoder.decode(await stored(a), aad, idOf(a), null, 'Chunk');
    const outB = await decoder.decode(await stored(b), aad, idOf(b), null, 'Chunk');
    const outC = await decoder.decode(await stored(c), aad, idOf(c), null, 'Chunk');
    expect(outC.equals(c)).toBe(true);
    expect(outC.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(giveBack(outC)).toBe(false);
    // A's slot, handed back, holds the next chunk; B is untouched by it.
    giveBack(outA);
    const d = text(120_000, 'd');
    const outD = await decoder.decode(await stored(d), aad, idOf(d), null, 'Chunk');
    expect(outD.buffer).toBe(outA.buffer);
    expect(outD.byteOffset).toBe(outA.byteOffset);
    expect(outD.equals(d)).toBe(true);
    expect(outB.equals(b)).toBe(true);
  });

  it('falls back to a buffer of its own for a plaintext larger than a slot', async () => {
    decoder = createWorkerDecoder(1, 64 * 1024 * 1024, { slotBytes: 256 * 1024, slots: 4 });
    // Compresses well (fits in a slot as stored bytes), but its plaintext does not.
    const big = text(1_000_000, 'big');
    const out = await decoder.decode(await stored(big), aad, idOf(big), null, 'Chunk');
    expect(out.equals(big)).toBe(true);
    expect(giveBack(out)).toBe(false);
    // Incompressible (stored as large as its plaintext): decoded into a slot all the same, since
    // only the plaintext goes there.
    const noise = randomBytes(200_000);
    const out2 = await decoder.decode(await stored(noise), aad, idOf(noise), null, 'Chunk');
    expect(out2.equals(noise)).toBe(true);
    expect(giveBack(out2)).toBe(true);
    // The slots are all free again.
    const small = text(10_000, 'small');
    const lent = await Promise.all(
      [0, 1, 2, 3].map(async () => decoder!.decode(await stored(small), aad, idOf(small), null, 'Chunk')),
    );
    expect(lent.every((o) => o.buffer instanceof SharedArrayBuffer && o.equals(small))).toBe(true);
  });

  it('reports damage as integrity errors and frees the slot of a failed chunk', async () => {
    decoder = createWorkerDecoder(2, 64 * 1024 * 1024, { slotBytes: 1024 * 1024, slots: 1 });
    const plaintext = text(200_000, 'x');
    const good = await stored(plaintext);
    for (let i = 0; i < 30; i++) {
      const bad = Buffer.from(good);
      bad[36 + ((i * 7919) % (bad.length - 68))]! ^= 0x10;
      await expect(decoder.decode(bad, aad, idOf(plaintext), null, 'Chunk c1')).rejects.toMatchObject({
        code: 'integrity_error',
        details: { chunk_id: idOf(plaintext) },
      });
    }
    // Right bytes, wrong id: decoded in the slot, then refused.
    await expect(decoder.decode(good, aad, idOf(Buffer.from('other')), null, 'Chunk')).rejects.toMatchObject({
      code: 'integrity_error',
    });
    const out = await decoder.decode(good, aad, idOf(plaintext), null, 'Chunk');
    expect(out.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(out.equals(plaintext)).toBe(true);
  });
});

describe('repository chunk readers', () => {
  let cleanup: () => Promise<void>;
  let repo: Repository;
  beforeEach(async () => {
    const temp = await tempDriver();
    cleanup = temp.cleanup;
    repo = await Repository.open(temp.driver, {
      keyProvider: new LocalKeyProvider({ k1: randomBytes(32) }),
      encryption: { enabled: true, keyId: 'k1' },
      create: true,
    });
  });
  afterEach(() => cleanup());

  it('lend encrypted chunks out of slots, and keep serving when none are handed back', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => text(50_000 + i * 1000, `chunk ${i}`));
    const ids: string[] = [];
    for (const chunk of chunks) {
      const id = repo.chunkId(chunk);
      await repo.putChunk(id, chunk, { algorithm: 'zstd' });
      ids.push(id);
    }
    const reader = repo.createChunkReader({ workers: 2 });
    try {
      // Kept, never handed back: the slots run out and later chunks come in buffers of their own.
      const kept = await Promise.all(ids.map((id) => reader.getChunk(id)));
      for (const [i, out] of kept.entries()) expect(out.equals(chunks[i]!), `chunk ${i}`).toBe(true);
      const lent = kept.filter((out) => out.buffer instanceof SharedArrayBuffer);
      expect(lent.length).toBeGreaterThan(0);
      expect(lent.length).toBeLessThan(kept.length);
      // Handed back, a slot serves again.
      for (const out of lent) expect(giveBack(out)).toBe(true);
      const again = await reader.getChunk(ids[0]!);
      expect(again.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(again.equals(chunks[0]!)).toBe(true);
    } finally {
      await reader.close();
    }
  });
});
