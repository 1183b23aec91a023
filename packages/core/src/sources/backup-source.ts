import type { Readable } from 'node:stream';
import type { ChunkRef, Manifest, ManifestEntry } from '../repository/manifest.js';

/** One thing a source hands to the engine. */
export interface SourceEntry {
  /** Unique within the backup: a relative POSIX path, or `schema.table`. */
  name: string;
  kind: string;
  metadata: Record<string, unknown>;
  /** Expected content bytes, for progress (an estimate for tables). */
  estimatedBytes: number;
  /**
   * Opens the content. Absent for entries without content (directories, symlinks).
   * The engine calls it at most once, when it is ready to consume.
   */
  open?: (signal: AbortSignal) => Promise<Readable>;
  /**
   * Set when the source knows the content is unchanged since the parent backup (files: same
   * size and mtime). The engine reuses that entry's chunk list and SHA-256 without reading.
   */
  unchangedSince?: ManifestEntry;
  /**
   * Called after the content was consumed, to add metadata known only then
   * (e.g. a table's row count and content checksum).
   */
  completeMetadata?: () => Record<string, unknown>;
  /**
   * Whether the manifest records a SHA-256 of the whole content (default true). Files keep it:
   * it is what users compare with `sha256sum`. A source whose content is never seen as one
   * stream outside backupkit (a table's COPY data) turns it off and saves a pass over every
   * byte: the ordered chunk ids (keyed SHA-256s, each checked on every read) already pin the
   * content, and {@link RestoreRunContext.chunkRefsOf} lets a target compare against them.
   */
  hashContent?: boolean;
}

export interface BackupRunContext {
  signal: AbortSignal;
  /** The previous successful backup of the same job, for incremental runs. */
  parent: Manifest | null;
  /** `full` or `force_full_backup`: re-read everything, ignore `unchangedSince`. */
  full: boolean;
  /** Restricts the run to these entries (e.g. `custom_parameters.tables`). */
  only?: string[];
}

export interface BackupRunPlan {
  /** Entries in the order they should be stored. */
  entries: AsyncIterable<SourceEntry>;
  /** Estimated total content bytes (0 if unknown). */
  estimatedBytes: number;
  /** Source-level metadata stored in the manifest (e.g. captured schema). */
  metadata: Record<string, unknown>;
  /** How many entries may be read at once (tables in parallel; files: 1+). */
  parallelism: number;
  /** Releases connections, snapshots, handles. Always called, also after failure. */
  close(): Promise<void>;
}

/**
 * Something that can be backed up. A source never writes to storage: it yields entries and
 * the engine chunks, deduplicates, compresses, encrypts and stores them.
 */
export interface BackupSource {
  readonly type: string;
  /** The configuration with secrets masked: what manifests, logs and responses may show. */
  describe(): Record<string, unknown>;
  /** Opens the source (connections, snapshot) and lists what it will back up. */
  open(context: BackupRunContext): Promise<BackupRunPlan>;
}

export interface RestoreRunContext {
  signal: AbortSignal;
  manifest: Manifest;
  /** Entries to restore (already filtered by the caller's selection). */
  entries: ManifestEntry[];
  /** Restore options as the spec's `restore_options` / destination flags give them. */
  options: Record<string, unknown>;
  /**
   * The chunk list the backup would have recorded for `content` (same chunker, same chunk ids):
   * compare it with `entry.chunks` to check restored data against the backup, e.g. a table
   * re-read after loading. Absent when the caller has no repository at hand.
   */
  chunkRefsOf?: (content: AsyncIterable<Uint8Array>, signal?: AbortSignal) => Promise<ChunkRef[]>;
}

export interface EntryRestoreResult {
  name: string;
  /** Rows for tables, 1 for files. */
  records: number;
  bytes: number;
}

/**
 * Where a restore writes. The engine streams each entry's verified plaintext to `restoreEntry`;
 * the target checks what it can (a file's SHA-256, a table's row count) and throws
 * `BackupError` naming the entry when something is wrong.
 */
export interface RestoreTarget {
  /** Validates up front (tables that exist / are missing, permissions). Nothing is changed on failure. */
  prepare(context: RestoreRunContext): Promise<void>;
  /** How many entries may be written at once. */
  readonly parallelism: number;
  /**
   * Relative time to restore an entry (after `prepare`), in bytes of content it is worth;
   * the engine starts the costliest entries first. Without it: the entry's size.
   */
  restoreCost?(entry: ManifestEntry): number;
  /** Writes one entry. `content` is null for entries without content. */
  restoreEntry(
    entry: ManifestEntry,
    content: Readable | null,
    context: RestoreRunContext,
  ): Promise<EntryRestoreResult>;
  /** After all entries: indexes, constraints, sequences, directory mtimes. */
  finish(context: RestoreRunContext): Promise<Record<string, unknown>>;
  /** Releases connections. Always called. */
  close(): Promise<void>;
}

/**
 * A kind of source the service can run: builds the backup side from a job's `source` and the
 * restore side from a restore's `destination`. The service looks kinds up by `source.type`.
 */
export interface SourceKind {
  /** The `source.type` / `destination.type` values this kind answers to, e.g. `['database', 'postgres']`. */
  readonly types: readonly string[];
  /** Problems with a source config, as `Issue` messages (empty when fine). No I/O. */
  validateSource(config: Record<string, unknown>): string[];
  /** A source for one run. `config` holds the real (unsealed) connection string / path. */
  createSource(config: Record<string, unknown>): BackupSource;
  /** A restore target for a restore's `destination` (real secrets), with the spec's `restore_options`. */
  createRestoreTarget(destination: Record<string, unknown>, options: Record<string, unknown>): RestoreTarget;
}
