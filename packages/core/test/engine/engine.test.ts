import { randomBytes } from 'node:crypto';
import {
  BackupError,
  type BackupProgress,
  type BackupRunContext,
  LocalKeyProvider,
  type LocalStorageDriver,
  type Manifest,
  Repository,
  runBackup,
  runRestore,
  type StorageDriver,
  verifyChunks,
} from '@backupkit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deletePackOf, flipBlobByte } from '../../../../test-support/chunk-blobs.js';
import {
  allFiles,
  CollectingTarget,
  type FakeEntry,
  FakeSource,
  SMALL_CHUNKS,
  tempDriver,
} from './fixtures.js';

const provider = new LocalKeyProvider({ k1: randomBytes(32) });
const SENTINEL = 'SENTINEL-7f3a-PLAINTEXT';
const RANDOM = randomBytes(700 * 1024);
let bigText: Buffer | undefined;
const bigTable = (): Buffer => {
  bigText ??= text(3 * 1024 * 1024, 1);
  return bigText;
};

let driver: LocalStorageDriver;
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ driver, root, cleanup } = await tempDriver());
});
afterEach(() => cleanup());

function text(bytes: number, seed = 1): Buffer {
  const rows: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const row = `${i}\t${SENTINEL}\t${seed}\t${(seed % 1000) / 7}\n`;
    rows.push(row);
    size += row.length;
  }
  return Buffer.from(rows.join('')).subarray(0, bytes);
}

function openRepo(encrypted = true, on: StorageDriver = driver): Promise<Repository> {
  return Repository.open(on, {
    keyProvider: provider,
    encryption: encrypted ? { enabled: true, keyId: 'k1' } : { enabled: false },
    create: true,
    chunker: SMALL_CHUNKS,
  });
}

function context(over: Partial<BackupRunContext> = {}): BackupRunContext {
  return { signal: new AbortController().signal, parent: null, full: false, ...over };
}

async function backup(
  repository: Repository,
  source: FakeSource,
  backupId: string,
  over: Partial<BackupRunContext> = {},
  extra: Partial<Parameters<typeof runBackup>[0]> = {},
): Promise<Manifest> {
  return runBackup({
    repository,
    source,
    context: context(over),
    jobId: 'job_1',
    backupId,
    backupType: over.full ? 'full' : 'incremental',
    compression: { algorithm: 'zstd', level: 3 },
    ...extra,
  });
}

async function errorOf(promise: Promise<unknown>): Promise<BackupError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BackupError);
    return error as BackupError;
  }
  throw new Error('expected a rejection');
}

const entries = (): FakeEntry[] => [
  {
    name: 'public.big',
    kind: 'table',
    data: bigTable(),
    metadata: { columns: ['a', 'b'] },
  },
  { name: 'public.random', kind: 'table', data: RANDOM, pieceSize: 1000 },
  { name: 'public.empty', kind: 'table', data: Buffer.alloc(0) },
  { name: 'dir', kind: 'directory' },
  { name: 'public.small', kind: 'table', data: Buffer.from(`${SENTINEL} one row\n`) },
];

