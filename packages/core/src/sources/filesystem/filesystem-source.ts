import { type BigIntStats, constants, type Stats } from 'node:fs';
import { type FileHandle, open, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { BackupError } from '../../errors.js';
import type { ManifestEntry } from '../../repository/manifest.js';
import { isSameOrInside, realDeniedPaths } from '../../security/path-confinement.js';
import { abortedError } from '../../util/abort.js';
import { openedPath } from '../../util/opened-path.js';
import type { BackupRunContext, BackupRunPlan, BackupSource, SourceEntry } from '../backup-source.js';
import { hasErrno, toFilesystemError } from './fs-errors.js';
import {
  compilePatterns,
  compileSelection,
  type PathMatcher,
  selfOrAncestorMatches,
} from './path-patterns.js';
import { type WalkOptions, walkTree } from './tree-walk.js';

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
  /**
   * Absolute paths never read (the service's own data, storage roots, the host's denied paths):
   * the walk skips them and their subtrees; a `path` inside one is refused.
   */
  deniedPaths?: readonly string[];
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
 *
 * Nothing outside the tree is ever read: `path` is resolved once when a run opens, the walk
 * never passes through a symlink (a directory swapped for one mid-walk is skipped), and a file
 * is opened without following links and read only when it is the file the walk saw, at the
 * real path it saw it.
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
  readonly #denied: string[];

  constructor(options: FilesystemSourceOptions) {
    this.#path = options.path;
    this.#include = [...(options.include ?? [])];
    this.#exclude = [...(options.exclude ?? [])];
    this.#denied = [...(options.deniedPaths ?? [])];
  }

  describe(): Record<string, unknown> {
    return { type: 'filesystem', path: this.#path, include: [...this.#include], exclude: [...this.#exclude] };
  }

  /**
   * @throws BackupError `source_unreachable` (missing or not a directory), `permission_denied`,
   * `forbidden` (the directory lies inside a denied path).
   */
  async open(context: BackupRunContext): Promise<BackupRunPlan> {
    const root = await realRoot(path.resolve(this.#path));
    const denied = new Set(await realDeniedPaths(this.#denied));
    for (const deniedPath of denied) {
      if (isSameOrInside(root, deniedPath)) {
        throw new BackupError(
          'forbidden',
          'The source directory lies inside a path the service never reads',
          {
            details: { field: 'source.path', issue: 'denied' },
          },
        );
      }
    }
    const walk = (exclude: PathMatcher | null) => ({ exclude, denied, signal: context.signal });
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
    const estimatedBytes = await estimateBytes(root, walk(exclude), filter);
    return {
      entries: generateEntries(root, walk(exclude), filter, parentFiles),
      estimatedBytes,
      metadata: { root },
      parallelism: FILE_PARALLELISM,
      close: async () => {},
    };
  }
}

/** The real path of the source directory. */
async function realRoot(root: string): Promise<string> {
  let real: string;
  let info: Stats;
  try {
    real = await realpath(root);
    info = await stat(real);
  } catch (error) {
    throw toFilesystemError(error, 'source_unreachable', 'Cannot open the source directory', root);
  }
  if (!info.isDirectory()) {
    throw new BackupError('source_unreachable', `The source path is not a directory: ${root}`, {
      details: { path: root },
    });
  }
  return real;
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

async function estimateBytes(root: string, walk: WalkOptions, filter: EntryFilter): Promise<number> {
  let total = 0;
  for await (const item of walkTree(root, walk)) {
    if (item.stats.isFile() && filter.selects(item.name)) total += Number(item.stats.size);
  }
  return total;
}

async function* generateEntries(
  root: string,
  walk: WalkOptions,
  filter: EntryFilter,
  parentFiles: Map<string, ManifestEntry>,
): AsyncGenerator<SourceEntry> {
  // Directories not selected themselves are held back until something beneath them is
  // selected, then emitted first, so a restore sees every directory before its contents.
  const pending: SourceEntry[] = [];
  for await (const item of walkTree(root, walk)) {
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
    open: (signal) => openFile(absolute, stats, signal),
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

// O_NOFOLLOW: a file swapped for a symlink fails to open instead of being read through.
// O_NONBLOCK: a file swapped for a FIFO does not block the open (it is then refused).
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Opens the file the walk saw at `absolute` (a real path), refusing anything else: a symlink,
 * another inode, or a file reached through a directory swapped for a symlink since.
 */
async function openFile(absolute: string, seen: BigIntStats, signal: AbortSignal): Promise<Readable> {
  if (signal.aborted) throw abortedError(signal);
  let handle: FileHandle;
  try {
    handle = await open(absolute, OPEN_FLAGS);
  } catch (error) {
    const message = hasErrno(error, 'ENOENT')
      ? 'File vanished during the backup'
      : hasErrno(error, 'ELOOP')
        ? 'File was replaced by a symlink during the backup'
        : 'Cannot open file';
    throw toFilesystemError(error, 'source_unreachable', message, absolute);
  }
  try {
    const now = await handle.stat({ bigint: true });
    if (
      !now.isFile() ||
      now.dev !== seen.dev ||
      now.ino !== seen.ino ||
      !(await openedAt(handle, absolute))
    ) {
      throw new BackupError('source_unreachable', `File was replaced during the backup: ${absolute}`, {
        details: { path: absolute },
      });
    }
  } catch (error) {
    await handle.close().catch(() => {});
    throw toFilesystemError(error, 'source_unreachable', 'Cannot open file', absolute);
  }
  return addAbortSignal(signal, handle.createReadStream());
}

/**
 * Whether the open file lives at `absolute`: where the system names an open file's real
 * location, that; elsewhere the parent directory's real path is compared instead.
 */
async function openedAt(handle: FileHandle, absolute: string): Promise<boolean> {
  const actual = openedPath(handle);
  if (actual !== null) return actual === absolute;
  const parent = path.dirname(absolute);
  return (await realpath(parent).catch(() => null)) === parent;
}
