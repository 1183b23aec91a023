import type { BigIntStats } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { abortedError } from '../../util/abort.js';
import { hasErrno, toFilesystemError } from './fs-errors.js';
import type { PathMatcher } from './path-patterns.js';

export interface WalkItem {
  /** Relative POSIX path from the walk's root. */
  name: string;
  /** The item's real path: the walk never passes through a symlink. */
  absolute: string;
  /** `lstat` of the item (nanosecond times): symlinks are reported, never followed. */
  stats: BigIntStats;
}

export interface WalkOptions {
  /** Relative paths to prune, with their subtrees. */
  exclude: PathMatcher | null;
  /** Real paths never reported nor descended into. */
  denied: ReadonlySet<string>;
  signal?: AbortSignal;
}

/** Code-unit order: deterministic everywhere, unlike locale collation. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Walks a directory tree depth-first in sorted order, a directory before its contents. Lazy:
 * only the names of the directories on the current path are held (one directory's names must
 * be read whole to sort them). Excluded and denied paths are pruned with their whole subtree.
 * Items that vanish during the walk are skipped.
 *
 * `root` must be a real path. Before its names are read, a directory must still resolve to the
 * path the walk expects, and after, still be the directory the walk saw: one swapped for a
 * symlink meanwhile is skipped, never followed, so every reported `absolute` is a real path
 * inside `root`.
 * @throws BackupError `permission_denied` for unreadable directories, `source_unreachable` otherwise.
 */
export function walkTree(root: string, options: WalkOptions): AsyncGenerator<WalkItem> {
  return walkDirectory(root, options, '', null);
}

async function* walkDirectory(
  root: string,
  options: WalkOptions,
  prefix: string,
  expected: BigIntStats | null,
): AsyncGenerator<WalkItem> {
  const directory = prefix === '' ? root : path.join(root, ...prefix.split('/'));
  let names: string[];
  try {
    // Names read through a symlink swapped in for a moment could only be names: every file is
    // opened without following links and checked against the real path it should have.
    if (expected && (await realpath(directory)) !== directory) return;
    names = await readdir(directory);
    if (expected && !(await sameDirectory(directory, expected))) return;
  } catch (error) {
    if (prefix !== '' && hasErrno(error, 'ENOENT', 'ENOTDIR', 'ELOOP')) return; // removed or replaced while walking
    throw toFilesystemError(error, 'source_unreachable', 'Cannot read directory', directory);
  }
  names.sort(byCodeUnit);
  for (const entryName of names) {
    const { signal } = options;
    if (signal?.aborted) throw abortedError(signal);
    const name = prefix === '' ? entryName : `${prefix}/${entryName}`;
    if (options.exclude?.(name)) continue;
    const absolute = path.join(directory, entryName);
    if (options.denied.has(absolute)) continue;
    let stats: BigIntStats;
    try {
      stats = await lstat(absolute, { bigint: true });
    } catch (error) {
      if (hasErrno(error, 'ENOENT')) continue;
      throw toFilesystemError(error, 'source_unreachable', 'Cannot stat', absolute);
    }
    yield { name, absolute, stats };
    if (stats.isDirectory()) yield* walkDirectory(root, options, name, stats);
  }
}

/** Whether `directory` is still the directory the walk saw (not a symlink, the same inode). */
async function sameDirectory(directory: string, expected: BigIntStats): Promise<boolean> {
  const now = await lstat(directory, { bigint: true });
  return now.isDirectory() && now.dev === expected.dev && now.ino === expected.ino;
}
