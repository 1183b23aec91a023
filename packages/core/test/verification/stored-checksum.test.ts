import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  distinctChunkIds,
  type Manifest,
  packKey,
  runBackup,
  type VerifyBackupOptions,
  verifyBackupData,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flipBlobByte, replaceBlobs, swapBlobs } from '../../../../test-support/chunk-blobs.js';
import {
  backup,
  chunkBlob,
  directorySource,
  storedChunkBytes,
  type Workspace,
  workspace,
} from './fixtures.js';

const QUICK: VerifyBackupOptions = {
  verification_type: 'quick',
  checksum_verification: true,
  integrity_check: true,
  test_restore: false,
};

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function onlyChunk(manifest: Manifest, entryName: string): string {
  const chunks = manifest.entries.find((e) => e.name === entryName)!.chunks;
  expect(chunks).toHaveLength(1);
  return chunks[0]!.id;
}

describe('checksum verification of stored bytes (stored_chunk_sha256)', () => {
  let ws: Workspace;
  /** Written by chunk-encoder worker threads (the pooled, in-slot path). */
  let first: Manifest;
  /** Incremental on `first`, written on the calling thread (encoderWorkers: 0). */
  let second: Manifest;

  beforeAll(async () => {
    ws = await workspace();
    // Below the chunker's minimum size: one chunk each, incompressible, so equal stored sizes.
    await writeFile(path.join(ws.sourceDir, 'twin-a.bin'), randomBytes(6000));
    await writeFile(path.join(ws.sourceDir, 'twin-b.bin'), randomBytes(6000));
    first = await runBackup({
      repository: ws.repository,
      source: directorySource(ws),
      context: { signal: new AbortController().signal, parent: null, full: true },
      jobId: 'job_checksum',
      backupId: `backup_${Date.now()}_workers`,
      backupType: 'full',
      compression: { algorithm: 'zstd', level: 3 },
      encoderWorkers: 2,
    });
    await writeFile(path.join(ws.sourceDir, 'changing.bin'), randomBytes(300 * 1024));
    second = await backup(ws, directorySource(ws), first);
  });
  afterAll(() => ws.cleanup());

  const quick = (m: Manifest, manifest?: Manifest) =>
    verifyBackupData({ repository: ws.repository, backupId: m.backup_id, manifest, options: QUICK });

  it("records the SHA-256 of every chunk's stored bytes, from the workers and carried over to incrementals", async () => {
    for (const m of [first, second]) {
      const digests = m.stored_chunk_sha256 ?? {};
      expect(Object.keys(digests).sort()).toEqual(distinctChunkIds(m).sort());
      for (const id of distinctChunkIds(m)) {
        expect(digests[id], id).toBe(sha256(await storedChunkBytes(ws, id)));
      }
    }
    // Reused chunks carry the parent's digest; the incremental wrote some new ones itself.
    const reused = distinctChunkIds(second).filter((id) => first.stored_chunk_sha256![id] !== undefined);
    expect(reused.length).toBeGreaterThan(0);
    expect(second.totals.new_chunks).toBeGreaterThan(0);
    expect((await quick(first)).status).toBe('passed');
    expect((await quick(second)).status).toBe('passed');
  });

  it("a same-size byte flip in a chunk's blob fails quick, naming its pack and its entry", async () => {
    const id = second.entries.find((e) => e.name === 'stable.bin')!.chunks[1]!.id;
    const { file } = await chunkBlob(ws, id);
    const pack = (await ws.repository.locateChunk(id))!.pack;
    const original = await readFile(file);
    await flipBlobByte(ws.storeDir, id, { keyProvider: ws.keys });
    try {
      const result = await quick(second);
      expect(result.status).toBe('failed');
      expect(result.checks.checksum).toBe('failed');
      expect(result.damaged).toHaveLength(1);
      expect(result.damaged[0]).toMatchObject({
        kind: 'chunk',
        chunk_id: id,
        problem: 'checksum_mismatch',
        found_by: 'checksum',
      });
      // The damaged object is the pack holding the chunk's blob.
      expect(result.damaged[0]!.key).toBe(packKey(pack));
      expect(result.damaged[0]!.object).toContain(pack);
      expect(result.damaged[0]!.entries).toContain('stable.bin');
    } finally {
      await writeFile(file, original);
    }
    expect((await quick(second)).status).toBe('passed');
  });

  it('two swapped chunk blobs of equal size fail quick, both named', async () => {
    const a = onlyChunk(first, 'twin-a.bin');
    const b = onlyChunk(first, 'twin-b.bin');
    expect(first.stored_chunks![a]).toBe(first.stored_chunks![b]);
    const [fa, fb] = [(await chunkBlob(ws, a)).file, (await chunkBlob(ws, b)).file];
    const [ba, bb] = [await readFile(fa), await readFile(fb)];
    await swapBlobs(ws.storeDir, a, b, ws.keys);
    try {
      const result = await quick(first);
      expect(result.status).toBe('failed');
      expect(result.damaged.map((d) => [d.chunk_id, d.problem, d.entries]).sort()).toEqual(
        [
          [a, 'checksum_mismatch', ['twin-a.bin']],
          [b, 'checksum_mismatch', ['twin-b.bin']],
        ].sort(),
      );
    } finally {
      await writeFile(fa, ba);
      await writeFile(fb, bb);
    }
    expect((await quick(first)).status).toBe('passed');
  });

  it('manifests without digests still verify existence and size', async () => {
    const old: Manifest = { ...second, stored_chunk_sha256: undefined };
    expect((await quick(second, old)).status).toBe('passed');
    const id = second.entries.find((e) => e.name === 'stable.bin')!.chunks[0]!.id;
    // The chunk stored one byte short: its pack rewritten so, the header listing the shorter blob.
    const original = await storedChunkBytes(ws, id);
    const putBack = await replaceBlobs(
      ws.storeDir,
      new Map([[id, original.subarray(0, original.length - 1)]]),
      ws.keys,
    );
    ws.repository.forgetIndex();
    try {
      expect((await ws.repository.locateChunk(id))!.length).toBe(original.length - 1);
      const result = await quick(second, old);
      expect(result.status).toBe('failed');
      expect(result.damaged.map((d) => [d.chunk_id, d.problem])).toEqual([[id, 'size_mismatch']]);
    } finally {
      await putBack();
      ws.repository.forgetIndex();
    }
    const older: Manifest = { ...old, stored_chunks: undefined };
    expect((await quick(second, older)).status).toBe('passed');
  });
});
