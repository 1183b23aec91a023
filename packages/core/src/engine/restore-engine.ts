import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { BackupError, toBackupError } from '../errors.js';
import type { ChunkReader } from '../repository/chunk-decoder.js';
import type { Manifest, ManifestEntry } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import type { EntryRestoreResult, RestoreRunContext, RestoreTarget } from '../sources/backup-source.js';
import { abortedError, linkedAbortController } from '../util/abort.js';
import { forEachConcurrent } from '../util/concurrency.js';
import { giveBack } from '../util/lent-buffers.js';
import { chunkRefsFunction } from './content-ids.js';
import { ProgressMeter, type TransferProgress } from './progress.js';

export interface RunRestoreOptions {
  repository: Repository;
  manifest: Manifest;
  target: RestoreTarget;
  /** Entries to restore (default: all of the manifest's). */
  entries?: ManifestEntry[];
  /** Restore options handed to the target. */
  options?: Record<string, unknown>;
  onProgress?: (progress: TransferProgress) => void;
  signal?: AbortSignal;
  /** Chunks fetched ahead of the one being written, per entry (default 4). */
  chunkPrefetch?: number;
  /**
   * Worker threads that decrypt, decompress and check chunks (default: the available
   * parallelism, at most 4); 0 does it on the main thread.
   */
  decoderWorkers?: number;
  /** Minimum milliseconds between progress callbacks (default 200; the final one always fires). */
  progressIntervalMs?: number;
}

export interface RestoreResult {
  entries: EntryRestoreResult[];
  /** Sum of the entries' records (rows, files). */
  records: number;
  /** Plaintext bytes streamed to the target. */
  bytes: number;
  /** What `target.finish` returned. */
  details: Record<string, unknown>;
}

/**
 * Streams each entry's verified plaintext, in chunk order, into the target. Each chunk is
 * authenticated and its id re-checked; the entry's SHA-256 is checked before its last bytes
 * are handed over, so a target never completes an entry whose content is wrong.
 * @throws BackupError `integrity_error` naming the chunk or entry, `aborted`, `key_not_found` /
 * `key_mismatch`, or the target's errors.
 */
export async function runRestore(options: RunRestoreOptions): Promise<RestoreResult> {
  const { repository, manifest, target } = options;
  const entries = options.entries ?? manifest.entries;
  const { controller, dispose } = linkedAbortController(options.signal);
  const signal = controller.signal;
  const context: RestoreRunContext = {
    signal,
    manifest,
    entries,
    options: options.options ?? {},
    chunkRefsOf: chunkRefsFunction(repository, manifest),
  };
  const meter = new ProgressMeter(
    entries.reduce((sum, e) => sum + e.size, 0),
    options.progressIntervalMs ?? 200,
  );
  meter.entriesTotal = entries.length;
  const report = (force = false, complete = false) => {
    if (options.onProgress && meter.due(force)) options.onProgress(meter.snapshot(complete));
  };
  const prefetch = Math.max(1, Math.floor(options.chunkPrefetch ?? 4));
  let reader: ChunkReader | undefined;
  try {
    reader = repository.createChunkReader({ workers: defaultWorkers(options.decoderWorkers) });
    const activeReader = reader;
    await target.prepare(context);
    const results: EntryRestoreResult[] = [];
    const lanes = Math.max(1, target.parallelism);
    const order = entries.map((entry, index): [ManifestEntry, number, number] => [
      entry,
      index,
      target.restoreCost?.(entry) ?? entry.size,
    ]);
    // Costliest first: the cheap entries then fill in at the end, instead of one long entry
    // loading alone after the others are done.
    if (lanes > 1) order.sort((a, b) => b[2] - a[2]);
    await forEachConcurrent(order, lanes, async ([entry, index]) => {
      if (signal.aborted) throw abortedError(signal);
      try {
        results[index] = await restoreEntry(entry, {
          reader: activeReader,
          target,
          context,
          prefetch,
          onBytes: (n) => {
            meter.bytesDone += n;
            report();
          },
        });
      } catch (error) {
        controller.abort(error);
        throw error;
      }
      meter.entriesDone++;
      report();
    });
    if (signal.aborted) throw abortedError(signal);
    const details = await target.finish(context);
    report(true, true);
    return {
      entries: results,
      records: results.reduce((sum, r) => sum + r.records, 0),
      bytes: meter.bytesDone,
      details,
    };
  } catch (error) {
    if (options.signal?.aborted) throw abortedError(options.signal);
    throw toBackupError(error, 'restore_failed');
  } finally {
    dispose();
    try {
      await target.close();
    } finally {
      await reader?.close();
    }
  }
}

function defaultWorkers(requested: number | undefined): number {
  return Math.max(0, Math.floor(requested ?? Math.min(4, availableParallelism())));
}

interface RestoreEntryContext {
  reader: ChunkReader;
  target: RestoreTarget;
  context: RestoreRunContext;
  prefetch: number;
  onBytes: (bytes: number) => void;
}

