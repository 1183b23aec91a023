import type { BigIntStats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { abortedError } from '../../util/abort.js';
import { hasErrno, toFilesystemError } from './fs-errors.js';
import type { PathMatcher } from './path-patterns.js';

export interface WalkItem {
  /** Relative POSIX path from the walk's root. */
  name: string;
  absolute: string;
  /** `lstat` of the item (nanosecond times): symlinks are reported, never followed. */
  stats: BigIntStats;
}

/** Code-unit order: deterministic everywhere, unlike locale collation. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Walks a directory tree depth-first in sorted order, a directory before its contents. Lazy:
 * only the names of the directories on the current path are held (one directory's names must
 * be read whole to sort them). Excluded paths are pruned with their whole subtree. Items that
 * vanish during the walk are skipped.
 * @throws BackupError `permission_denied` for unreadable directories, `source_unreachable` otherwise.
 */
export async function* walkTree(
  root: string,
  exclude: PathMatcher | null,
  signal: AbortSignal | undefined,
  prefix = '',
): AsyncGenerator<WalkItem> {
  const directory = prefix === '' ? root : path.join(root, ...prefix.split('/'));
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if (prefix !== '' && hasErrno(error, 'ENOENT', 'ENOTDIR')) return; // removed while walking
    throw toFilesystemError(error, 'source_unreachable', 'Cannot read directory', directory);
  }
  names.sort(byCodeUnit);
  for (const entryName of names) {
    if (signal?.aborted) throw abortedError(signal);
    const name = prefix === '' ? entryName : `${prefix}/${entryName}`;
    if (exclude?.(name)) continue;
    const absolute = path.join(directory, entryName);
    let stats: BigIntStats;
    try {
      stats = await lstat(absolute, { bigint: true });
    } catch (error) {
      if (hasErrno(error, 'ENOENT')) continue;
      throw toFilesystemError(error, 'source_unreachable', 'Cannot stat', absolute);
    }
    yield { name, absolute, stats };
    if (stats.isDirectory()) yield* walkTree(root, exclude, signal, name);
  }
}
