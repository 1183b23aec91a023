import { createHash } from 'node:crypto';
import { isBackupError } from '../errors.js';
import { BlobFetcher } from '../repository/blob-fetcher.js';
import type { BlobLocation } from '../repository/chunk-index.js';
import { snapshotKey } from '../repository/layout.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { forEachConcurrent } from '../util/concurrency.js';
import { Semaphore } from '../util/semaphore.js';
import type { DamageCollector, DamageFinding } from './damage-report.js';

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
  /** Chunks checked at once (default 16). */
  concurrency?: number;
  /** Blobs read and hashed at once (default 4). */
  readConcurrency?: number;
  /** After each chunk: how many are done, of how many, and which one it was. */
  onChecked?: (done: number, total: number, chunkId: string) => void;
}

/**
 * Checks every chunk the manifest references without decrypting it: a pack the index names
 * holds it, its stored size is the one recorded when the backup was written
 * (`manifest.stored_chunks`), and its stored bytes (its blob, read by range) hash to the
 * recorded SHA-256 (`manifest.stored_chunk_sha256`). Manifests without the records get only
 * what they hold checked (existence at least).
 * Damage goes to the collector; storage failures (unreachable, denied) throw, because they say
 * nothing about the backup.
 * @throws BackupError storage errors, `aborted`.
 */
export async function checkChunkObjects(options: ChunkObjectCheckOptions): Promise<{ checked: number }> {
  const { repository, manifest, damage, signal } = options;
  const ids = distinctChunkIds(manifest);
  const recorded = manifest.stored_chunks ?? {};
  const digests = manifest.stored_chunk_sha256 ?? {};
  const reads = new Semaphore(Math.max(1, options.readConcurrency ?? 4));
  const fetcher = new BlobFetcher(repository.driver);
  let checked = 0;
  await forEachConcurrent(ids, Math.max(1, options.concurrency ?? 16), async (id) => {
    signal?.throwIfAborted();
    const location = await repository.locateChunk(id, { signal });
    if (!location || !(await repository.loadIndex({ signal })).packs.has(location.pack)) {
      damage.add(missing(id));
    } else if (recorded[id] !== undefined && location.length !== recorded[id]) {
      damage.add({
        kind: 'chunk',
        chunk_id: id,
        problem: 'size_mismatch',
        detail: `Chunk ${id} is stored with ${location.length} bytes, the backup recorded ${recorded[id]}`,
        found_by: 'checksum',
      });
    } else if (digests[id] !== undefined) {
      const expected = digests[id].toLowerCase();
      let actual: string | undefined;
      await reads.acquire();
      try {
        actual = await sha256OfBlob(fetcher, location, signal);
      } finally {
        reads.release();
      }
      if (actual === undefined) damage.add(missing(id));
      else if (actual !== expected) {
        damage.add({
          kind: 'chunk',
          chunk_id: id,
          problem: 'checksum_mismatch',
          detail: `Chunk ${id}'s stored bytes hash to sha256:${actual}, the backup recorded sha256:${expected}`,
          found_by: 'checksum',
        });
      }
    }
    checked++;
    options.onChecked?.(checked, ids.length, id);
  });
  return { checked };
}

function missing(id: string): DamageFinding {
  return {
    kind: 'chunk',
    chunk_id: id,
    problem: 'missing',
    detail: `Chunk ${id} is missing from storage`,
    found_by: 'checksum',
  };
}

/**
 * SHA-256 hex of a blob's stored bytes (no decryption); undefined when its pack vanished.
 * @throws BackupError storage errors, `aborted`.
 */
async function sha256OfBlob(
  fetcher: BlobFetcher,
  location: BlobLocation,
  signal?: AbortSignal,
): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await fetcher.fetch(location, signal))
      .digest('hex');
  } catch (error) {
    if (isBackupError(error, 'not_found')) return undefined;
    throw error;
  }
}
