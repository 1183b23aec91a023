import { indexKey } from '../repository/layout.js';
import type { Repository } from '../repository/repository.js';
import { type RepositoryLockOptions, withRepositoryLock } from '../retention/repository-lock.js';

export interface IndexRepairResult {
  /** Packs no readable index covered, now indexed from their own headers. */
  packs_indexed: number;
  chunks_indexed: number;
  /** Damaged index objects, deleted once their packs were indexed anew. */
  damaged_indexes_removed: number;
  /** Index objects written. */
  indexes_written: number;
  /** Packs in no index whose header does not read either: left as they are (names). */
  unreadable_packs: string[];
}

/**
 * Rebuilds the index from pack headers: every pack no readable index object covers (a crashed
 * run's, or a lost or damaged index object's) is indexed from its own header, and damaged index
 * objects are then deleted. Readers already fall back to pack headers on their own; this makes
 * the repair last. Runs under the repository's shared lock, so never beside garbage collection.
 * @throws BackupError `conflict` while garbage collection holds the repository, storage and key errors.
 */
export async function repairIndex(
  repository: Repository,
  options: { signal?: AbortSignal; lock?: Omit<RepositoryLockOptions, 'signal'> } = {},
): Promise<IndexRepairResult> {
  const call = options.signal ? { signal: options.signal } : {};
  return withRepositoryLock(
    repository.driver,
    'shared',
    async (lock) => {
      const loaded = await repository.refreshIndex(call);
      const damaged = loaded.damagedIndexes.map((d) => d.name);
      const packs = loaded.unindexedPacks;
      let written: string[] = [];
      if (packs.length > 0 || damaged.length > 0) {
        lock.assertHeld();
        written = await repository.writeIndexes(packs, damaged, call);
        for (const name of damaged) await repository.driver.delete(indexKey(name), call);
        repository.forgetIndex();
      }
      return {
        packs_indexed: packs.length,
        chunks_indexed: packs.reduce((sum, pack) => sum + pack.blobs.length, 0),
        damaged_indexes_removed: damaged.length,
        indexes_written: written.length,
        unreadable_packs: loaded.damagedPacks.map((d) => d.name).sort(),
      };
    },
    { owner: 'index-repair', ...options.lock, ...call },
  );
}
