import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  ChunkBufferPool,
  chunkStream,
  LocalKeyProvider,
  LocalStorageDriver,
  type Manifest,
  Repository,
  runBackup,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GEAR } from '../../src/repository/gear-scan.js';
import { FakeSource, tempDriver } from '../engine/fixtures.js';
import { seededBytes } from './chunker-inputs.js';

// With encryption on, a writer cuts with a gear table derived from its data key: chunk
// boundaries (and so blob sizes in storage) differ between repositories and say nothing about
// known content without the key, while one repository cuts the same data the same way always.

const MiB = 1024 * 1024;
const INPUT = seededBytes(100 * MiB, 20261207);
const keys = new LocalKeyProvider({ k1: randomBytes(32), k2: randomBytes(32) });

let cleanups: Array<() => Promise<void>> = [];
beforeEach(() => {
  cleanups = [];
});
afterEach(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function repository(keyId: string | null, existing?: string) {
  const { driver, root, cleanup } = existing
    ? { driver: undefined, root: existing, cleanup: async () => {} }
    : await tempDriver();
  cleanups.push(cleanup);
  return {
    root,
    repo: await Repository.open(driver ?? new LocalStorageDriver({ root }), {
      keyProvider: keys,
      encryption: keyId ? { enabled: true, keyId } : { enabled: false },
      create: true,
    }),
  };
}

/** The cut offsets of the input: in pieces of 1 MiB, as a stream delivers it. */
async function boundaries(gear: Int32Array, pool?: ChunkBufferPool): Promise<number[]> {
  const pieces = Array.from({ length: INPUT.length / MiB }, (_, i) => INPUT.subarray(i * MiB, (i + 1) * MiB));
  const cuts: number[] = [];
  let at = 0;
  for await (const chunk of chunkStream(Readable.from(pieces), undefined, pool, gear)) {
    at += chunk.length;
    cuts.push(at);
    if (pool) pool.release(pool.slotOf(chunk));
  }
  return cuts;
}

describe('keyed chunking', () => {
  it('cuts 100 MiB differently under two keys, identically every time under one', async () => {
    const a = await repository('k1');
    const b = await repository('k2');
    const [cutsA, cutsB] = [await boundaries(a.repo.chunkerGear), await boundaries(b.repo.chunkerGear)];
    expect(cutsA.at(-1)).toBe(INPUT.length);
    expect(cutsA.length).toBeGreaterThan(50);
    // Boundaries the two keys share are chance: a handful out of ~100.
    const shared = cutsB.filter((cut) => new Set(cutsA).has(cut) && cut !== INPUT.length);
    expect(shared.length).toBeLessThan(cutsA.length / 10);

    // The same repository, reopened (another process, another handle), cuts the same way...
    const again = await repository('k1', a.root);
    expect(await boundaries(again.repo.chunkerGear)).toEqual(cutsA);
    // ... in the JavaScript scan too (a pool without WebAssembly), not only in WebAssembly.
    const jsPool = new ChunkBufferPool(4 * MiB + 64, 4, { webAssembly: false });
    expect(jsPool.scanner).toBeNull();
    expect(await boundaries(again.repo.chunkerGear, jsPool)).toEqual(cutsA);

    // The table is the data key's, not the public one; a repository without encryption uses that.
    expect(a.repo.chunkerGear).not.toEqual(GEAR);
    const plain = await repository(null);
    expect(plain.repo.chunkerGear).toBe(GEAR);
  });

  it("backs the same data up at the key's boundaries: different sizes per key, full dedup under one", async () => {
    const a = await repository('k1');
    const b = await repository('k2');
    const data = INPUT.subarray(0, 20 * MiB);
    const run = (repo: Repository, backupId: string) =>
      runBackup({
        repository: repo,
        source: new FakeSource([{ name: 'big', data }]),
        context: { signal: new AbortController().signal, parent: null, full: true },
        jobId: 'job_keyed',
        backupId,
        backupType: 'full',
        compression: { algorithm: 'none' },
      });
    const [inA, inB] = [await run(a.repo, 'bk_a'), await run(b.repo, 'bk_b')];
    const sizes = (m: Manifest) => m.entries[0]!.chunks.map((c) => c.size);
    expect(sizes(inA)).not.toEqual(sizes(inB));
    expect(sizes(inA).reduce((x, y) => x + y, 0)).toBe(data.length);
    // The chunk list a restore re-derives (verify_after_restore) uses the same key's table.
    const cutA = await a.repo.chunkingOf(inA);
    expect(cutA.gear).toEqual(a.repo.chunkerGear);
    const again = await run((await repository('k1', a.root)).repo, 'bk_a2');
    expect(again.totals.new_chunks).toBe(0);
    expect(sizes(again)).toEqual(sizes(inA));
  });
});