describe('backup and restore engine', () => {
  it('round-trips entries through an encrypted repository and commits a manifest', async () => {
    const repo = await openRepo();
    const source = new FakeSource(entries(), 3);
    const progress: BackupProgress[] = [];
    const manifest = await backup(
      repo,
      source,
      'bk_1',
      {},
      { onProgress: (p) => progress.push(p), progressIntervalMs: 0 },
    );

    expect(source.closed).toBe(1);
    expect(manifest.entries.map((e) => e.name)).toEqual([
      'public.big',
      'public.random',
      'public.empty',
      'dir',
      'public.small',
    ]);
    expect(manifest.source).toEqual({ type: 'fake', password: '***' });
    expect(manifest.metadata).toEqual({ captured: 'schema' });
    expect(manifest.encryption).toEqual({ enabled: true, algorithm: 'AES-256-GCM', key_id: 'k1' });
    const big = manifest.entries[0]!;
    expect(big.metadata).toEqual({ columns: ['a', 'b'], consumed: 3 * 1024 * 1024 });
    expect(big.chunks.length).toBeGreaterThan(10);
    expect(big.chunks.reduce((n, c) => n + c.size, 0)).toBe(big.size);
    expect(manifest.entries[3]).toMatchObject({ kind: 'directory', size: 0, chunks: [] });
    expect(manifest.entries[3]!.sha256).toBeUndefined();
    const t = manifest.totals;
    expect(t.entries).toBe(5);
    expect(t.logical_bytes).toBe(3 * 1024 * 1024 + 700 * 1024 + SENTINEL.length + 9);
    expect(t.new_chunks).toBe(t.chunks);
    expect(t.new_bytes).toBe(t.logical_bytes);
    expect(t.stored_bytes).toBe(t.referenced_stored_bytes);
    expect(t.stored_bytes).toBeLessThan(t.logical_bytes);

    const files = await allFiles(root);
    // A few MiB of chunks: one pack and one index object hold them all.
    expect([...files.keys()].filter((k) => k.startsWith('data/'))).toHaveLength(1);
    expect([...files.keys()].filter((k) => k.startsWith('index/'))).toHaveLength(1);
    const indexed: string[] = [];
    for await (const chunk of (await openRepo()).listChunks()) indexed.push(chunk.id);
    expect(indexed.sort()).toEqual(
      [...new Set(manifest.entries.flatMap((e) => e.chunks.map((c) => c.id)))].sort(),
    );
    for (const [name, bytes] of files) expect(bytes.includes(SENTINEL), name).toBe(false);

    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toMatchObject({ percent: 100, bytesDone: t.logical_bytes, entriesDone: 5 });
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.bytesDone).toBeGreaterThanOrEqual(progress[i - 1]!.bytesDone);
    expect(progress.slice(0, -1).every((p) => p.percent < 100)).toBe(true);
    expect(progress.at(-1)!.estimatedCompletionAt).toBeInstanceOf(Date);

    const stored = await repo.readManifest('bk_1');
    expect(stored).toEqual(manifest);
    const target = new CollectingTarget(2);
    const restoreProgress: number[] = [];
    const result = await runRestore({
      repository: await Repository.open(driver, { keyProvider: provider }),
      manifest: stored,
      target,
      onProgress: (p) => restoreProgress.push(p.percent),
      progressIntervalMs: 0,
    });
    for (const e of entries())
      expect(target.restored.get(e.name)?.equals(e.data ?? Buffer.alloc(0)), e.name).toBe(true);
    expect(result).toMatchObject({ records: 5, bytes: t.logical_bytes, details: { ok: true } });
    expect([target.prepared, target.finished, target.closed]).toEqual([1, 1, 1]);
    expect(restoreProgress.at(-1)).toBe(100);
    expect(await verifyChunks(repo, stored)).toEqual({ chunks: t.chunks, bytes: t.new_bytes });
  });

  it('writes no new chunks when the same data is backed up again, incremental or full', async () => {
    const repo = await openRepo();
    // In-process encoding first, worker threads after: both must give the same chunk ids.
    const first = await backup(repo, new FakeSource(entries()), 'bk_1', {}, { encoderWorkers: 0 });
    const stored = (files: Map<string, Buffer>) =>
      [...files.keys()].filter((k) => k.startsWith('data/') || k.startsWith('index/')).sort();
    const before = stored(await allFiles(root));
    const second = await backup(
      await openRepo(),
      new FakeSource(entries()),
      'bk_2',
      { parent: first },
      { encoderWorkers: 2 },
    );
    expect(second.totals).toMatchObject({
      new_chunks: 0,
      new_bytes: 0,
      stored_bytes: 0,
      chunks: first.totals.chunks,
    });
    expect(second.totals.referenced_stored_bytes).toBe(first.totals.stored_bytes);
    expect(second.parent_backup_id).toBe('bk_1');
    const full = await backup(await openRepo(), new FakeSource(entries()), 'bk_3', { full: true });
    expect(full.totals).toMatchObject({ new_chunks: 0, stored_bytes: 0 });
    expect(full.totals.referenced_stored_bytes).toBe(first.totals.stored_bytes);
    const after = stored(await allFiles(root));
    expect(after).toEqual(before);
    expect(second.entries.map((e) => e.chunks)).toEqual(first.entries.map((e) => e.chunks));

    // Change a little: only nearby chunks are new.
    const edited = entries();
    const big = edited[0]!.data!;
    edited[0]!.data = Buffer.concat([
      big.subarray(0, 100_000),
      Buffer.from('new row\n'),
      big.subarray(100_000),
    ]);
    const third = await backup(await openRepo(), new FakeSource(edited), 'bk_4', { parent: first });
    expect(third.totals.new_chunks).toBeGreaterThan(0);
    expect(third.totals.new_chunks).toBeLessThanOrEqual(3);
  });

  it('stores again, full run or incremental, the chunks of a pack that vanished', async () => {
    for (const full of [true, false]) {
      const repo = await openRepo(false);
      const first = await backup(repo, new FakeSource(entries()), `bk_${full}_1`);
      const victim = first.entries[0]!.chunks[2]!.id;
      await deletePackOf(root, victim);
      const again = await backup(await openRepo(false), new FakeSource(entries()), `bk_${full}_2`, { full });
      // The one pack held every chunk of the first backup.
      expect(again.totals.new_chunks).toBe(first.totals.chunks);
      expect(await (await openRepo(false)).hasChunk(victim)).toBe(true);
    }
  });

  it('reuses the parent entry for unchanged entries without reading them, unless the run is full', async () => {
    const repo = await openRepo();
    const first = await backup(repo, new FakeSource(entries()), 'bk_1');
    const parentBig = first.entries[0]!;
    const again = entries();
    again[0]!.unchangedSince = parentBig;
    const source = new FakeSource(again);
    const second = await backup(await openRepo(), source, 'bk_2', { parent: first });
    expect(source.opened).not.toContain('public.big');
    expect(second.entries[0]).toMatchObject({
      chunks: parentBig.chunks,
      sha256: parentBig.sha256,
      size: parentBig.size,
    });
    expect(second.totals.chunks).toBe(first.totals.chunks);
    const fullSource = new FakeSource(again);
    await backup(await openRepo(), fullSource, 'bk_3', { parent: first, full: true });
    expect(fullSource.opened).toContain('public.big');

    // A parent chunk went missing (its pack, with every chunk): the entry is read again and
    // its chunks stored again ...
    await deletePackOf(root, parentBig.chunks[1]!.id, provider);
    const rereadSource = new FakeSource(again);
    const reread = await backup(await openRepo(), rereadSource, 'bk_4', { parent: first });
    expect(rereadSource.opened).toContain('public.big');
    expect(reread.totals.new_chunks).toBe(first.totals.chunks);
    // ... and when the source cannot read it again, the run fails instead of recording it empty.
    await deletePackOf(root, parentBig.chunks[1]!.id, provider);
    const unreadable = again.map((e) => (e.name === 'public.big' ? { ...e, data: undefined } : e));
    const error = await errorOf(
      backup(await openRepo(), new FakeSource(unreadable), 'bk_5', { parent: first }),
    );
    expect(error.code).toBe('corrupt_repository');
    expect(await repo.hasSnapshot('bk_5')).toBe(false);
  });

  it('fails a restore with integrity_error naming the entry when a chunk was tampered with', async () => {
    const repo = await openRepo();
    const manifest = await backup(repo, new FakeSource(entries()), 'bk_1');
    const victim = manifest.entries[0]!.chunks[3]!.id;
    await flipBlobByte(root, victim, { keyProvider: provider });
    for (const careless of [false, true]) {
      const target = new CollectingTarget(1, careless);
      const error = await errorOf(runRestore({ repository: repo, manifest, target }));
      expect(error.code).toBe('integrity_error');
      expect(error.message).toContain('public.big');
      expect(error.details).toMatchObject({ entry: 'public.big', chunk_id: victim });
      expect(target.closed).toBe(1);
      expect(target.finished).toBe(0);
    }
    const verify = await errorOf(verifyChunks(repo, manifest));
    expect(verify.code).toBe('integrity_error');
    expect(verify.details).toMatchObject({ chunk_id: victim, entry: 'public.big' });
  });

  it('fails a restore when the manifest lies about an entry SHA-256', async () => {
    const repo = await openRepo(false);
    const manifest = await backup(repo, new FakeSource(entries()), 'bk_1');
    const forged: Manifest = structuredClone(manifest);
    forged.entries[1]!.sha256 = '0'.repeat(64);
    const target = new CollectingTarget(1);
    const error = await errorOf(
      runRestore({ repository: repo, manifest: forged, target, entries: [forged.entries[1]!] }),
    );
    expect(error.code).toBe('integrity_error');
    expect(error.details.entry).toBe('public.random');
  });

  it('stops promptly when cancelled and commits nothing', async () => {
    const repo = await openRepo();
    const controller = new AbortController();
    const slow: FakeEntry[] = [{ name: 'slow', data: text(8 * 1024 * 1024), pieceSize: 16384, delayMs: 2 }];
    const source = new FakeSource(slow);
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    const error = await errorOf(backup(repo, source, 'bk_x', {}, { signal: controller.signal }));
    expect(error.code).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(source.closed).toBe(1);
    expect(await repo.listSnapshotIds()).toEqual([]);
  });

  it('propagates a source failure, closes the plan and commits nothing', async () => {
    const repo = await openRepo();
    const broken = entries();
    broken[1]!.failAfter = 100_000;
    const source = new FakeSource(broken, 2);
    const error = await errorOf(backup(repo, source, 'bk_x'));
    expect(error.message).toContain('source broke in public.random');
    expect(source.closed).toBe(1);
    expect(await repo.listSnapshotIds()).toEqual([]);
  });

  it('restores a selection of entries and stops promptly when a restore is cancelled', async () => {
    const repo = await openRepo();
    const manifest = await backup(repo, new FakeSource(entries()), 'bk_1');
    const picked = manifest.entries.filter((e) => e.name === 'public.small' || e.name === 'dir');
    const target = new CollectingTarget(1);
    const result = await runRestore({ repository: repo, manifest, target, entries: picked });
    expect([...target.restored.keys()].sort()).toEqual(['dir', 'public.small']);
    expect(result.records).toBe(2);

    const controller = new AbortController();
    const slowTarget = new CollectingTarget(1);
    const original = slowTarget.restoreEntry.bind(slowTarget);
    slowTarget.restoreEntry = async (entry, content) => {
      controller.abort();
      await new Promise((resolve) => setTimeout(resolve, 20));
      return original(entry, content);
    };
    const error = await errorOf(
      runRestore({ repository: repo, manifest, target: slowTarget, signal: controller.signal }),
    );
    expect(error.code).toBe('aborted');
    expect(slowTarget.closed).toBe(1);
    expect(slowTarget.finished).toBe(0);
  });
});
