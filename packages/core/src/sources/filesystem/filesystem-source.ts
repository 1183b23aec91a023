import type { BigIntStats, Stats } from 'node:fs';
import { open, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { BackupError } from '../../errors.js';
import type { ManifestEntry } from '../../repository/manifest.js';
import { abortedError } from '../../util/abort.js';
import type { BackupRunContext, BackupRunPlan, BackupSource, SourceEntry } from '../backup-source.js';
import { hasErrno, toFilesystemError } from './fs-errors.js';
import {
  compilePatterns,
  compileSelection,
  type PathMatcher,
  selfOrAncestorMatches,
} from './path-patterns.js';
import { walkTree } from './tree-walk.js';

export interface FilesystemSourceOptions {
  /** The directory to back up. Its contents are the entries; the directory itself is not one. */
  path: string;
  /**
   * Globs of relative POSIX paths to back up (default: everything). A matching directory
   * brings its whole subtree; directories holding a match are kept so the tree stays whole.
   * Patterns without `/` match a name at any depth, like .gitignore.
   */
  include?: string[];
  /** Globs to leave out; an excluded directory is not descended into. Exclude wins over include. */
  exclude?: string[];
}

/** Files read at once; directories and symlinks have no content. */
const FILE_PARALLELISM = 4;

/** Metadata of filesystem entries in manifests. */
export interface FileMetadata {
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  /** Modification time in milliseconds since the epoch (fractional, as `fs.Stats.mtimeMs`). */
  mtime: number;
  /** The exact modification time in nanoseconds, as a decimal string. */
  mtime_ns: string;
  /** Files: content bytes. */
  size?: number;
  /** Symlinks: the link's target, verbatim. */
  target?: string;
}

/**
 * A directory tree as a backup source: directories (empty ones too), regular files (streamed)
 * and symlinks (recorded, never followed), as relative POSIX paths in sorted order. Sockets,
 * FIFOs and devices are skipped. An incremental run marks files whose size and mtime equal the
 * parent backup's as `unchangedSince`, so the engine reuses their chunks without reading them.
 * @throws BackupError `invalid_backup_config` when `path` is missing.
 */
export function createFilesystemSource(options: FilesystemSourceOptions): BackupSource {
  if (typeof options?.path !== 'string' || options.path.trim() === '') {
    throw new BackupError('invalid_backup_config', 'A filesystem source needs a directory path', {
      details: { field: 'source.path' },
    });
  }
  return new FilesystemSource(options);
}

class FilesystemSource implements BackupSource {
  readonly type = 'filesystem';
  readonly #path: string;
  readonly #include: string[];
  readonly #exclude: string[];

  constructor(options: FilesystemSourceOptions) {
    this.#path = options.path;
    this.#include = [...(options.include ?? [])];
    this.#exclude = [...(options.exclude ?? [])];
  }

  describe(): Record<string, unknown> {
    return { type: 'filesystem', path: this.#path, include: [...this.#include], exclude: [...this.#exclude] };
  }

  /** @throws BackupError `source_unreachable` (missing or not a directory), `permission_denied`. */
  async open(context: BackupRunContext): Promise<BackupRunPlan> {
    const root = path.resolve(this.#path);
    await checkRoot(root);
    const filter = new EntryFilter(
      this.#include.length ? compilePatterns(this.#include) : null,
      compileSelection(context.only),
    );
    const exclude = this.#exclude.length ? compilePatterns(this.#exclude) : null;
    const parentFiles = new Map<string, ManifestEntry>();
    if (!context.full) {
      for (const entry of context.parent?.entries ?? [])
        if (entry.kind === 'file') parentFiles.set(entry.name, entry);
    }
    const estimatedBytes = await estimateBytes(root, exclude, filter, context.signal);
    return {
      entries: generateEntries(root, exclude, filter, parentFiles, context.signal),
      estimatedBytes,
      metadata: { root },
      parallelism: FILE_PARALLELISM,
      close: async () => {},
    };
  }
}

async function checkRoot(root: string): Promise<void> {
  let info: Stats;
  try {
    info = await stat(root);
  } catch (error) {
    throw toFilesystemError(error, 'source_unreachable', 'Cannot open the source directory', root);
  }
  if (!info.isDirectory()) {
    throw new BackupError('source_unreachable', `The source path is not a directory: ${root}`, {
      details: { path: root },
    });
  }
}

/** Include globs and a run's `only` selection; both select subtrees. */
class EntryFilter {
  readonly #include: PathMatcher | null;
  readonly #only: PathMatcher | null;

  constructor(include: PathMatcher | null, only: PathMatcher | null) {
    this.#include = include;
    this.#only = only;
  }

  get selectsAll(): boolean {
    return this.#include === null && this.#only === null;
  }

  selects(name: string): boolean {
    if (this.#include && !selfOrAncestorMatches(this.#include, name)) return false;
    return this.#only === null || this.#only(name);
  }
}

type Kind = 'file' | 'directory' | 'symlink';

function kindOf(stats: BigIntStats): Kind | null {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  return null; // sockets, FIFOs, devices: nothing a restore could recreate faithfully
}

async function estimateBytes(
  root: string,
  exclude: PathMatcher | null,
  filter: EntryFilter,
  signal: AbortSignal,
): Promise<number> {
  let total = 0;
  for await (const item of walkTree(root, exclude, signal)) {
    if (item.stats.isFile() && filter.selects(item.name)) total += Number(item.stats.size);
  }
  return total;
}

async function* generateEntries(
  root: string,
  exclude: PathMatcher | null,
  filter: EntryFilter,
  parentFiles: Map<string, ManifestEntry>,
  signal: AbortSignal,
): AsyncGenerator<SourceEntry> {
  // Directories not selected themselves are held back until something beneath them is
  // selected, then emitted first, so a restore sees every directory before its contents.
  const pending: SourceEntry[] = [];
  for await (const item of walkTree(root, exclude, signal)) {
    const kind = kindOf(item.stats);
    if (kind === null) continue;
    while (pending.length && !item.name.startsWith(`${(pending.at(-1) as SourceEntry).name}/`)) pending.pop();
    const selected = filter.selectsAll || filter.selects(item.name);
    if (!selected && kind !== 'directory') continue;
    const entry = await toEntry(item.name, item.absolute, kind, item.stats, parentFiles);
    if (selected) {
      yield* pending.splice(0);
      yield entry;
    } else if (kind === 'directory') {
      pending.push(entry);
    }
  }
}

async function toEntry(
  name: string,
  absolute: string,
  kind: Kind,
  stats: BigIntStats,
  parentFiles: Map<string, ManifestEntry>,
): Promise<SourceEntry> {
  const size = Number(stats.size);
  const base = {
    mode: Number(stats.mode & 0o7777n),
    mtime: Number(stats.mtimeNs) / 1e6,
    mtime_ns: stats.mtimeNs.toString(),
  };
  if (kind === 'directory') return { name, kind, metadata: base, estimatedBytes: 0 };
  if (kind === 'symlink') {
    const target = await readlink(absolute).catch((error: unknown) => {
      throw toFilesystemError(error, 'source_unreachable', 'Cannot read symlink', absolute);
    });
    return { name, kind, metadata: { ...base, target }, estimatedBytes: 0 };
  }
  const entry: SourceEntry = {
    name,
    kind,
    metadata: { ...base, size },
    estimatedBytes: size,
    open: (signal) => openFile(absolute, signal),
  };
  const previous = parentFiles.get(name);
  if (
    previous &&
    previous.size === size &&
    sameMtime(previous.metadata, base) &&
    typeof previous.sha256 === 'string'
  ) {
    entry.unchangedSince = previous;
  }
  return entry;
}

/** Compares nanoseconds when the parent recorded them, else milliseconds. */
function sameMtime(previous: Record<string, unknown>, current: { mtime: number; mtime_ns: string }): boolean {
  if (typeof previous.mtime_ns === 'string') return previous.mtime_ns === current.mtime_ns;
  return previous.mtime === current.mtime;
}

async function openFile(absolute: string, signal: AbortSignal): Promise<Readable> {
  if (signal.aborted) throw abortedError(signal);
  try {
    const handle = await open(absolute, 'r');
    return addAbortSignal(signal, handle.createReadStream());
  } catch (error) {
    const message = hasErrno(error, 'ENOENT') ? 'File vanished during the backup' : 'Cannot open file';
    throw toFilesystemError(error, 'source_unreachable', message, absolute);
  }
}
