import { createHash } from 'node:crypto';
import { isBackupError } from '../errors.js';
import { chunkKey, snapshotKey } from '../repository/layout.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import type { ObjectInfo } from '../storage/storage-driver.js';
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
  /** head() calls in flight (default 16). */
  concurrency?: number;
  /** Stored objects streamed and hashed at once (default 4; each holds one stream's buffers). */
  readConcurrency?: number;
  /** After each chunk: how many are done, of how many, and which one it was. */
  onChecked?: (done: number, total: number, chunkId: string) => void;
}

/**
 * Checks every chunk object the manifest references without decrypting it: it exists, its
 * stored size is the one recorded when the backup was written (`manifest.stored_chunks`), and
 * its stored bytes hash to the recorded SHA-256 (`manifest.stored_chunk_sha256`) — compared with
 * the store's own SHA-256 when head() returns one, else by streaming the object. Older
 * manifests lack the records; then only what they hold is checked (existence at least).
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
  let checked = 0;
  await forEachConcurrent(ids, Math.max(1, options.concurrency ?? 16), async (id) => {
    signal?.throwIfAborted();
    const info = await repository.headChunk(id, { signal });
    if (!info) {
      damage.add(missing(id));
    } else if (recorded[id] !== undefined && info.size !== recorded[id]) {
      damage.add({
        kind: 'chunk',
        chunk_id: id,
        problem: 'size_mismatch',
        detail: `Chunk ${id} is stored with ${info.size} bytes, the backup recorded ${recorded[id]}`,
        found_by: 'checksum',
      });
    } else if (digests[id] !== undefined) {
      const expected = digests[id].toLowerCase();
      let actual: string | null | undefined = storeSha256(info);
      if (actual === null) {
        await reads.acquire();
        try {
          actual = await sha256OfObject(repository, chunkKey(id), signal);
        } finally {
          reads.release();
        }
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
 * The store's own SHA-256 of the object as lowercase hex, or null when it has none to compare
 * (other algorithms such as GCS md5 / crc32c are not recorded at backup time, so they cannot be).
 */
function storeSha256(info: ObjectInfo): string | null {
  const checksum = info.checksum;
  if (checksum?.algorithm !== 'sha256') return null;
  const value = checksum.value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase();
  // Some stores (S3 ChecksumSHA256) give it as base64.
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : null;
}

/**
 * SHA-256 hex of a stored object's bytes, streamed (no decryption); undefined when it vanished
 * between head() and get().
 * @throws BackupError storage errors, `aborted`.
 */
async function sha256OfObject(
  repository: Repository,
  key: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const piece of await repository.driver.get(key, { signal })) hash.update(piece as Buffer);
  } catch (error) {
    if (isBackupError(error, 'not_found')) return undefined;
    throw error;
  }
  return hash.digest('hex');
}
