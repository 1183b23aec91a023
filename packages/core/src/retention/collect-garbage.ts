import { BackupError, isBackupError } from '../errors.js';
import { BlobFetcher } from '../repository/blob-fetcher.js';
import type { IndexedPack } from '../repository/index-format.js';
import { indexedPacks, type LoadedIndex } from '../repository/index-loader.js';
import { indexKey, packKey } from '../repository/layout.js';
import type { WrittenPack } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';
import { abortedError } from '../util/abort.js';
import { type Clock, systemClock } from '../util/clock.js';
import { forEachConcurrent } from '../util/concurrency.js';
import { acquireRepositoryLock, type RepositoryLock, type RepositoryLockOptions } from './repository-lock.js';

const DEFAULT_REPACK_THRESHOLD = 0.05;

export interface GarbageCollectionOptions {
  /**
   * Packs stored less than this long ago are neither deleted nor repacked (default 1 hour): a
   * second line of defence for writers that do not take the shared lock, and room for clock skew.
   */
  graceMs?: number;
  /** Only report what would be deleted; takes no lock and deletes nothing. */
  dryRun?: boolean;
  clock?: Clock;
  /** Options of the exclusive lock (ttl, how long to wait for running backups). */
  lock?: Omit<RepositoryLockOptions, 'clock' | 'signal'>;
  /**
   * A pack is repacked once more than this share of its blob bytes is unreferenced (default
   * 0.05, as restic's prune): below it, the space is cheaper to keep than the copy.
   */
  repackThreshold?: number;
  /** Deletes in flight at once (default 8). */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface GarbageCollectionResult {
  dry_run: boolean;
  /** Manifests whose chunks were kept. */
  snapshots: number;
  referenced_chunks: number;
  stored_chunks: number;
  /** Stored chunks no manifest references. */
  unreferenced_chunks: number;
  /** Unreferenced chunks removed, with their packs or by repacking (or, in a dry run, that would be). */
  deleted_chunks: number;
  /** Bytes of storage freed: packs deleted less the packs written by repacking. */
  deleted_bytes: number;
  /** Unreferenced chunks in packs younger than the grace window, left in place. */
  spared_recent_chunks: number;
  stored_packs: number;
  /** Packs deleted: no live chunk left, or repacked. */
  deleted_packs: number;
  /** Packs whose live chunks were copied into new packs (their unreferenced share passed the threshold). */
  repacked_packs: number;
  /** New packs written by repacking. */
  written_packs: number;
  /** Index objects replaced by a consolidated index (damaged ones included). */
  consolidated_indexes: number;
  /** Packs that could not be read (damaged and in no index): left in place, never guessed at. */
  unreadable_packs: number;
}

/**
 * Collects garbage by pack (run it after forgetting manifests). Holds the repository's exclusive
 * lock throughout, so it waits for (or, by default, refuses to run beside) backups, which hold
 * shared locks while they may reuse stored chunks. From the manifests (what is live) and the
 * chunk index: a pack with no live chunk is deleted; a pack whose unreferenced share passes
 * `repackThreshold` has its live blobs copied, unchanged, into new packs; then one consolidated
 * index replaces the old index objects, and only after that are old packs deleted — a crash at
 * any step leaves every live chunk in a pack some index or pack header names. Packs younger
 * than `graceMs` are neither deleted nor repacked. A manifest, index or pack sealed under a key
 * this process cannot open stops it before anything is deleted: unknown references are never
 * guessed.
 *
 * Throws `BackupError('conflict')` when the repository is locked by a backup (retry later),
 * `aborted`, and manifest / key / storage errors as they come.
 */
export async function collectGarbage(
  repository: Repository,
  options: GarbageCollectionOptions = {},
): Promise<GarbageCollectionResult> {
  const clock = options.clock ?? systemClock;
  const graceMs = options.graceMs ?? 60 * 60_000;
  const threshold = options.repackThreshold ?? DEFAULT_REPACK_THRESHOLD;
  const dryRun = options.dryRun === true;
  const signal = options.signal;
  const call = signal ? { signal } : {};
  const lock: RepositoryLock | null = dryRun
    ? null
    : await acquireRepositoryLock(repository.driver, 'exclusive', {
        owner: 'garbage-collection',
        ...options.lock,
        clock,
        ...(signal ? { signal } : {}),
      });
  try {
    const { referenced, snapshots } = await liveChunks(repository, signal);
    const index = await repository.refreshIndex(call);
    if (index.unreadable.length > 0) {
      const first = index.unreadable[0]!;
      throw new BackupError(
        first.error.code,
        `Garbage collection needs every key the repository uses: ${first.key} does not open (${first.error.message})`,
        { details: { ...first.error.details, object: first.key } },
      );
    }
    // Chunk ages are the store's timestamps, so measure them against the store's clock (read when
    // the lock was written) rather than this host's, which may be skewed or, in tests, simulated.
    const cutoff = (lock?.storageTime ?? clock.now()).getTime() - graceMs;
    const plan = planPacks(index, referenced, cutoff, threshold);

    let written: WrittenPack[] = [];
    if (!dryRun && lock !== null) {
      written = await repack(repository, plan.repack, referenced, lock, call);
      const rewriteIndex =
        plan.doomed.length > 0 ||
        written.length > 0 ||
        index.indexNames.length > 1 ||
        index.damagedIndexes.length > 0 ||
        index.unindexedPacks.length > 0;
      if (rewriteIndex) {
        const replaced = [...index.indexNames, ...index.damagedIndexes.map((d) => d.name)];
        lock.assertHeld();
        await repository.writeIndexes([...plan.kept, ...written], replaced, call);
        await deleteAll(repository, replaced.map(indexKey), lock, options.concurrency, signal);
        await deleteAll(repository, plan.doomed.map(packKey), lock, options.concurrency, signal);
      }
    }
    const freed = plan.doomed.reduce((sum, name) => sum + index.packs.get(name)!.size, 0);
    return {
      dry_run: dryRun,
      snapshots,
      referenced_chunks: referenced.size,
      stored_chunks: index.chunks.size,
      unreferenced_chunks: plan.unreferenced,
      deleted_chunks: plan.deletedChunks,
      // A dry run writes nothing: the live bytes repacking would copy stand in for its packs.
      deleted_bytes:
        freed - (dryRun ? plan.repackedLiveBytes : written.reduce((sum, pack) => sum + pack.bytes, 0)),
      spared_recent_chunks: plan.spared,
      stored_packs: index.packs.size,
      deleted_packs: plan.doomed.length,
      repacked_packs: plan.repack.length,
      written_packs: written.length,
      consolidated_indexes: dryRun ? 0 : index.indexNames.length + index.damagedIndexes.length,
      unreadable_packs: index.damagedPacks.length,
    };
  } finally {
    if (!dryRun) repository.forgetIndex(); // storage changed under the handle's index
    await lock?.release().catch(() => undefined);
  }
}

/** Every chunk id a committed manifest references. */
async function liveChunks(
  repository: Repository,
  signal: AbortSignal | undefined,
): Promise<{ referenced: Set<string>; snapshots: number }> {
  const referenced = new Set<string>();
  let snapshots = 0;
  const ids = await repository.listSnapshotIds({ signal });
  await forEachConcurrent(ids, 4, async (backupId) => {
    try {
      const manifest = await repository.readManifest(backupId, { signal });
      snapshots++;
      for (const entry of manifest.entries) for (const chunk of entry.chunks) referenced.add(chunk.id);
    } catch (error) {
      // Forgotten while we listed: it protects nothing any more.
      if (isBackupError(error, 'backup_not_found')) return;
      throw error;
    }
  });
  return { referenced, snapshots };
}

interface PackPlan {
  /** Packs that stay, with the blobs the index places in them. */
  kept: IndexedPack[];
  /** Packs to delete (after the new index): empty of live chunks, or repacked. */
  doomed: string[];
  /** Packs whose live blobs move to new packs. */
  repack: IndexedPack[];
  unreferenced: number;
  deletedChunks: number;
  spared: number;
  /** Blob bytes repacking copies. */
  repackedLiveBytes: number;
}

function planPacks(index: LoadedIndex, referenced: Set<string>, cutoff: number, threshold: number): PackPlan {
  const plan: PackPlan = {
    kept: [],
    doomed: [],
    repack: [],
    unreferenced: 0,
    deletedChunks: 0,
    spared: 0,
    repackedLiveBytes: 0,
  };
  for (const pack of indexedPacks(index)) {
    const { name, blobs } = pack;
    const dead = blobs.filter((blob) => !referenced.has(blob.id));
    plan.unreferenced += dead.length;
    const recent = index.packs.get(name)!.lastModified.getTime() > cutoff;
    if (dead.length > 0 && recent) plan.spared += dead.length;
    const blobBytes = blobs.reduce((sum, blob) => sum + blob.length, 0);
    const deadBytes = dead.reduce((sum, blob) => sum + blob.length, 0);
    if (!recent && dead.length === blobs.length) {
      plan.doomed.push(name);
      plan.deletedChunks += dead.length;
    } else if (!recent && dead.length > 0 && deadBytes > threshold * blobBytes) {
      plan.repack.push(pack);
      plan.doomed.push(name);
      plan.deletedChunks += dead.length;
      plan.repackedLiveBytes += blobBytes - deadBytes;
    } else {
      plan.kept.push(pack);
    }
  }
  return plan;
}

/** Copies the live blobs of `packs` (stored bytes unchanged) into new packs of the same key. */
async function repack(
  repository: Repository,
  packs: IndexedPack[],
  referenced: Set<string>,
  lock: RepositoryLock,
  call: { signal?: AbortSignal },
): Promise<WrittenPack[]> {
  const written: WrittenPack[] = [];
  const byKey = new Map<string | null, IndexedPack[]>();
  for (const pack of packs) byKey.set(pack.key, [...(byKey.get(pack.key) ?? []), pack]);
  const fetcher = new BlobFetcher(repository.driver);
  for (const [key, group] of byKey) {
    const writer = await repository.createPackWriterFor(key, call);
    try {
      for (const pack of group) {
        lock.assertHeld();
        const live = pack.blobs.filter((blob) => referenced.has(blob.id));
        // Asked for in one turn: neighbours coalesce into few range requests.
        const reads = live.map((blob) => fetcher.fetch({ pack: pack.name, ...blob }, call.signal));
        for (const read of reads) read.catch(() => {});
        for (let i = 0; i < live.length; i++) {
          await writer.add(live[i]!.id, await reads[i]!, live[i]!.size);
        }
      }
      written.push(...(await writer.finish()));
    } finally {
      await writer.settle();
    }
  }
  return written;
}

async function deleteAll(
  repository: Repository,
  keys: string[],
  lock: RepositoryLock,
  concurrency: number | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  await forEachConcurrent(keys, concurrency ?? 8, async (key) => {
    if (signal?.aborted) throw abortedError(signal);
    // Every delete happens under a lock that is still ours and fresh.
    lock.assertHeld();
    await repository.driver.delete(key, { signal });
  });
}
