import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { BackupError, toBackupError } from '../errors.js';
import type { ChunkReader } from '../repository/chunk-decoder.js';
import type { Manifest, ManifestEntry } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import type {
  EntryPartContents,
  EntryRestoreResult,
  RestoreRunContext,
  RestoreTarget,
} from '../sources/backup-source.js';
import { abortedError, linkedAbortController } from '../util/abort.js';
import { forEachConcurrent } from '../util/concurrency.js';
import { giveBack } from '../util/lent-buffers.js';
import { chunkRefsFunction } from './content-ids.js';
import { entryPartSlices } from './entry-parts.js';
import { ProgressMeter, type TransferProgress } from './progress.js';
import { type ContentState, verifiedContent } from './verified-content.js';
import { WorkLedger } from './work-ledger.js';

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
  /** Chunks fetched ahead of the one being written, per entry (default: 4 over the entries restored at once, at least 1). */
  chunkPrefetch?: number;
  /**
   * Worker threads that decrypt, decompress and check chunks (default: the available
   * parallelism, at most 4); 0 does it on the main thread.
   */
  decoderWorkers?: number;
  /** Minimum milliseconds between progress callbacks (default 200; the final one always fires). */
  progressIntervalMs?: number;
  /**
   * Reads and authenticates every chunk of the entries once the target has checked it can take
   * them, before anything is written (`verify_before_restore`): see `verifyChunks`.
   */
  verifyFirst?: boolean;
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
  const meter = new ProgressMeter(
    entries.reduce((sum, e) => sum + e.size, 0),
    options.progressIntervalMs ?? 200,
  );
  meter.entriesTotal = entries.length;
  const streams = entries.reduce((sum, e) => sum + Math.max(1, e.parts?.length ?? 0), 0);
  const parted = new Set(entries.filter((e) => (e.parts?.length ?? 0) > 0).map((e) => entryPart(e.name)));
  const work = new WorkLedger();
  const report = (force = false, complete = false) => {
    if (!options.onProgress || !meter.due(force)) return;
    meter.workDone = work.done;
    meter.workTotal = work.total;
    meter.schedule = {
      // An entry stored in parts may load on several lanes at once.
      lanes: Math.max(1, Math.min(target.parallelism, streams)),
      // One stored in parts spreads over lanes: not an entry that must end on one.
      longest: work.largestRemaining((part) => part.startsWith(ENTRY_PREFIX) && !parted.has(part)),
      after: work.remaining(FINISH),
    };
    options.onProgress(meter.snapshot(complete));
  };
  const context: RestoreRunContext = {
    signal,
    manifest,
    entries,
    options: options.options ?? {},
    chunkRefsOf: chunkRefsFunction(repository, manifest),
    reportWork: (units, entry) => {
      meter.working();
      work.credit(entry === undefined ? FINISH : entryPart(entry), units);
      report();
    },
  };
  // Default: 4 chunks fetched ahead over all the entries restored at once (at least 1 per
  // entry). Each holds decoding memory (up to the maximum chunk size) until written, as do the
  // chunk each entry's stream buffers and the one its target is writing: 4 ahead per entry over
  // 4 entries kept ~70 MiB of it resident, and ran out of slots into fresh buffers.
  const ahead = Math.ceil(4 / Math.max(1, target.parallelism));
  const prefetch = Math.max(1, Math.floor(options.chunkPrefetch ?? Math.min(4, ahead)));
  let reader: ChunkReader | undefined;
  const stopHeartbeat = meter.heartbeat(() => report());
  try {
    await target.prepare(context);
    const order = entries.map((entry, index): [ManifestEntry, number, number] => [
      entry,
      index,
      target.restoreCost?.(entry) ?? entry.size,
    ]);
    // Progress counts the bytes streamed at least, whatever the target prices.
    for (const [entry, , cost] of order) work.add(entryPart(entry.name), Math.max(entry.size, cost));
    work.add(FINISH, target.finishCost?.() ?? 0);
    if (options.verifyFirst) {
      await verifyBeforeWriting(options, entries, work, signal, () => {
        meter.working();
        report();
      });
    }
    reader = repository.createChunkReader({ workers: defaultWorkers(options.decoderWorkers) });
    const activeReader = reader;
    const results: EntryRestoreResult[] = [];
    const lanes = Math.max(1, target.parallelism);
    // Costliest first: the cheap entries then fill in at the end, instead of one long entry
    // loading alone after the others are done.
    if (lanes > 1) order.sort((a, b) => b[2] - a[2]);
    await forEachConcurrent(order, lanes, async ([entry, index]) => {
      if (signal.aborted) throw abortedError(signal);
      const part = entryPart(entry.name);
      try {
        results[index] = await restoreEntry(entry, {
          reader: activeReader,
          target,
          context,
          prefetch,
          onBytes: (n) => {
            meter.working();
            meter.bytesDone += n;
            work.credit(part, n);
            report();
          },
        });
      } catch (error) {
        controller.abort(error);
        throw error;
      }
      work.settle(part);
      meter.entriesDone++;
      report();
    });
    if (signal.aborted) throw abortedError(signal);
    const details = await target.finish(context);
    work.settle(FINISH);
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
    stopHeartbeat();
    dispose();
    try {
      await target.close();
    } finally {
      await reader?.close();
    }
  }
}

