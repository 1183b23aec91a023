import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  LocalKeyProvider,
  LocalStorageDriver,
  type Manifest,
  Repository,
  repairIndex,
  runBackup,
  runRestore,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSource, tempDriver } from '../engine/fixtures.js';
import { hashingTarget, sha256 } from '../retention/gc-support.js';
import { SMALL_PACKS } from './small-packs.js';

// The index is a cache of what pack headers say: a lost or damaged index object costs reads,
// never data. Readers fall back to the headers of packs no index covers; repairIndex makes
// that last.

const keys = new LocalKeyProvider({ k1: randomBytes(32) });
const files = { a: randomBytes(3 * 1024 * 1024), b: randomBytes(2 * 1024 * 1024) };
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, cleanup } = await tempDriver());
});
afterEach(() => cleanup());

const open = () =>
  Repository.open(new LocalStorageDriver({ root }), {
    keyProvider: keys,
    encryption: { enabled: true, keyId: 'k1' },
    create: true,
    ...SMALL_PACKS,
  });

async function backupBoth(): Promise<Manifest[]> {
  const manifests: Manifest[] = [];
  for (const [i, names] of [['a'], ['a', 'b']].entries()) {
    manifests.push(
      await runBackup({
        repository: await open(),
        source: new FakeSource(names.map((name) => ({ name, data: files[name as 'a' | 'b'] }))),
        context: { signal: new AbortController().signal, parent: null, full: false },
        jobId: 'job_repair',
        backupId: `bk_${i}`,
        backupType: 'full',
        compression: { algorithm: 'zstd' },
      }),
    );
  }
  return manifests;
}

async function expectRestorable(manifests: Manifest[]): Promise<void> {
  for (const manifest of manifests) {
    const target = hashingTarget();
    await runRestore({ repository: await open(), manifest, target });
    for (const entry of manifest.entries) {
      expect(target.hashes.get(entry.name)).toBe(sha256(files[entry.name as 'a' | 'b']));
    }
  }
}

const indexFiles = async () => (await readdir(path.join(root, 'index'))).sort();

describe('index repair', () => {
  it('restores with every index object deleted (from pack headers), then rebuilds the index', async () => {
    const manifests = await backupBoth();
    const before = await open();
    const indexed = (await before.loadIndex()).chunks.size;
    const packs = (await before.loadIndex()).packs.size;
    expect(packs).toBeGreaterThan(1);
    for (const name of await indexFiles()) await rm(path.join(root, 'index', name));

    const blind = await (await open()).loadIndex();
    expect(blind.indexNames).toEqual([]);
    expect(blind.unindexedPacks).toHaveLength(packs);
    expect(blind.chunks.size).toBe(indexed);
    await expectRestorable(manifests);

    const repaired = await repairIndex(await open());
    expect(repaired).toMatchObject({
      packs_indexed: packs,
      chunks_indexed: indexed,
      damaged_indexes_removed: 0,
      indexes_written: 1,
      unreadable_packs: [],
    });
    const after = await (await open()).loadIndex();
    expect(after.unindexedPacks).toEqual([]);
    expect(after.indexNames).toHaveLength(1);
    expect(after.chunks.size).toBe(indexed);
    await expectRestorable(manifests);
    // Nothing left to repair: a second run writes nothing.
    expect(await repairIndex(await open())).toMatchObject({ packs_indexed: 0, indexes_written: 0 });
  });

  it('a damaged index object is set aside, its packs read from their headers, and replaced', async () => {
    const manifests = await backupBoth();
    const [victim] = await indexFiles();
    const file = path.join(root, 'index', victim!);
    const bytes = await readFile(file);
    bytes[bytes.length >> 1]! ^= 0x08;
    await writeFile(file, bytes);

    const loaded = await (await open()).loadIndex();
    expect(loaded.damagedIndexes.map((d) => d.name)).toEqual([victim]);
    expect(loaded.damagedIndexes[0]!.error.code).toBe('integrity_error');
    expect(loaded.unindexedPacks.length).toBeGreaterThan(0);
    await expectRestorable(manifests);

    const repaired = await repairIndex(await open());
    expect(repaired.damaged_indexes_removed).toBe(1);
    expect(repaired.packs_indexed).toBe(loaded.unindexedPacks.length);
    expect(await indexFiles()).not.toContain(victim);
    const after = await (await open()).loadIndex();
    expect(after.damagedIndexes).toEqual([]);
    expect(after.unindexedPacks).toEqual([]);
    await expectRestorable(manifests);
  });
});

describe('index consolidation', () => {
  it('a backup that finds enough index objects folds them into one; every backup still restores', async () => {
    const expected: Manifest[] = [];
    for (let i = 0; i < 4; i++) {
      expected.push(
        await runBackup({
          repository: await open(),
          source: new FakeSource([{ name: 'a', data: files.a.subarray(0, (i + 1) * 500_000) }]),
          context: { signal: new AbortController().signal, parent: null, full: false },
          jobId: 'job_fold',
          backupId: `bk_fold_${i}`,
          backupType: 'full',
          compression: { algorithm: 'zstd' },
          consolidateIndexAt: 4,
        }),
      );
      // One index object per backup until the fourth, which folds the four into one.
      expect(await indexFiles()).toHaveLength(i < 3 ? i + 1 : 1);
    }
    const loaded = await (await open()).loadIndex();
    expect(loaded.unindexedPacks).toEqual([]);
    for (const manifest of expected) {
      const target = hashingTarget();
      await runRestore({ repository: await open(), manifest, target });
      expect(target.hashes.get('a')).toBe(sha256(files.a.subarray(0, manifest.entries[0]!.size)));
    }
  });
});
