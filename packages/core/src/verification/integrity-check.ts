import { createHash } from 'node:crypto';
import { BackupError, isBackupError } from '../errors.js';
import type { Manifest, ManifestEntry } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { forEachConcurrent } from '../util/concurrency.js';
import { distinctChunkIds } from './checksum-check.js';
import type { DamageCollector } from './damage-report.js';
import { chunkBucket } from './read-data-subset.js';

export interface IntegrityCheckOptions {
  repository: Repository;
  manifest: Manifest;
  damage: DamageCollector;
  signal?: AbortSignal;
  /** Entries read at once (full check) or chunks read at once (subset); default 4. */
  concurrency?: number;
  /** Chunks fetched ahead within an entry (default 4). */
  prefetch?: number;
  onBytes?: (bytes: number) => void;
}

export interface IntegrityCheckResult {
  chunksRead: number;
  bytesRead: number;
  entriesVerified: number;
}

/**
 * Reads one chunk as a restore would (decrypt, authenticate, decompress, id re-check, size),
 * turning `integrity_error` into a damage finding. Returns null when the chunk is damaged.
 * @throws BackupError anything that is not damage (storage unreachable, key missing, aborted).
 */
async function readChunk(
  repository: Repository,
  id: string,
  expectedSize: number,
  damage: DamageCollector,
  signal: AbortSignal | undefined,
): Promise<Buffer | null> {
  if (damage.hasChunk(id)) return null;
  let plaintext: Buffer;
  try {
    plaintext = await repository.getChunk(id, { signal });
  } catch (error) {
    if (!isBackupError(error, 'integrity_error') || signal?.aborted) throw error;
    damage.add({
      kind: 'chunk',
      chunk_id: id,
      problem: error.details?.missing === true ? 'missing' : 'corrupt',
      detail: error.message,
      found_by: 'integrity',
    });
    return null;
  }
  if (plaintext.length !== expectedSize) {
    damage.add({
      kind: 'chunk',
      chunk_id: id,
      problem: 'corrupt',
      detail: `Chunk ${id} has ${plaintext.length} bytes, the manifest says ${expectedSize}`,
      found_by: 'integrity',
    });
    return null;
  }
  return plaintext;
}

/**
 * Full integrity check: every chunk of every entry is read, authenticated and decompressed, and
 * every entry's SHA-256 and size are recomputed against the manifest. Every damaged chunk is
 * found (the check does not stop at the first), each once.
 * @throws BackupError storage errors, `key_not_found` / `key_mismatch`, `aborted`.
 */
export async function checkAllEntries(options: IntegrityCheckOptions): Promise<IntegrityCheckResult> {
  const totals: IntegrityCheckResult = { chunksRead: 0, bytesRead: 0, entriesVerified: 0 };
  await forEachConcurrent(options.manifest.entries, Math.max(1, options.concurrency ?? 4), async (entry) => {
    if (await checkEntry(entry, options, totals)) totals.entriesVerified++;
  });
  return totals;
}

async function checkEntry(
  entry: ManifestEntry,
  options: IntegrityCheckOptions,
  totals: IntegrityCheckResult,
): Promise<boolean> {
  const { repository, damage, signal } = options;
  const refs = entry.chunks;
  const prefetch = Math.max(1, options.prefetch ?? 4);
  const queue: Promise<Buffer | null>[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length < prefetch && next < refs.length) {
      const ref = refs[next++]!;
      const pending = readChunk(repository, ref.id, ref.size, damage, signal);
      pending.catch(() => {}); // observed in order below
      queue.push(pending);
    }
  };
  // Entries recorded without a whole-content SHA-256 are pinned by their chunk ids alone (each checked on read).
  const hash = entry.sha256 === undefined ? null : createHash('sha256');
  let size = 0;
  let intact = true;
  try {
    for (let i = 0; i < refs.length; i++) {
      fill();
      const plaintext = await queue.shift()!;
      if (!plaintext) {
        intact = false;
        continue;
      }
      totals.chunksRead++;
      totals.bytesRead += plaintext.length;
      options.onBytes?.(plaintext.length);
      if (intact) {
        hash?.update(plaintext);
        size += plaintext.length;
      }
    }
  } finally {
    // A failure leaves prefetched reads running; let them settle before the caller moves on.
    await Promise.allSettled(queue);
  }
  if (!intact) return false;
  const hasContent = refs.length > 0 || entry.sha256 !== undefined;
  if (!hasContent) return true;
  if (size !== entry.size || (hash && hash.digest('hex') !== entry.sha256)) {
    damage.add({
      kind: 'entry',
      entry: entry.name,
      problem: 'entry_checksum_mismatch',
      detail:
        size !== entry.size
          ? `Entry "${entry.name}" has ${size} bytes, the manifest says ${entry.size}`
          : `Entry "${entry.name}" does not match its SHA-256`,
      found_by: 'integrity',
    });
    return false;
  }
  return true;
}

/**
 * Read-data subset: reads and authenticates only the distinct chunks in `bucket` of `buckets`.
 * Entry SHA-256s need every chunk of an entry, so they are left to full checks.
 * @throws BackupError as `checkAllEntries`.
 */
export async function checkChunkSubset(
  options: IntegrityCheckOptions & { bucket: number; buckets: number },
): Promise<IntegrityCheckResult & { selected: number }> {
  const { manifest, bucket, buckets } = options;
  if (!(Number.isInteger(bucket) && bucket >= 0 && bucket < buckets)) {
    throw new BackupError('invalid_request', `Read-data bucket ${bucket} is not in 0..${buckets - 1}`);
  }
  const sizes = new Map<string, number>();
  for (const entry of manifest.entries) for (const ref of entry.chunks) sizes.set(ref.id, ref.size);
  const selected = distinctChunkIds(manifest).filter((id) => chunkBucket(id, buckets) === bucket);
  const totals = { chunksRead: 0, bytesRead: 0, entriesVerified: 0, selected: selected.length };
  await forEachConcurrent(selected, Math.max(1, options.concurrency ?? 4), async (id) => {
    const plaintext = await readChunk(options.repository, id, sizes.get(id)!, options.damage, options.signal);
    if (!plaintext) return;
    totals.chunksRead++;
    totals.bytesRead += plaintext.length;
    options.onBytes?.(plaintext.length);
  });
  return totals;
}