/*
 * Reading and checking a chunk before the restore (decrypt, decompress, id check) against
 * restoring its bytes: on the benchmark dataset into PostgreSQL the check ran at 250 MB/s where
 * the restore did 60-140 MB/s of priced work. Counted 1:1, the fast check made the early rate,
 * and so the ETA, 25% too optimistic.
 */
const VERIFY_COST_PER_BYTE = 0.5;

/** Ledger parts: one per entry, one for the target's finish(), one for the checks before. */
const FINISH = 'finish';
const VERIFY = 'verify';
const ENTRY_PREFIX = 'entry:';
const entryPart = (name: string) => `${ENTRY_PREFIX}${name}`;

/** `verifyFirst`: every chunk read and checked, as part of the run's progress. */
async function verifyBeforeWriting(
  options: RunRestoreOptions,
  entries: ManifestEntry[],
  work: WorkLedger,
  signal: AbortSignal,
  report: () => void,
): Promise<void> {
  const distinct = new Map<string, number>();
  for (const entry of entries) for (const ref of entry.chunks) distinct.set(ref.id, ref.size);
  const bytes = [...distinct.values()].reduce((sum, size) => sum + size, 0);
  work.add(VERIFY, bytes * VERIFY_COST_PER_BYTE);
  let credited = 0;
  await verifyChunks(options.repository, options.manifest, entries, {
    signal,
    ...(options.decoderWorkers === undefined ? {} : { decoderWorkers: options.decoderWorkers }),
    onProgress: ({ bytesDone }) => {
      work.credit(VERIFY, (bytesDone - credited) * VERIFY_COST_PER_BYTE);
      credited = bytesDone;
      report();
    },
  });
  work.settle(VERIFY);
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
  if (entry.parts && entry.parts.length > 0) return restoreEntryParts(entry, ctx);
  const hasContent = entry.chunks.length > 0 || entry.sha256 !== undefined;
  if (!hasContent) return ctx.target.restoreEntry(entry, null, ctx.context);
  const state: ContentState = { complete: false };
  const content = openContent(entry, ctx, state);
  try {
    const result = await ctx.target.restoreEntry(entry, content, ctx.context);
    // Our verdict wins over however the target reported (or swallowed) a broken stream.
    if (state.failure) throw state.failure;
    return result;
  } catch (error) {
    throw state.failure ?? error;
  } finally {
    if (!content.destroyed) content.destroy();
  }
}

/** An entry stored in parts: the target opens each part's verified content when it is ready for it. */
async function restoreEntryParts(
  entry: ManifestEntry,
  ctx: RestoreEntryContext,
): Promise<EntryRestoreResult> {
  const target = ctx.target;
  if (!target.restoreEntryParts) {
    throw new BackupError(
      'not_implemented',
      `Entry "${entry.name}" was backed up in ${entry.parts!.length} parts, which this target cannot restore`,
      { details: { entry: entry.name } },
    );
  }
  const slices = entryPartSlices(entry);
  const state: ContentState = { complete: false };
  const opened: Readable[] = [];
  const parts: EntryPartContents = {
    count: slices.length,
    open: (index) => {
      const slice = slices[index];
      if (!slice || opened[index])
        throw new BackupError('internal_error', `Part ${index} of "${entry.name}" opened twice or unknown`);
      opened[index] = openContent(slice, ctx, state);
      return opened[index];
    },
  };
  try {
    const result = await target.restoreEntryParts(entry, parts, ctx.context);
    if (state.failure) throw state.failure;
    return result;
  } catch (error) {
    throw state.failure ?? error;
  } finally {
    for (const content of opened) if (content && !content.destroyed) content.destroy();
  }
}

/** The entry's verified content as a stream, destroyed when the run is cancelled. */
function openContent(entry: ManifestEntry, ctx: RestoreEntryContext, state: ContentState): Readable {
  const content = Readable.from(
    verifiedContent(entry, ctx.reader, ctx.prefetch, ctx.context.signal, state, ctx.onBytes),
    { objectMode: false, highWaterMark: 1 },
  );
  // The target may not be listening yet when a cancellation destroys the stream; its own
  // read then reports the error, so an unobserved 'error' event must not crash the process.
  content.on('error', () => {});
  const signal = ctx.context.signal;
  const onAbort = () => content.destroy(abortedError(signal));
  signal.addEventListener('abort', onAbort, { once: true });
  content.once('close', () => signal.removeEventListener('abort', onAbort));
  return content;
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
        plaintext = await reader.getChunk(id, { signal: controller.signal, size: ref.size });
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
