import { isBackupError } from '../errors.js';
import { CHUNKS_PREFIX, chunkIdFromKey } from '../repository/layout.js';
import type { Repository } from '../repository/repository.js';
import { abortedError } from '../util/abort.js';
import { type Clock, systemClock } from '../util/clock.js';
import { forEachConcurrent } from '../util/concurrency.js';
import { acquireRepositoryLock, type RepositoryLock, type RepositoryLockOptions } from './repository-lock.js';

export interface GarbageCollectionOptions {
  /**
   * Unreferenced chunks stored less than this long ago are spared (default 1 hour): a second
   * line of defence for writers that do not take the shared lock, and room for clock skew.
   */
  graceMs?: number;
  /** Only report what would be deleted; takes no lock and deletes nothing. */
  dryRun?: boolean;
  clock?: Clock;
  /** Options of the exclusive lock (ttl, how long to wait for running backups). */
  lock?: Omit<RepositoryLockOptions, 'clock' | 'signal'>;
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
  /** Unreferenced chunks deleted (or, in a dry run, that would be). */
  deleted_chunks: number;
  deleted_bytes: number;
  /** Unreferenced chunks younger than the grace window, left in place. */
  spared_recent_chunks: number;
}

/**
 * Deletes the chunks no remaining manifest references (run it after forgetting manifests). Holds
 * the repository's exclusive lock throughout, so it waits for (or, by default, refuses to run
 * beside) backups, which hold shared locks while they may reuse stored chunks; and it spares
 * unreferenced chunks newer than `graceMs`. A manifest it cannot read stops it before anything is
 * deleted: unknown references are never guessed.
 *
 * Throws `BackupError('conflict')` when the repository is locked by a backup (retry later),
 * `aborted`, and manifest / storage errors as they come.
 */
export async function collectGarbage(
  repository: Repository,
  options: GarbageCollectionOptions = {},
): Promise<GarbageCollectionResult> {
  const clock = options.clock ?? systemClock;
  const graceMs = options.graceMs ?? 60 * 60_000;
  const dryRun = options.dryRun === true;
  const signal = options.signal;
  const lock: RepositoryLock | null = dryRun
    ? null
    : await acquireRepositoryLock(repository.driver, 'exclusive', {
        owner: 'garbage-collection',
        ...options.lock,
        clock,
        ...(signal ? { signal } : {}),
      });
  try {
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

    // Chunk ages are the store's timestamps, so measure them against the store's clock (read when
    // the lock was written) rather than this host's, which may be skewed or, in tests, simulated.
    const cutoff = (lock?.storageTime ?? clock.now()).getTime() - graceMs;
    const doomed: Array<{ id: string; bytes: number }> = [];
    let stored = 0;
    let unreferenced = 0;
    let spared = 0;
    for await (const info of repository.driver.list(CHUNKS_PREFIX, { signal })) {
      const id = chunkIdFromKey(info.key);
      if (id === null) continue;
      stored++;
      if (referenced.has(id)) continue;
      unreferenced++;
      if (info.lastModified.getTime() > cutoff) spared++;
      else doomed.push({ id, bytes: info.size });
    }

    let deleted = 0;
    let deletedBytes = 0;
    if (!dryRun && lock !== null) {
      await forEachConcurrent(doomed, options.concurrency ?? 8, async (chunk) => {
        if (signal?.aborted) throw abortedError(signal);
        // Every delete happens under a lock that is still ours and fresh.
        lock.assertHeld();
        await repository.deleteChunk(chunk.id, { signal });
        deleted++;
        deletedBytes += chunk.bytes;
      });
    } else {
      deleted = doomed.length;
      deletedBytes = doomed.reduce((sum, c) => sum + c.bytes, 0);
    }
    return {
      dry_run: dryRun,
      snapshots,
      referenced_chunks: referenced.size,
      stored_chunks: stored,
      unreferenced_chunks: unreferenced,
      deleted_chunks: deleted,
      deleted_bytes: deletedBytes,
      spared_recent_chunks: spared,
    };
  } finally {
    await lock?.release().catch(() => undefined);
  }
}
