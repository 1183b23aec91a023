import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, lutimes, mkdir, realpath, rename, rm, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupError } from '../../errors.js';
import type { ManifestEntry } from '../../repository/manifest.js';
import { isSameOrInside, realDeniedPaths, resolveRealPath } from '../../security/path-confinement.js';
import { abortedError } from '../../util/abort.js';
import type { EntryRestoreResult, RestoreRunContext, RestoreTarget } from '../backup-source.js';
import { entryPath } from './entry-path.js';
import { hasErrno, toFilesystemError } from './fs-errors.js';
import { compileSelection, type PathMatcher } from './path-patterns.js';
import { resolveSymlinkTarget } from './symlink-target.js';

export interface FilesystemRestoreTargetOptions {
  /** Directory to restore into; created when missing. */
  path: string;
  /** Entry names or globs to restore (default: everything); a directory brings everything beneath it. */
  paths?: string[];
  /** Replace files and symlinks that already exist (default false: `prepare` refuses with `conflict`). */
  overwriteExisting?: boolean;
  /**
   * Absolute paths never written (the service's own data, storage roots, the host's denied
   * paths): `prepare` refuses a target or an entry inside one, or a file or symlink entry that
   * would replace a directory holding one.
   */
  deniedPaths?: readonly string[];
  /**
   * Create symlinks that lead outside the restore directory (default false: they are skipped
   * and reported in `finish`'s `warnings`).
   */
  allowExternalSymlinks?: boolean;
}

const TEMP_PREFIX = '.bk-restore-';
const KINDS = new Set(['file', 'directory', 'symlink']);
/** Skipped symlinks named one by one in `warnings`; the rest are counted. */
const MAX_SYMLINK_WARNINGS = 100;

interface Deferred {
  absolute: string;
  name: string;
  mode: number | undefined;
  /** Seconds since the epoch, as utimes() takes them. */
  mtime: number | undefined;
  target?: string;
}

/** Entries of a backup that `paths` selects (all of them without `paths`). */
export function selectFilesystemEntries(
  entries: ManifestEntry[],
  paths: string[] | undefined,
): ManifestEntry[] {
  const select = compileSelection(paths);
  return select ? entries.filter((entry) => select(entry.name)) : entries;
}

/**
 * Restores a filesystem backup into a directory. Each file is written under a temp name,
 * checked against the manifest's SHA-256 and size, given its mode and mtime, then renamed
 * into place; a file that fails the check is removed, never left behind. Symlinks are
 * created in `finish` (so no file is ever written through one), then directory modes and
 * mtimes, deepest first, after their contents.
 *
 * Nothing outside the directory is written: the directory is resolved to its real path once,
 * no directory on the way to an entry may be a symlink, and a symlink leading outside it
 * (resolved through the links and directories that exist when it is created) is skipped
 * unless `allowExternalSymlinks`.
 * @throws BackupError `invalid_request` when `path` is missing.
 */
export function createFilesystemRestoreTarget(options: FilesystemRestoreTargetOptions): RestoreTarget {
  if (typeof options?.path !== 'string' || options.path.trim() === '') {
    throw new BackupError('invalid_request', 'A filesystem restore needs a destination directory path', {
      details: { field: 'destination.path' },
    });
  }
  return new FilesystemRestoreTarget(options);
}

class FilesystemRestoreTarget implements RestoreTarget {
  readonly parallelism = 4;
  /** The directory as configured until `prepare` resolves it to its real path. */
  #root: string;
  readonly #select: PathMatcher | null;
  readonly #overwrite: boolean;
  readonly #denied: readonly string[];
  readonly #allowExternalSymlinks: boolean;
  /** Directories known to be real directories (not symlinks) inside the root. */
  readonly #verified = new Set<string>();
  readonly #directories: Deferred[] = [];
  readonly #symlinks: Deferred[] = [];
  readonly #temps = new Set<string>();
  #files = 0;
  #bytes = 0;

  constructor(options: FilesystemRestoreTargetOptions) {
    this.#root = path.resolve(options.path);
    this.#select = compileSelection(options.paths);
    this.#overwrite = options.overwriteExisting ?? false;
    this.#denied = [...(options.deniedPaths ?? [])];
    this.#allowExternalSymlinks = options.allowExternalSymlinks === true;
  }

