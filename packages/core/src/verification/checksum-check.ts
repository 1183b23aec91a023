import { createHash } from 'node:crypto';
import { snapshotKey } from '../repository/layout.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { forEachConcurrent } from '../util/concurrency.js';
import type { DamageCollector } from './damage-report.js';

/** Distinct chunk ids a manifest references, in first-use order. */
export function distinctChunkIds(manifest: Manifest): string[] {
  const ids = new Set<string>();
  for (const entry of manifest.entries) for (const ref of entry.chunks) ids.add(ref.id);
  return [...ids];
}

/**
 * `sha256:<hex>` of the stored manifest object, streamed (the catalog records the same for each backup).
 * @throws BackupError `not_found` and storage errors from the driver.
 */
export async function storedManifestChecksum(
  repository: Repository,
  backupId: string,
  signal?: AbortSignal,
): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of await repository.driver.get(snapshotKey(backupId), { signal })) {
    hash.update(piece as Buffer);
  }
  return `sha256:${hash.digest('hex')}`;
}

export interface ChunkObjectCheckOptions {
  repository: Repository;
  manifest: Manifest;
  damage: DamageCollector;
  signal?: AbortSignal;
  /** head() calls in flight (default 16). */
  concurrency?: number;
  onChecked?: (done: number, total: number) => void;
}

/**
 * Checks every chunk object the manifest references without reading it: it exists, and its
 * stored size is the one recorded when the backup was written (`manifest.stored_chunks`; older
 * manifests lack it, then only existence is checked). Damage goes to the collector; storage
 * failures (unreachable, denied) throw, because they say nothing about the backup.
 * @throws BackupError storage errors, `aborted`.
 */
export async function checkChunkObjects(options: ChunkObjectCheckOptions): Promise<{ checked: number }> {
  const { repository, manifest, damage, signal } = options;
  const ids = distinctChunkIds(manifest);
  const recorded = manifest.stored_chunks ?? {};
  let checked = 0;
  await forEachConcurrent(ids, Math.max(1, options.concurrency ?? 16), async (id) => {
    signal?.throwIfAborted();
    const info = await repository.headChunk(id, { signal });
    if (!info) {
      damage.add({
        kind: 'chunk',
        chunk_id: id,
        problem: 'missing',
        detail: `Chunk ${id} is missing from storage`,
        found_by: 'checksum',
      });
    } else if (recorded[id] !== undefined && info.size !== recorded[id]) {
      damage.add({
        kind: 'chunk',
        chunk_id: id,
        problem: 'size_mismatch',
        detail: `Chunk ${id} is stored with ${info.size} bytes, the backup recorded ${recorded[id]}`,
        found_by: 'checksum',
      });
    }
    checked++;
    options.onChecked?.(checked, ids.length);
  });
  return { checked };
}
