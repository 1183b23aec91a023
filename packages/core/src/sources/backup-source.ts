import type { Readable } from 'node:stream';
import type { ChunkRef, Manifest, ManifestEntry } from '../repository/manifest.js';
import type { RestoreSelection } from './restore-selection.js';
import type { FinishedRestore, RestoreSummary } from './restore-summary.js';
import type { TestRestoreContext, TestRestoreReport } from './test-restore.js';

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
  /**
   * The content as separate streams read in parallel (a big table's page ranges), in order.
   * The engine reads them like entries of their own and records one entry with
   * `ManifestEntry.parts`; `open`, `unchangedSince` and `hashContent` are then not used (no
   * SHA-256 of the whole), and `completeMetadata` is called once every part is read.
   */
  parts?: SourceEntryPart[];
}

/** One stream of a {@link SourceEntry} read in parts. */
export interface SourceEntryPart {
  /** Expected content bytes, for progress. */
  estimatedBytes: number;
  /** Opens this part's content; called at most once. */
  open: (signal: AbortSignal) => Promise<Readable>;
  /** Metadata for `EntryPart.metadata`, called after the part's content was consumed. */
  metadata: () => Record<string, unknown>;
}

export interface BackupRunContext {
  signal: AbortSignal;
  /** The previous successful backup of the same job, for incremental runs. */
  parent: Manifest | null;
  /**
   * The job's newest completed backup, full runs included: for estimates only (e.g. a table's
   * size last time), never for reusing data.
   */
  previous?: Manifest | null;
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
  /** Restore options as a restore's `restore_options` / destination flags give them. */
  options: Record<string, unknown>;
  /**
   * The chunk list the backup would have recorded for `content` (same chunker, same chunk ids):
   * compare it with `entry.chunks` to check restored data against the backup, e.g. a table
   * re-read after loading. Absent when the caller has no repository at hand.
   */
  chunkRefsOf?: (content: AsyncIterable<Uint8Array>, signal?: AbortSignal) => Promise<ChunkRef[]>;
  /**
   * Reports work a target priced with `restoreCost` / `finishCost` as it does it, beyond the
   * content bytes the engine counts itself (rows parsed, indexes built, keys validated): for
   * the entry named `entry`, or for `finish()` when `entry` is absent. Drives progress and ETA.
   */
  reportWork?: (units: number, entry?: string) => void;
}

/** The parts of an entry stored in parts, for {@link RestoreTarget.restoreEntryParts}. */
export interface EntryPartContents {
  readonly count: number;
  /** Part `index`'s content, each chunk authenticated, its size checked before its last bytes. */
  open(index: number): Readable;
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
   * Relative time to restore an entry (after `prepare`), in bytes of content it is worth: its
   * size plus the target's own work on it, which the target reports through
   * `RestoreRunContext.reportWork` as it goes. The engine starts the costliest entries first
   * and measures progress in these units. Without it: the entry's size.
   */
  restoreCost?(entry: ManifestEntry): number;
  /** Relative time `finish()` takes (after `prepare`), in the same units. Without it: 0. */
  finishCost?(): number;
  /**
   * Writes an entry stored in parts (`ManifestEntry.parts`): `parts.open(i)` streams part `i`'s
   * verified content, each part once, in any order and at once if the target likes. Without
   * it such entries cannot be restored into this target (`not_implemented`).
   */
  restoreEntryParts?(
    entry: ManifestEntry,
    parts: EntryPartContents,
    context: RestoreRunContext,
  ): Promise<EntryRestoreResult>;
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
 * Something a source or restore-target config makes the service touch outside its own
 * storage, checked against the host's `AccessPolicy` when a job or restore is accepted and
 * again before every run. `field` is the config key that holds it (e.g. `path`).
 */
export type AccessRequest =
  | { type: 'directory'; field: string; path: string; access: 'read' | 'write' }
  | { type: 'database'; field: string; connectionString: string };

/** What the service tells a source or restore target about the host's limits for one run. */
export interface SourceEnvironment {
  /**
   * Absolute real paths never read or written, whatever the config says: the service's data
   * directory, local storage roots, `/proc`, `/sys`, `/dev` and the host's denied paths.
   * A directory source skips them; a directory target refuses entries inside them.
   */
  deniedPaths: readonly string[];
  /** Whether a restore may create symlinks that point outside its target directory. */
  allowExternalSymlinks: boolean;
}

/**
 * A kind of source the service can run: builds the backup side from a job's `source` and the
 * restore side from a restore's `destination`, picks what a restore takes from a backup, sums
 * a finished restore up and (optionally) test-restores a backup. The service and the
 * verification look kinds up by `source.type` and know nothing else about them.
 */
export interface SourceKind {
  /** The `source.type` / `destination.type` values this kind answers to (aliases of one another). */
  readonly types: readonly string[];
  /**
   * The one name of what this kind backs up (default: the first of `types`). A backup is
   * restored only into a destination whose kind has the family of the kind it came from.
   */
  readonly family?: string;
  /** Problems with a source config, as `Issue` messages (empty when fine). No I/O. */
  validateSource(config: Record<string, unknown>): string[];
  /**
   * The directories and database servers `config` would touch, for the host's access policy
   * (`use`: a job's source, or a restore's destination). The service resolves each directory
   * with `realpath`, checks it against the roots, and hands the kind the resolved path in
   * `config[field]`. A kind without this method is trusted to touch nothing outside.
   */
  accessRequests?(config: Record<string, unknown>, use: 'backup' | 'restore'): AccessRequest[];
  /** A source for one run. `config` holds the real (unsealed) connection string / path. */
  createSource(config: Record<string, unknown>, environment?: SourceEnvironment): BackupSource;
  /** A restore target for a restore's `destination` (real secrets), with its `restore_options`. */
  createRestoreTarget(
    destination: Record<string, unknown>,
    options: Record<string, unknown>,
    environment?: SourceEnvironment,
  ): RestoreTarget;
  /**
   * What a restore into `destination` takes from the backup `manifest` (e.g. the tables in
   * `destination.tables`, the paths in `destination.paths`) and the destination its target gets.
   * No I/O. Without it: every entry, the destination as given.
   * @throws BackupError `invalid_backup_config` naming the field (`destination.tables`) when the
   *   destination selects something and nothing of the backup matches.
   */
  selectEntries?(manifest: Manifest, destination: Record<string, unknown>): RestoreSelection;
  /**
   * The counters of a finished restore's status `result` and its `verification` block. Without
   * it: `basicRestoreSummary` (entries counted by kind, no checks of the target's own).
   */
  restoreSummary?(restore: FinishedRestore): RestoreSummary;
  /**
   * Restores a backup somewhere disposable (a test database, a scratch directory) through
   * `context.restore`, compares what came back with the manifest and cleans up. Mismatches come
   * back in the report. Without it, test restores of this kind's backups are `not_implemented`.
   * @throws BackupError when the test restore cannot run (no connection string, a bad test
   *   database, damaged chunks, `aborted`).
   */
  testRestore?(context: TestRestoreContext): Promise<TestRestoreReport>;
}
