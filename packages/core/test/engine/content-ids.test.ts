import { randomBytes } from 'node:crypto';
import { LocalKeyProvider, type Manifest, Repository, runBackup, runRestore } from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstChunkDifference } from '../../src/sources/chunk-refs.js';
import { CollectingTarget, FakeSource, SMALL_CHUNKS, tempDriver } from './fixtures.js';

const provider = new LocalKeyProvider({ k1: randomBytes(32), k2: randomBytes(32) });
const TABLE = Buffer.from(
  Array.from({ length: 40_000 }, (_, i) => `${i}\trow ${i * 7919}\t2024-01-01\n`).join(''),
);

let cleanup: () => Promise<void>;
let repository: (encrypted: boolean, keyId?: string) => Promise<Repository>;
beforeEach(async () => {
  const temp = await tempDriver();
  cleanup = temp.cleanup;
  repository = (encrypted, keyId = 'k1') =>
    Repository.open(temp.driver, {
      keyProvider: provider,
      encryption: encrypted ? { enabled: true, keyId } : { enabled: false },
      create: true,
      chunker: SMALL_CHUNKS,
    });
});
afterEach(() => cleanup());

async function backupTable(repo: Repository): Promise<Manifest> {
  return runBackup({
    repository: repo,
    source: new FakeSource([
      { name: 'public.t', kind: 'table', data: TABLE, hashContent: false },
      { name: 'file.txt', data: TABLE.subarray(0, 5000) },
    ]),
    context: { signal: new AbortController().signal, parent: null, full: false },
    jobId: 'job_1',
    backupId: 'bk_1',
    backupType: 'full',
    compression: { algorithm: 'zstd' },
  });
}

async function* pieces(data: Buffer, size: number): AsyncIterable<Buffer> {
  for (let o = 0; o < data.length; o += size) yield data.subarray(o, o + size);
}

describe('entries without a whole-content hash', () => {
  for (const encrypted of [true, false]) {
    it(`record no sha256, restore intact, and re-derive their chunk list (${encrypted ? 'encrypted' : 'plain'})`, async () => {
      const repo = await repository(encrypted);
      const manifest = await backupTable(repo);
      const table = manifest.entries.find((e) => e.name === 'public.t')!;
      const file = manifest.entries.find((e) => e.name === 'file.txt')!;
      expect(table.sha256).toBeUndefined();
      expect(table.chunks.length).toBeGreaterThan(3);
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);

      // A restore through a handle that writes under another master key still ids as the backup did.
      const reader = encrypted ? await repository(true, 'k2') : repo;
      const target = new CollectingTarget();
      await runRestore({ repository: reader, manifest, target });
      expect(target.restored.get('public.t')!.equals(TABLE)).toBe(true);

      const chunkRefsOf = target.context!.chunkRefsOf!;
      const same = await chunkRefsOf(pieces(TABLE, 777));
      expect(firstChunkDifference(same, table.chunks)).toBe(-1);

      const changed = Buffer.from(TABLE);
      changed[TABLE.length - 100] = changed[TABLE.length - 100]! ^ 1;
      const differs = await chunkRefsOf(pieces(changed, 4096));
      expect(firstChunkDifference(differs, table.chunks)).toBe(table.chunks.length - 1);
      const shorter = await chunkRefsOf(pieces(TABLE.subarray(0, TABLE.length - 1), 65536));
      expect(firstChunkDifference(shorter, table.chunks)).toBe(table.chunks.length - 1);
    });
  }

  it('finds the first differing chunk, or a list that is a prefix of the other', () => {
    const a = [
      { id: 'a', size: 1 },
      { id: 'b', size: 2 },
    ];
    expect(firstChunkDifference(a, a)).toBe(-1);
    expect(firstChunkDifference(a, [{ id: 'a', size: 1 }])).toBe(1);
    expect(firstChunkDifference(a, [{ id: 'a', size: 2 }, a[1]!])).toBe(0);
    expect(firstChunkDifference([], [])).toBe(-1);
  });
});
