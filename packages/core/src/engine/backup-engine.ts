import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { BackupError, toBackupError } from '../errors.js';
import { inPhase, type PhaseTimeline } from '../monitoring/phase-timeline.js';
import { ChunkBufferPool } from '../repository/chunk-buffer-pool.js';
import type { ChunkEncoder } from '../repository/chunk-encoder.js';
import { chunkStream } from '../repository/chunker.js';
import { type CompressionSetting, normalizeCompression } from '../repository/compression.js';
import type { ChunkRef, Manifest, ManifestEntry } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import type { BackupRunContext, BackupRunPlan, BackupSource, SourceEntry } from '../sources/backup-source.js';
import { abortedError, linkedAbortController } from '../util/abort.js';
import { forEachConcurrent } from '../util/concurrency.js';
import { ChunkWriter } from './chunk-writer.js';
import { readWork } from './entry-parts.js';
import { type BackupProgress, ProgressMeter } from './progress.js';
import { SizeEstimate } from './size-estimate.js';

export interface RunBackupOptions {
  repository: Repository;
  source: BackupSource;
  /** Passed to `source.open`; its signal cancels the run too. */
  context: BackupRunContext;
  jobId: string;
  backupId: string;
  backupType: Manifest['backup_type'];
  compression: CompressionSetting;
  onProgress?: (progress: BackupProgress) => void;
  signal?: AbortSignal;
  /** Chunks in flight at once, from hashing to stored (default: 2 per encoder worker + 2, at least 4). */
  chunkConcurrency?: number;
  /**
   * Chunk memory in flight at once, from cutting to stored (default 32 MiB, whatever the number
   * of workers): bounds the run's memory. A chunk pins a buffer of the chunker's maximum size.
   */
  maxInFlightBytes?: number;
  /**
   * Worker threads that hash, compress and encrypt chunks beside the main thread, which reads,
   * chunks and hashes entries (default: the available parallelism, at least 1, at most 4). 0
   * does that work on the main thread.
   */
  encoderWorkers?: number;
  /** Index objects at which the run, once committed, folds them into one (default 32). */
  consolidateIndexAt?: number;
  /** Minimum milliseconds between progress callbacks (default 200; the final one always fires). */
  progressIntervalMs?: number;
  /** Where the run reports its phases (snapshot, read, chunk, write, manifest) for tracing. */
  phases?: PhaseTimeline;
}

/**
 * Runs one backup: source entries → content-defined chunks → dedup → compress → encrypt →
 * storage, then writes the manifest (the commit) and returns it. Nothing is committed when it
 * fails or is cancelled; chunks already written are orphans a later run reuses.
 * @throws BackupError `aborted` when cancelled; source, key and storage errors as they come.
 */
