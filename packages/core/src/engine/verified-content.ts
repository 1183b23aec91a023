import { createHash } from 'node:crypto';
import { BackupError } from '../errors.js';
import type { ChunkReader } from '../repository/chunk-decoder.js';
import type { ManifestEntry } from '../repository/manifest.js';
import { giveBack } from '../util/lent-buffers.js';
import { LentWindow } from './lent-window.js';

/** How an entry's content stream ended: the integrity failure it met, or whole. */
export interface ContentState {
  failure?: BackupError;
  complete: boolean;
}

/**
 * Yields the entry's chunks in order, `prefetch` fetched ahead, each verified; checks the
 * entry's size and (when the manifest has one) its SHA-256 before the last chunk is yielded.
 */
export async function* verifiedContent(
  entry: ManifestEntry,
  reader: ChunkReader,
  prefetch: number,
  signal: AbortSignal,
  state: ContentState,
  onBytes: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  const refs = entry.chunks;
  // Read in spans of neighbouring blobs (a backup keeps an entry's chunks together in packs).
  const sequence = reader.sequence(
    refs.map((ref) => ref.id),
    { signal },
  );
  const queue: Promise<Buffer>[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length < prefetch && next < refs.length) {
      const ref = refs[next];
      const pending = sequence.get(next++, ref!.size);
      pending.catch(() => {}); // observed when its turn comes
      queue.push(pending);
    }
  };
  // Without a recorded SHA-256 the ordered, id-checked chunks already pin the content.
  const hash = entry.sha256 === undefined ? null : createHash('sha256');
  const window = new LentWindow(2);
  let size = 0;
  const fail = (message: string, cause?: unknown): BackupError => {
    state.failure = new BackupError('integrity_error', message, {
      details: { entry: entry.name, ...(cause instanceof BackupError ? cause.details : {}) },
      cause,
    });
    return state.failure;
  };
  try {
    for (let i = 0; i < refs.length; i++) {
      await window.room(signal);
      fill();
      let chunk: Buffer;
      try {
        chunk = await queue.shift()!;
      } catch (error) {
        if (error instanceof BackupError && error.code === 'integrity_error') {
          throw fail(`Entry "${entry.name}": ${error.message}`, error);
        }
        throw error;
      }
      if (chunk.length !== refs[i]!.size) {
        giveBack(chunk);
        throw fail(
          `Entry "${entry.name}": chunk ${refs[i]!.id} has ${chunk.length} bytes, the manifest says ${refs[i]!.size}`,
        );
      }
      hash?.update(chunk);
      size += chunk.length;
      if (i === refs.length - 1) checkEntry(entry, hash?.digest('hex'), size, fail);
      fill();
      window.handOver(chunk);
      yield chunk;
      onBytes(chunk.length);
    }
    if (refs.length === 0) checkEntry(entry, hash?.digest('hex'), 0, fail);
    state.complete = true;
  } finally {
    // Fetched but never handed over (a failure, or a target that stopped reading): their pooled
    // memory can be reused at once.
    for (const pending of queue) pending.then(giveBack, () => {});
  }
}

function checkEntry(
  entry: ManifestEntry,
  sha256: string | undefined,
  size: number,
  fail: (message: string) => BackupError,
) {
  if (size !== entry.size)
    throw fail(`Entry "${entry.name}" restored ${size} bytes, the manifest says ${entry.size}`);
  if (entry.sha256 !== undefined && sha256 !== entry.sha256) {
    throw fail(`Entry "${entry.name}" does not match its SHA-256`);
  }
}