async function restoreEntry(entry: ManifestEntry, ctx: RestoreEntryContext): Promise<EntryRestoreResult> {
  const hasContent = entry.chunks.length > 0 || entry.sha256 !== undefined;
  if (!hasContent) return ctx.target.restoreEntry(entry, null, ctx.context);
  const state: { failure?: BackupError; complete: boolean } = { complete: false };
  const content = Readable.from(
    verifiedContent(entry, ctx.reader, ctx.prefetch, ctx.context.signal, state, ctx.onBytes),
    { objectMode: false, highWaterMark: 1 },
  );
  // The target may not be listening yet when a cancellation destroys the stream; its own
  // read then reports the error, so an unobserved 'error' event must not crash the process.
  content.on('error', () => {});
  const onAbort = () => content.destroy(abortedError(ctx.context.signal));
  ctx.context.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await ctx.target.restoreEntry(entry, content, ctx.context);
    // Our verdict wins over however the target reported (or swallowed) a broken stream.
    if (state.failure) throw state.failure;
    return result;
  } catch (error) {
    throw state.failure ?? error;
  } finally {
    ctx.context.signal.removeEventListener('abort', onAbort);
    if (!content.destroyed) content.destroy();
  }
}

/**
 * Yields the entry's chunks in order, `prefetch` fetched ahead, each verified; checks the
 * entry's size and (when the manifest has one) its SHA-256 before the last chunk is yielded.
 */
async function* verifiedContent(
  entry: ManifestEntry,
  reader: ChunkReader,
  prefetch: number,
  signal: AbortSignal,
  state: { failure?: BackupError; complete: boolean },
  onBytes: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  const refs = entry.chunks;
  const queue: Promise<Buffer>[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length < prefetch && next < refs.length) {
      const pending = reader.getChunk(refs[next++]!.id, { signal });
      pending.catch(() => {}); // observed when its turn comes
      queue.push(pending);
    }
  };
  // Without a recorded SHA-256 the ordered, id-checked chunks already pin the content.
  const hash = entry.sha256 === undefined ? null : createHash('sha256');
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

export interface VerifyChunksOptions {
  signal?: AbortSignal;
  /** Chunks read at once (default 4). */
  concurrency?: number;
  /** Worker threads that decrypt, decompress and check chunks (default: available parallelism, at most 4). */
  decoderWorkers?: number;
  onProgress?: (progress: { chunksDone: number; chunksTotal: number; bytesDone: number }) => void;
}

export interface VerifyChunksResult {
  chunks: number;
  /** Plaintext bytes authenticated. */
  bytes: number;
}

/**
 * Reads and authenticates every distinct chunk the entries reference (decrypt, decompress,
 * id re-check, size against the manifest), without a target.
 * @throws BackupError `integrity_error` naming the first bad chunk and an entry using it.
 */
export async function verifyChunks(
  repository: Repository,
  manifest: Manifest,
  entries: ManifestEntry[] = manifest.entries,
  options: VerifyChunksOptions = {},
): Promise<VerifyChunksResult> {
  const chunks = new Map<string, { size: number; entry: string }>();
  for (const entry of entries) {
    for (const ref of entry.chunks)
      if (!chunks.has(ref.id)) chunks.set(ref.id, { size: ref.size, entry: entry.name });
  }
  const { controller, dispose } = linkedAbortController(options.signal);
  let done = 0;
  let bytes = 0;
  const reader = repository.createChunkReader({ workers: defaultWorkers(options.decoderWorkers) });
  try {
    await forEachConcurrent(chunks.entries(), Math.max(1, options.concurrency ?? 4), async ([id, ref]) => {
      if (controller.signal.aborted) throw abortedError(controller.signal);
      let plaintext: Buffer;
      try {
        plaintext = await reader.getChunk(id, { signal: controller.signal });
      } catch (error) {
        controller.abort(error);
        if (error instanceof BackupError && error.code === 'integrity_error') {
          throw new BackupError('integrity_error', `Entry "${ref.entry}": ${error.message}`, {
            details: { ...error.details, entry: ref.entry, backup_id: manifest.backup_id },
            cause: error,
          });
        }
        throw error;
      }
      // Only read to be checked: its pooled memory can be reused at once.
      const length = plaintext.length;
      giveBack(plaintext);
      if (length !== ref.size) {
        throw new BackupError(
          'integrity_error',
          `Chunk ${id} has ${length} bytes, the manifest says ${ref.size}`,
          {
            details: { chunk_id: id, entry: ref.entry, backup_id: manifest.backup_id },
          },
        );
      }
      done++;
      bytes += length;
      options.onProgress?.({ chunksDone: done, chunksTotal: chunks.size, bytesDone: bytes });
    });
  } catch (error) {
    if (options.signal?.aborted) throw abortedError(options.signal);
    throw toBackupError(error);
  } finally {
    dispose();
    await reader.close();
  }
  return { chunks: done, bytes };
}