export async function runBackup(options: RunBackupOptions): Promise<Manifest> {
  const { repository, source, context } = options;
  const compression = normalizeCompression(options.compression);
  const { controller, dispose } = linkedAbortController(options.signal, context.signal);
  const signal = controller.signal;
  const startedAt = new Date();
  let plan: BackupRunPlan | undefined;
  let writer: ChunkWriter | undefined;
  let encoder: ChunkEncoder | undefined;
  let pool: ChunkBufferPool | undefined;
  let stopHeartbeat = () => {};
  try {
    plan = await inPhase(options.phases, 'snapshot', () => source.open({ ...context, signal }));
    if (signal.aborted) throw abortedError(signal);

    // The index, checked against the listing of packs, tells every run what is stored: no
    // request per chunk. (Full runs re-read unchanged entries; they dedup like any other.)
    // Read now, under the run's lock: a handle's earlier index may name packs since collected.
    const { chunks: index } = await repository.refreshIndex({ signal });
    if (signal.aborted) throw abortedError(signal);
    const workers = Math.max(0, Math.floor(options.encoderWorkers ?? Math.min(4, availableParallelism())));
    // Chunks are cut straight into slots of shared memory the workers read in place: no
    // per-chunk allocation, copy-out or transfer (see ChunkBufferPool). Enough slots for the
    // chunks in flight plus, per entry read in parallel, one being gathered and one cut but
    // still waiting for room in flight (a chunk that finds the pool empty falls back to a
    // plain buffer, scanned and hashed outside shared memory).
    const maxInFlightBytes = options.maxInFlightBytes ?? 32 * 1024 * 1024;
    // Room for a stored object too (header and tag), which the workers write over the plaintext.
    const slotBytes = repository.chunkerParams.maxSize + 64;
    // In the memory the last run gave back, when there is one (see slot-memory.ts).
    const activePool = ChunkBufferPool.fromSlotMemory(
      slotBytes,
      Math.ceil(maxInFlightBytes / slotBytes) + 2 * Math.max(1, plan.parallelism),
    );
    pool = activePool;
    const activeEncoder = repository.createChunkEncoder({ compression, workers, pool: activePool });
    encoder = activeEncoder;
    const activeWriter = new ChunkWriter({
      repository,
      encoder,
      index,
      packs: repository.createPackWriter({ signal }),
      knownDigests: parentDigests(context.parent),
      concurrency: options.chunkConcurrency ?? Math.max(4, 2 * workers + 2),
      maxInFlightBytes,
      pool: activePool,
      signal,
      onFailure: (error) => controller.abort(error),
    });
    writer = activeWriter;

    const meter = new ProgressMeter(plan.estimatedBytes, options.progressIntervalMs ?? 200);
    const estimate = new SizeEstimate(plan.estimatedBytes);
    // Entries being read, with how many of their streams (parts read at once count each).
    const current = new Map<string, number>();
    const report = (force = false, complete = false) => {
      if (!options.onProgress || !meter.due(force)) return;
      meter.bytesEstimated = estimate.total;
      options.onProgress({
        ...meter.snapshot(complete),
        chunksWritten: activeWriter.newChunks,
        bytesStored: activeWriter.storedBytes,
        currentEntries: [...current.keys()],
      });
    };
    stopHeartbeat = meter.heartbeat(() => report());

    const entries: ManifestEntry[] = [];
    const names = new Set<string>();
    await forEachConcurrent(readWork(plan.entries), Math.max(1, plan.parallelism), async (work) => {
      if (signal.aborted) throw abortedError(signal);
      const { entry, part } = work;
      if (!part || part.index === 0) {
        if (names.has(entry.name)) {
          throw new BackupError('internal_error', `The source listed entry "${entry.name}" twice`, {
            details: { entry: entry.name },
          });
        }
        names.add(entry.name);
        meter.entriesTotal++;
      }
      const read = part ? part.assembly.partEntry(part.index) : entry;
      // Parts of one entry are read at once: each is its own item of the estimate.
      const key = part ? `${entry.name}\u0000${part.index}` : entry.name;
      current.set(entry.name, (current.get(entry.name) ?? 0) + 1);
      estimate.start(key, read.estimatedBytes);
      try {
        const done = await backupEntry(read, {
          // Packs keep a stream's chunks together, an entry's parts in order.
          packGroup: work.entryIndex * 2 ** 20 + (part?.index ?? 0),
          repository,
          writer: activeWriter,
          encoder: activeEncoder,
          pool: activePool,
          full: context.full,
          signal,
          phases: options.phases,
          onBytes: (n) => {
            meter.working();
            meter.bytesDone += n;
            estimate.read(key, n);
            report();
          },
        });
        estimate.finish(key, done.size);
        const whole = part ? part.assembly.add(part.index, done) : done;
        if (!whole) return;
        entries[work.entryIndex] = whole;
      } catch (error) {
        // Stop the other entries promptly; the first error is what the run reports.
        controller.abort(error);
        throw error;
      } finally {
        const streams = (current.get(entry.name) ?? 1) - 1;
        if (streams > 0) current.set(entry.name, streams);
        else current.delete(entry.name);
      }
      meter.entriesDone++;
      report();
    });
    const packs = await activeWriter.finish();
    options.phases?.mark('write');
    if (signal.aborted) throw abortedError(signal);
    // Packs, then their index, then the manifest: each step's objects exist before anything names them.
    await repository.commitPacks(packs, { signal });

    const manifest: Manifest = {
      format: 1,
      backup_id: options.backupId,
      job_id: options.jobId,
      backup_type: options.backupType,
      parent_backup_id: context.parent?.backup_id ?? null,
      started_at: startedAt.toISOString(),
      completed_at: new Date().toISOString(),
      source: source.describe(),
      compression:
        compression.algorithm === 'none'
          ? { algorithm: 'none' }
          : { algorithm: compression.algorithm, level: compression.level },
      encryption: repository.encrypted
        ? { enabled: true, algorithm: 'AES-256-GCM', key_id: repository.keyId! }
        : { enabled: false },
      metadata: plan.metadata,
      entries,
      totals: {
        entries: entries.length,
        logical_bytes: entries.reduce((sum, e) => sum + e.size, 0),
        chunks: activeWriter.distinctChunks,
        new_chunks: activeWriter.newChunks,
        new_bytes: activeWriter.newBytes,
        stored_bytes: activeWriter.storedBytes,
        referenced_stored_bytes: activeWriter.referencedStoredBytes,
      },
      stored_chunks: activeWriter.storedSizes(),
      stored_chunk_sha256: activeWriter.storedDigests(),
    };
    await inPhase(options.phases, 'manifest', () => repository.writeManifest(manifest, { signal }));
    // Committed. Folding many index objects into one only saves later loads: a failure here
    // leaves the index as it was, so it does not fail the backup.
    await repository
      .consolidateIndex({ signal, minObjects: options.consolidateIndexAt ?? 32 })
      .catch(() => 0);
    report(true, true);
    return manifest;
  } catch (error) {
    // A cancellation surfaces as `aborted`, whatever the interrupted stream threw; a failed
    // chunk write (which aborts the readers) surfaces as itself.
    const firstFailure = writer?.failure;
    if (firstFailure !== undefined) throw firstFailure;
    if (signal.aborted && (options.signal?.aborted || context.signal.aborted)) throw abortedError(signal);
    throw toBackupError(error);
  } finally {
    stopHeartbeat();
    if (!signal.aborted) controller.abort(new Error('backup finished'));
    await writer?.settle();
    await encoder?.close();
    pool?.retire(); // after close: no worker reads or writes it any more
    dispose();
    await plan?.close();
  }
}

