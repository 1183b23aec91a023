import { type FileHandle, lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { isSameOrInside } from '../security/path-confinement.js';
import { openedPath } from '../util/opened-path.js';
import { escapedRootError, hasErrno } from './local-errors.js';

/**
 * The local driver's root directory and the directories beneath it that were checked to
 * resolve inside it. The root is resolved with `realpath` once it exists; a directory is
 * checked once (its real path inside the real root) and remembered, so a symlink planted in
 * the tree never leads a read or write outside, at the cost of one `realpath` per directory.
 */
export class LocalRoot {
  /** The root as configured (absolute). */
  readonly configured: string;
  #real: string | null = null;
  readonly #checked = new Set<string>();

  constructor(configured: string) {
    this.configured = configured;
  }

  /** The root's real path, or null while it does not exist. */
  async real(): Promise<string | null> {
    if (this.#real !== null) return this.#real;
    try {
      this.#real = await realpath(this.configured);
    } catch (error) {
      if (hasErrno(error, 'ENOENT')) return null;
      throw error;
    }
    return this.#real;
  }

  /**
   * Whether `directory` (a path under the real root) exists. `fresh` checks it again even if it
   * was checked before (for deletes: a directory swapped for a symlink since is caught).
   * @throws BackupError `access_denied` when it resolves outside the root.
   */
  async exists(directory: string, key: string, operation: string, fresh = false): Promise<boolean> {
    if (fresh) this.#checked.delete(directory);
    return (await this.#check(directory, key, operation)) === 'inside';
  }

  /**
   * Whether an open file lies inside the real root. Linux names an open file's real location in
   * /proc/self/fd: a directory swapped for a symlink after it was checked is caught there, so
   * the per-directory cache stays safe. Elsewhere the cached check is all there is.
   */
  opened(handle: FileHandle): boolean {
    const root = this.#real;
    const actual = openedPath(handle);
    return actual === null || (root !== null && isSameOrInside(actual, root));
  }

  /**
   * Creates `directory` and its missing parents (`mkdir -p`) once its nearest existing
   * ancestor is known to lie inside the root, so no symlink on the way is followed out.
   * @returns the first directory created (for fsync), or undefined when none was.
   * @throws BackupError `access_denied` when a directory on the way resolves outside the root.
   */
  async create(directory: string, key: string): Promise<string | undefined> {
    if (this.#checked.has(directory)) return undefined;
    const root = (await this.real()) ?? this.configured;
    for (let ancestor = directory; ; ancestor = path.dirname(ancestor)) {
      if ((await this.#check(ancestor, key, 'put')) === 'inside') break;
      if (ancestor === root || ancestor === path.dirname(ancestor)) break;
    }
    const created = await mkdir(directory, { recursive: true });
    // Pruned again by a concurrent delete ('missing'): the caller's open fails and retries.
    await this.#check(directory, key, 'put');
    return created;
  }

  /** Drops a directory that was removed (or found missing) from the checked set. */
  forget(directory: string): void {
    this.#checked.delete(directory);
  }

  async #check(directory: string, key: string, operation: string): Promise<'inside' | 'missing'> {
    if (this.#checked.has(directory)) return 'inside';
    const root = await this.real();
    if (root === null) return 'missing';
    let real: string;
    try {
      real = await realpath(directory);
    } catch (error) {
      if (!hasErrno(error, 'ENOENT', 'ENOTDIR')) throw error;
      // A dangling symlink leads somewhere unknown: not missing, not ours.
      if (await isSymlink(directory)) throw escapedRootError(operation, key);
      return 'missing';
    }
    if (!isSameOrInside(real, root)) throw escapedRootError(operation, key);
    this.#checked.add(directory);
    return 'inside';
  }
}

function isSymlink(file: string): Promise<boolean> {
  return lstat(file).then(
    (info) => info.isSymbolicLink(),
    () => false,
  );
}
