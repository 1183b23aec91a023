import { randomBytes } from 'node:crypto';
import { access, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  bucketCount,
  chunkBucket,
  distinctChunkIds,
  type Manifest,
  nextReadDataBucket,
  packKey,
  storedManifestChecksum,
  type VerifyBackupOptions,
  verifyBackupData,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flipBlobByte, replaceBlobs } from '../../../../test-support/chunk-blobs.js';
import {
  backup,
  chunkBlob,
  directorySource,
  manifestPath,
  storedChunkBytes,
  type Workspace,
  workspace,
} from './fixtures.js';

const FULL: VerifyBackupOptions = {
  verification_type: 'full',
  checksum_verification: true,
  integrity_check: true,
  test_restore: false,
};
const QUICK: VerifyBackupOptions = { ...FULL, verification_type: 'quick' };

function chunksOf(manifest: Manifest, entryName: string): string[] {
  return manifest.entries.find((e) => e.name === entryName)!.chunks.map((c) => c.id);
}

describe('verifyBackupData', () => {
  let ws: Workspace;
  let first: Manifest;
  let second: Manifest;
  let checksums: Map<string, string>;

  beforeAll(async () => {
    ws = await workspace();
    first = await backup(ws, directorySource(ws));
    await writeFile(path.join(ws.sourceDir, 'changing.bin'), randomBytes(400 * 1024));
    second = await backup(ws, directorySource(ws), first);
    checksums = new Map();
    for (const m of [first, second]) {
      checksums.set(m.backup_id, await storedManifestChecksum(ws.repository, m.backup_id));
    }
  });
  afterAll(() => ws.cleanup());

  const verify = (m: Manifest, options: VerifyBackupOptions, extra: { readDataBucket?: number } = {}) =>
    verifyBackupData({
      repository: ws.repository,
      backupId: m.backup_id,
      expectedChecksum: checksums.get(m.backup_id),
      options,
      scratchRoot: ws.root,
      ...extra,
    });

  /**
   * Runs `fn` with chunks' stored bytes replaced (null: the chunk left out) by rewriting their
   * packs, then puts the original packs back. The repository handle re-reads its index each time.
   */
  async function withReplacedBlobs<T>(replacements: Map<string, Uint8Array | null>, fn: () => Promise<T>) {
    const putBack = await replaceBlobs(ws.storeDir, replacements, ws.keys);
    ws.repository.forgetIndex();
    try {
      return await fn();
    } finally {
      await putBack();
      ws.repository.forgetIndex();
    }
  }

  /** Runs `fn` with a damaged store, then puts the original bytes back. */
  async function withDamage<T>(file: string, damage: (file: string) => Promise<void>, fn: () => Promise<T>) {
    const original = await readFile(file);
    await damage(file);
    try {
      return await fn();
    } finally {
      await writeFile(file, original);
    }
  }

  it('passes a clean backup, records stored sizes, and reports progress up to 100', async () => {
    expect(Object.keys(first.stored_chunks ?? {}).sort()).toEqual(distinctChunkIds(first).sort());
    const phases = new Set<string>();
    let last = -1;
    const result = await verifyBackupData({
      repository: ws.repository,
      backupId: second.backup_id,
      expectedChecksum: checksums.get(second.backup_id),
      options: FULL,
      onProgress: (p) => {
        phases.add(p.phase);
        expect(p.progress).toBeGreaterThanOrEqual(last);
        last = p.progress;
      },
    });
    expect(result.status).toBe('passed');
    expect(result).toMatchObject({
      checksum_verified: true,
      integrity_verified: true,
      test_restore_verified: false,
    });
    expect(result.damaged).toEqual([]);
    expect(result.entries_verified).toBe(second.entries.length);
    expect(result.chunks_checked).toBe(distinctChunkIds(second).length);
    expect(result.chunks_total).toBeGreaterThan(10);
    expect(result.bytes_read).toBe(second.totals.logical_bytes);
    expect(result.manifest_checksum).toBe(checksums.get(second.backup_id));
    expect(last).toBe(100);
    expect([...phases]).toEqual(expect.arrayContaining(['checksum', 'integrity', 'done']));

    const quick = await verify(second, QUICK);
    expect(quick.status).toBe('passed');
    expect(quick.checks).toEqual({ checksum: 'passed', integrity: 'skipped', test_restore: 'skipped' });
    expect(quick.chunks_read).toBe(0);
  });

  it('one corrupted byte in a chunk: the integrity check names the chunk, its file, and the later backup sharing it', async () => {
    const INTEGRITY = { ...FULL, checksum_verification: false };
    const id = chunksOf(first, 'stable.bin')[2]!;
    expect(chunksOf(second, 'stable.bin')).toContain(id);
    const pack = (await ws.repository.locateChunk(id))!.pack;
    await withDamage(
      (await chunkBlob(ws, id)).file,
      async () => {
        await flipBlobByte(ws.storeDir, id, { keyProvider: ws.keys });
      },
      async () => {
        const full = await verify(first, INTEGRITY);
        expect(full.status).toBe('failed');
        expect(full.checks).toMatchObject({ integrity: 'failed' });
        expect(full.damaged).toHaveLength(1);
        expect(full.damaged[0]).toMatchObject({
          kind: 'chunk',
          chunk_id: id,
          // The damaged object is the pack holding the chunk's blob.
          key: packKey(pack),
          problem: 'corrupt',
          entries: ['stable.bin'],
          shared_with_backups: [second.backup_id],
          earlier_backups: [],
          found_by: 'integrity',
        });
        expect(full.damaged[0]!.object).toContain(pack);
        expect(full.error?.code).toBe('integrity_error');
        // The later backup is damaged by the same chunk, and names the earlier one.
        const later = await verify(second, INTEGRITY);
        expect(later.damaged[0]).toMatchObject({ chunk_id: id, earlier_backups: [first.backup_id] });
        // The quick checksum pass sees the same-size flip too: the stored bytes' SHA-256 recorded
        // at backup time no longer matches.
        const quick = await verify(first, QUICK);
        expect(quick.status).toBe('failed');
        expect(quick.checks).toMatchObject({ checksum: 'failed' });
        expect(quick.damaged).toHaveLength(1);
        expect(quick.damaged[0]).toMatchObject({
          chunk_id: id,
          problem: 'checksum_mismatch',
          entries: ['stable.bin'],
          shared_with_backups: [second.backup_id],
          found_by: 'checksum',
        });
      },
    );
  });

  it('a deleted chunk: the quick checksum pass finds it missing without reading data', async () => {
    const id = chunksOf(second, 'changing.bin')[0]!;
    // Its pack rewritten without it: no pack holds the chunk, its neighbours stay stored.
    const result = await withReplacedBlobs(new Map([[id, null]]), async () => {
      expect(await ws.repository.hasChunk(id)).toBe(false);
      return verify(second, QUICK);
    });
    expect(result.status).toBe('failed');
    expect(result.checksum_verified).toBe(false);
    expect(result.damaged).toEqual([
      expect.objectContaining({
        chunk_id: id,
        problem: 'missing',
        entries: ['changing.bin'],
        found_by: 'checksum',
      }),
    ]);
    expect(result.damaged[0]!.shared_with_backups).toEqual([]);
  });

  it('a truncated manifest: named as the manifest object by checksum and integrity checks', async () => {
    await withDamage(
      manifestPath(ws, first.backup_id),
      async (file) => truncate(file, Math.floor((await readFile(file)).length / 2)),
      async () => {
        for (const options of [QUICK, FULL]) {
          const result = await verify(first, options);
          expect(result.status).toBe('failed');
          expect(result.damaged.map((d) => d.problem).sort()).toEqual(['manifest_checksum_mismatch']);
          expect(result.damaged[0]).toMatchObject({
            kind: 'manifest',
            key: `snapshots/${first.backup_id}.json`,
            found_by: 'checksum',
          });
        }
        // Without a recorded checksum, reading it still fails and names it.
        const unrecorded = await verifyBackupData({
          repository: ws.repository,
          backupId: first.backup_id,
          options: FULL,
        });
        expect(unrecorded.status).toBe('failed');
        expect(unrecorded.damaged[0]).toMatchObject({ kind: 'manifest', problem: 'manifest_unreadable' });
      },
    );
  });

  it('two chunks swapped: quick sees the sizes, full fails authentication of both', async () => {
    const sizes = second.stored_chunks!;
    const ids = chunksOf(second, 'stable.bin');
    const a = ids[0]!;
    const b = ids.find((id) => sizes[id] !== sizes[a])!;
    expect(b).toBeDefined();
    // Blobs of different lengths cannot trade places in a pack file: their packs are rewritten
    // with each chunk's blob holding the other's bytes (the header listing the swapped lengths).
    const [ba, bb] = [await storedChunkBytes(ws, a), await storedChunkBytes(ws, b)];
    await withReplacedBlobs(
      new Map([
        [a, bb],
        [b, ba],
      ]),
      async () => {
        const quick = await verify(second, QUICK);
        expect(quick.status).toBe('failed');
        expect(quick.damaged.map((d) => [d.chunk_id, d.problem]).sort()).toEqual(
          [
            [a, 'size_mismatch'],
            [b, 'size_mismatch'],
          ].sort(),
        );
        const full = await verify(second, { ...FULL, checksum_verification: false });
        expect(full.status).toBe('failed');
        expect(full.damaged.map((d) => [d.chunk_id, d.problem, d.found_by]).sort()).toEqual(
          [
            [a, 'corrupt', 'integrity'],
            [b, 'corrupt', 'integrity'],
          ].sort(),
        );
        expect(full.damaged.every((d) => d.entries.includes('stable.bin'))).toBe(true);
      },
    );
    expect((await verify(second, FULL)).status).toBe('passed');
  });

  it('read-data subsets rotate through buckets and cover every chunk once per cycle', async () => {
    const options = { ...FULL, verification_type: '25%' };
    const buckets = bucketCount(25);
    expect(buckets).toBe(4);
    let previous: { bucket: number; buckets: number } | null = null;
    let covered = 0;
    const seen: number[] = [];
    for (let run = 0; run < buckets; run++) {
      const bucket = nextReadDataBucket(25, previous);
      const result = await verify(second, options, { readDataBucket: bucket });
      expect(result.status).toBe('passed');
      expect(result.read_data).toMatchObject({ percent: 25, buckets, bucket });
      covered += result.chunks_read;
      seen.push(bucket);
      previous = result.read_data;
    }
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(covered).toBe(distinctChunkIds(second).length);
    expect(nextReadDataBucket(25, previous)).toBe(0);

    // A corrupted chunk is found by the run whose bucket holds it, and only by that one (the
    // checksum check, which would find it in every run, is left out here).
    const readOnly = { ...options, checksum_verification: false };
    const id = chunksOf(second, 'changing.bin')[1]!;
    const home = chunkBucket(id, buckets);
    const blob = await chunkBlob(ws, id);
    await withDamage(
      blob.file,
      async () => {
        await flipBlobByte(ws.storeDir, id, { keyProvider: ws.keys, at: blob.length - 1 });
      },
      async () => {
        for (let bucket = 0; bucket < buckets; bucket++) {
          const result = await verify(second, readOnly, { readDataBucket: bucket });
          expect(result.status).toBe(bucket === home ? 'failed' : 'passed');
          if (bucket === home)
            expect(result.damaged[0]).toMatchObject({ chunk_id: id, entries: ['changing.bin'] });
        }
      },
    );
  });

  it('a directory test restore restores to a scratch directory, compares every file, and removes it', async () => {
    const result = await verify(second, { ...FULL, test_restore: true });
    expect(result.status).toBe('passed');
    expect(result.test_restore_verified).toBe(true);
    const report = result.test_restore!;
    expect(report).toMatchObject({ kind: 'directory', cleaned_up: true, mismatches: [] });
    expect(report.compared.map((c) => c.name).sort()).toEqual(second.entries.map((e) => e.name).sort());
    expect(report.compared.every((c) => c.matched)).toBe(true);
    await expect(access(report.target)).rejects.toThrow();

    const kept = await verify(second, {
      ...FULL,
      integrity_check: false,
      test_restore: true,
      test_restore_options: { test_tables: ['docs'], cleanup_after_test: false },
    });
    expect(kept.status).toBe('passed');
    expect(kept.test_restore!.compared.map((c) => c.name).sort()).toEqual(['docs', 'docs/readme.txt']);
    expect(kept.test_restore!.target.startsWith(ws.root)).toBe(true);
    expect(await readFile(path.join(kept.test_restore!.target, 'docs', 'readme.txt'), 'utf8')).toContain(
      'hello',
    );
  });

  it('rejects a bad verification_type as an error result, not a throw', async () => {
    const result = await verify(second, { ...FULL, verification_type: '0%' });
    expect(result.status).toBe('error');
    expect(result.error?.code).toBe('invalid_request');
  });
});