/** Stored-bytes digests the parent recorded, with the stored size each was recorded for. */
function parentDigests(parent: Manifest | null): Map<string, { size: number; sha256: string }> {
  const out = new Map<string, { size: number; sha256: string }>();
  const digests = parent?.stored_chunk_sha256;
  const sizes = parent?.stored_chunks;
  if (!digests || !sizes) return out;
  for (const [id, sha256] of Object.entries(digests)) {
    const size = sizes[id];
    if (size !== undefined) out.set(id, { size, sha256 });
  }
  return out;
}

interface EntryContext {
  /** The stream's place in the run (entry, part): its chunks are kept together in packs. */
  packGroup: number;
  repository: Repository;
  writer: ChunkWriter;
  encoder: ChunkEncoder;
  pool: ChunkBufferPool;
  full: boolean;
  signal: AbortSignal;
  onBytes: (bytes: number) => void;
  phases: PhaseTimeline | undefined;
}

async function backupEntry(entry: SourceEntry, ctx: EntryContext): Promise<ManifestEntry> {
  const parent = entry.unchangedSince;
  if (parent && !ctx.full && parent.chunks.every((c) => ctx.writer.isKnown(c.id))) {
    for (const chunk of parent.chunks) ctx.writer.reference(chunk.id);
    ctx.onBytes(parent.size);
    return {
      name: entry.name,
      kind: entry.kind,
      size: parent.size,
      ...(parent.sha256 === undefined ? {} : { sha256: parent.sha256 }),
      chunks: parent.chunks.map((c) => ({ id: c.id, size: c.size })),
      metadata: { ...entry.metadata },
    };
  }
  if (!entry.open) {
    if (parent && parent.chunks.length > 0) {
      // Recording it empty would silently lose data: the parent's chunks are gone and the
      // source offers no way to read the entry again.
      throw new BackupError(
        'corrupt_repository',
        `Entry "${entry.name}" is unchanged since the parent backup, but some of its chunks are missing and the source cannot re-read it`,
        { details: { entry: entry.name } },
      );
    }
    return { name: entry.name, kind: entry.kind, size: 0, chunks: [], metadata: { ...entry.metadata } };
  }
  const stream = await entry.open(ctx.signal);
  ctx.phases?.mark('read');
  stream.on('error', () => {}); // reported through the iteration below; never unobserved
  const onAbort = () => stream.destroy(abortedError(ctx.signal));
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  // The entry's SHA-256 runs beside the main thread (in an encoder worker) when it can.
  const hash = entry.hashContent === false ? undefined : ctx.encoder.openDigest();
  const ids: Promise<string>[] = [];
  const sizes: number[] = [];
  let size = 0;
  try {
    for await (const chunk of chunkStream(
      stream as Readable,
      ctx.repository.chunkerParams,
      ctx.pool,
      ctx.repository.chunkerGear,
    )) {
      if (ctx.signal.aborted) throw abortedError(ctx.signal);
      const length = chunk.length;
      // The writer takes the buffer over (it may be transferred to a worker): no use after this.
      ctx.phases?.mark('chunk');
      const { id } = await ctx.writer.submit(chunk, hash, { group: ctx.packGroup, seq: ids.length });
      ctx.phases?.mark('write'); // handed to the writer: hashing, dedup and storing go on in the background
      ids.push(id);
      sizes.push(length);
      size += length;
      ctx.onBytes(length);
    }
  } finally {
    ctx.phases?.mark('read');
    ctx.signal.removeEventListener('abort', onAbort);
    if (!stream.destroyed) stream.destroy();
  }
  const resolved = await Promise.all(ids);
  const chunks: ChunkRef[] = resolved.map((id, i) => ({ id, size: sizes[i]! }));
  const extra = entry.completeMetadata?.() ?? {};
  return {
    name: entry.name,
    kind: entry.kind,
    size,
    ...(hash ? { sha256: await hash.digest() } : {}),
    chunks,
    metadata: { ...entry.metadata, ...extra },
  };
}