  /**
   * Checks every selected entry before anything is written.
   * @throws BackupError `integrity_error` (a name escaping the directory), `invalid_request`
   * (not a filesystem backup), `forbidden` (the directory or an entry inside a denied path),
   * `conflict` (existing files without `overwriteExisting`), `restore_failed` /
   * `permission_denied` (the directory cannot be resolved or created).
   */
  async prepare(context: RestoreRunContext): Promise<void> {
    const real = await resolveRealPath(this.#root);
    if (real === null) {
      throw new BackupError('restore_failed', `The restore path cannot be resolved: ${this.#root}`, {
        details: { path: this.#root },
      });
    }
    this.#root = real;
    const denied = await realDeniedPaths(this.#denied);
    if (denied.some((deniedPath) => isSameOrInside(real, deniedPath))) {
      throw deniedError('The restore directory lies inside a path the service never writes', null);
    }
    const conflicts: string[] = [];
    for (const entry of context.entries) {
      if (!this.#selected(entry)) continue;
      if (!KINDS.has(entry.kind)) {
        throw new BackupError('invalid_request', `Entry "${entry.name}" is a ${entry.kind}, not a file`, {
          details: { entry: entry.name, kind: entry.kind },
        });
      }
      const absolute = entryPath(this.#root, entry.name);
      if (touchesDenied(absolute, entry.kind, denied)) {
        throw deniedError(
          `Entry "${entry.name}" would be written into a path the service never writes`,
          entry.name,
        );
      }
      if (this.#overwrite) continue;
      const existing = await lstat(absolute).catch(() => null);
      if (existing && !(entry.kind === 'directory' && existing.isDirectory())) conflicts.push(entry.name);
    }
    if (conflicts.length > 0) {
      throw new BackupError('conflict', `${conflicts.length} entries already exist in ${this.#root}`, {
        details: { entries: conflicts.slice(0, 20), path: this.#root },
      });
    }
    const existing = await lstat(this.#root).catch(() => null);
    if (existing && !existing.isDirectory() && !existing.isSymbolicLink()) {
      throw new BackupError('restore_failed', `The restore path is not a directory: ${this.#root}`, {
        details: { path: this.#root },
      });
    }
    await mkdir(this.#root, { recursive: true }).catch((error: unknown) => {
      throw toFilesystemError(error, 'restore_failed', 'Cannot create the restore directory', this.#root);
    });
    // Created through a symlink swapped in meanwhile: not the directory that was checked.
    if ((await realpath(this.#root).catch(() => null)) !== this.#root) {
      throw new BackupError(
        'restore_failed',
        `The restore directory changed while it was created: ${this.#root}`,
        {
          details: { path: this.#root },
        },
      );
    }
    this.#verified.add(this.#root);
  }

  /** @throws BackupError `integrity_error` naming the file when its content does not match the manifest. */
  async restoreEntry(
    entry: ManifestEntry,
    content: Readable | null,
    context: RestoreRunContext,
  ): Promise<EntryRestoreResult> {
    if (!this.#selected(entry)) {
      // Not ours to write: consume the content so the engine's pipeline completes normally.
      if (content) for await (const _ of content);
      return { name: entry.name, records: 0, bytes: 0 };
    }
    if (context.signal.aborted) throw abortedError(context.signal);
    const absolute = entryPath(this.#root, entry.name);
    const mode = numberOrUndefined(entry.metadata.mode);
    const mtime = restoreTime(entry.metadata);
    if (entry.kind === 'directory') {
      await this.#ensureDirectory(absolute, entry.name);
      this.#directories.push({ absolute, name: entry.name, mode, mtime });
      if (content) for await (const _ of content);
      return { name: entry.name, records: 1, bytes: 0 };
    }
    await this.#ensureDirectory(path.dirname(absolute), entry.name);
    if (entry.kind === 'symlink') {
      const target = entry.metadata.target;
      if (typeof target !== 'string') {
        throw new BackupError('integrity_error', `Symlink "${entry.name}" has no target in the manifest`, {
          details: { entry: entry.name },
        });
      }
      this.#symlinks.push({ absolute, name: entry.name, mode, mtime, target });
      if (content) for await (const _ of content);
      return { name: entry.name, records: 1, bytes: 0 };
    }
    const bytes = await this.#writeFile(entry, absolute, content, mode, mtime, context.signal);
    this.#files++;
    this.#bytes += bytes;
    return { name: entry.name, records: 1, bytes };
  }

  /**
   * Symlinks, then directory modes and mtimes, deepest first. Returns counts, the symlinks
   * skipped because they lead outside the directory (`symlinks_skipped`) and a warning for each.
   */
  async finish(context: RestoreRunContext): Promise<Record<string, unknown>> {
    let created = 0;
    const skipped: Deferred[] = [];
    for (const link of this.#symlinks) {
      if (context.signal.aborted) throw abortedError(context.signal);
      if (!this.#allowExternalSymlinks && !(await this.#leadsInside(link))) {
        skipped.push(link);
        continue;
      }
      await this.#createSymlink(link);
      created++;
    }
    const deepestFirst = [...this.#directories].sort((a, b) => depth(b.name) - depth(a.name));
    for (const directory of deepestFirst) {
      try {
        if (directory.mode !== undefined) await chmod(directory.absolute, directory.mode);
        if (directory.mtime !== undefined) await utimes(directory.absolute, directory.mtime, directory.mtime);
      } catch (error) {
        throw toFilesystemError(
          error,
          'restore_failed',
          `Cannot set metadata of "${directory.name}"`,
          directory.absolute,
        );
      }
    }
    const warnings = skipped
      .slice(0, MAX_SYMLINK_WARNINGS)
      .map(
        (link) => `Symlink ${link.name} → ${link.target} points outside the restore directory; not created`,
      );
    if (skipped.length > MAX_SYMLINK_WARNINGS) {
      warnings.push(
        `${skipped.length - MAX_SYMLINK_WARNINGS} more symlinks point outside the restore directory; not created`,
      );
    }
    return {
      path: this.#root,
      files: this.#files,
      directories: this.#directories.length,
      symlinks: created,
      symlinks_skipped: skipped.length,
      bytes: this.#bytes,
      warnings,
    };
  }

  /** Removes temp files a failed or cancelled restore left. */
  async close(): Promise<void> {
    await Promise.all([...this.#temps].map((temp) => rm(temp, { force: true }).catch(() => {})));
    this.#temps.clear();
  }

  /** Whether `link`, created now, would lead to the restore directory or inside it. */
  async #leadsInside(link: Deferred): Promise<boolean> {
    const leads = await resolveSymlinkTarget(path.dirname(link.absolute), link.target as string);
    return leads !== null && isSameOrInside(leads, this.#root);
  }

  #selected(entry: ManifestEntry): boolean {
    return this.#select === null || this.#select(entry.name);
  }

  /**
   * mkdir -p that refuses to pass through symlinks or files: a restore never writes outside
   * its directory, whatever was there before or what the backup contains.
   */
  async #ensureDirectory(absolute: string, name: string): Promise<void> {
    if (this.#verified.has(absolute)) return;
    if (absolute !== this.#root) await this.#ensureDirectory(path.dirname(absolute), name);
    for (let attempt = 0; ; attempt++) {
      const existing = await lstat(absolute).catch((error: unknown) => {
        if (hasErrno(error, 'ENOENT')) return null;
        throw toFilesystemError(error, 'restore_failed', `Cannot restore "${name}"`, absolute);
      });
      if (existing?.isDirectory()) break;
      if (existing) {
        throw new BackupError(
          'restore_failed',
          `Cannot restore "${name}": ${absolute} exists and is not a directory`,
          {
            details: { entry: name, path: absolute },
          },
        );
      }
      try {
        await mkdir(absolute);
        break;
      } catch (error) {
        if (hasErrno(error, 'EEXIST') && attempt < 3) continue; // created concurrently: check it again
        throw toFilesystemError(error, 'restore_failed', `Cannot create directory for "${name}"`, absolute);
      }
    }
    this.#verified.add(absolute);
  }

  async #writeFile(
    entry: ManifestEntry,
    absolute: string,
    content: Readable | null,
    mode: number | undefined,
    mtime: number | undefined,
    signal: AbortSignal,
  ): Promise<number> {
    const temp = path.join(path.dirname(absolute), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    this.#temps.add(temp);
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(piece: Buffer, _encoding, callback) {
        hash.update(piece);
        bytes += piece.length;
        callback(null, piece);
      },
    });
    try {
      await pipeline(
        content ?? Readable.from([]),
        meter,
        createWriteStream(temp, { flags: 'wx', mode: 0o600 }),
        {
          signal,
        },
      );
      const sha256 = hash.digest('hex');
      if (bytes !== entry.size || (entry.sha256 !== undefined && sha256 !== entry.sha256)) {
        throw new BackupError(
          'integrity_error',
          `Restored content of "${entry.name}" does not match the backup`,
          {
            details: {
              entry: entry.name,
              expected_sha256: entry.sha256,
              actual_sha256: sha256,
              expected_size: entry.size,
              actual_size: bytes,
            },
          },
        );
      }
      if (mode !== undefined) await chmod(temp, mode);
      if (mtime !== undefined) await utimes(temp, mtime, mtime);
      await this.#replace(temp, absolute, entry.name);
      this.#temps.delete(temp);
      return bytes;
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      this.#temps.delete(temp);
      if (signal.aborted) throw abortedError(signal);
      throw toFilesystemError(error, 'restore_failed', `Cannot restore "${entry.name}"`, absolute);
    }
  }

  async #createSymlink(link: Deferred): Promise<void> {
    const temp = path.join(path.dirname(link.absolute), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    this.#temps.add(temp);
    try {
      await symlink(link.target as string, temp);
      if (link.mtime !== undefined) await lutimes(temp, link.mtime, link.mtime);
      await this.#replace(temp, link.absolute, link.name);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      throw toFilesystemError(
        error,
        'restore_failed',
        `Cannot restore symlink "${link.name}"`,
        link.absolute,
      );
    } finally {
      this.#temps.delete(temp);
    }
  }

  /** rename() replaces files and symlinks atomically; a directory in the way needs overwrite. */
  async #replace(temp: string, absolute: string, name: string): Promise<void> {
    try {
      await rename(temp, absolute);
    } catch (error) {
      if (!this.#overwrite || !hasErrno(error, 'EISDIR', 'ENOTEMPTY', 'EEXIST')) throw error;
      await rm(absolute, { recursive: true, force: true });
      await rename(temp, absolute).catch((again: unknown) => {
        throw toFilesystemError(again, 'restore_failed', `Cannot restore "${name}"`, absolute);
      });
    }
  }
}

function deniedError(message: string, entry: string | null): BackupError {
  return new BackupError('forbidden', message, {
    details: { field: 'destination.path', issue: 'denied', ...(entry === null ? {} : { entry }) },
  });
}

/**
 * Whether writing `absolute` would touch a denied path: anything inside one, or a file or
 * symlink replacing a directory that holds one (an overwrite removes what is in the way).
 */
function touchesDenied(absolute: string, kind: string, denied: readonly string[]): boolean {
  return denied.some(
    (deniedPath) =>
      isSameOrInside(absolute, deniedPath) || (kind !== 'directory' && isSameOrInside(deniedPath, absolute)),
  );
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The mtime to restore, in seconds for utimes(). utimes() takes a double, so nanoseconds cannot
 * survive; aiming half a microsecond past the recorded microsecond makes the restored time
 * truncate back to exactly that microsecond (a double near 1.7e9 s is precise to ~0.24 µs).
 */
function restoreTime(metadata: Record<string, unknown>): number | undefined {
  let micros: number;
  if (typeof metadata.mtime_ns === 'string' && /^-?\d+$/.test(metadata.mtime_ns)) {
    micros = Number(BigInt(metadata.mtime_ns) / 1000n);
  } else if (typeof metadata.mtime === 'number' && Number.isFinite(metadata.mtime)) {
    micros = Math.round(metadata.mtime * 1000);
  } else {
    return undefined;
  }
  return (micros + 0.5) / 1e6;
}

function depth(name: string): number {
  let count = 0;
  for (const char of name) if (char === '/') count++;
  return count;
}
