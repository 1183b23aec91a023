import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { BackupError } from '../errors.js';

/** Kernel interfaces no backup may read and no restore may write, whatever the roots say. */
export const ALWAYS_DENIED_PATHS: readonly string[] = ['/proc', '/sys', '/dev'];

export interface ConfineOptions {
  /** `read`: a backup source; `write`: a restore target (may not exist yet). */
  access: 'read' | 'write';
  /** The config field the path came from, for errors (`source.path`). */
  field: string;
}

function forbidden(field: string, issue: string, message: string): BackupError {
  return new BackupError('forbidden', message, { details: { field, issue } });
}

function errno(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * True when `child` is `parent` or lies beneath it, comparing whole components: `/srv/data2`
 * is not inside `/srv/data`. Both must be absolute and normalised (as `realpath` returns them).
 */
export function isSameOrInside(child: string, parent: string): boolean {
  if (child === parent) return true;
  const prefix = parent.endsWith(path.sep) ? parent : parent + path.sep;
  return child.startsWith(prefix);
}

/**
 * The real path of an absolute path that may not exist yet: `realpath` of its nearest existing
 * ancestor plus the components below it, which do not exist and so cannot be symlinks. Returns
 * null when that cannot be said safely: a dangling symlink or a symlink loop on the way, a
 * file where a directory is needed, `.`/`..` below the missing component, or an unreadable
 * ancestor.
 */
export async function resolveRealPath(absolute: string): Promise<string | null> {
  const components = absolute.split('/').filter((component) => component !== '');
  for (let kept = components.length; kept >= 0; kept--) {
    const prefix = `/${components.slice(0, kept).join('/')}`;
    let real: string;
    try {
      real = await realpath(prefix);
    } catch (error) {
      if (errno(error) !== 'ENOENT') return null;
      // ENOENT from a dangling symlink: the path exists and points somewhere unknown.
      const exists = await lstat(prefix).then(
        () => true,
        () => false,
      );
      if (exists) return null;
      continue;
    }
    const missing = components.slice(kept);
    if (missing.some((component) => component === '.' || component === '..')) return null;
    return missing.length === 0 ? real : path.join(real, ...missing);
  }
  return null;
}

/**
 * The real absolute form of each path: `realpath` for those that exist, the resolved path for
 * those that do not (they are still denied if created later). Duplicates are dropped.
 */
export async function realDeniedPaths(paths: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const denied of paths) {
    const resolved = path.resolve(denied);
    out.add(resolved);
    const real = await resolveRealPath(resolved);
    if (real !== null) out.add(real);
  }
  return [...out];
}

/**
 * Resolves `requested` to its real absolute path and checks it against the host's roots:
 * it must be a root or lie beneath one (by real path, component by component), never inside
 * a denied path, and, for `write`, never hold a denied path beneath it (a restore into `/srv`
 * would otherwise overwrite `/srv/app/.backupkit`). A path that does not exist yet resolves
 * through its nearest existing ancestor; a backup of it then fails when it runs. Roots that
 * do not exist yet resolve through their nearest existing ancestor; `denied` should already
 * be real paths (`realDeniedPaths`).
 * @returns the real path the caller must use from now on (not `requested`).
 * @throws BackupError `forbidden` with `details: { field, issue }` — `invalid` (not an
 * absolute path, NUL), `no_roots` (the host configured none), `unresolvable` (dangling or
 * looping symlinks, unreadable ancestors), `outside_roots`, `denied`, `contains_denied`.
 */
export async function confinePath(
  requested: string,
  roots: readonly string[],
  denied: readonly string[],
  options: ConfineOptions,
): Promise<string> {
  const { access, field } = options;
  const what = access === 'read' ? 'Directory backups' : 'Directory restores';
  if (typeof requested !== 'string' || requested.includes('\0')) {
    throw forbidden(field, 'invalid', `${field} must be an absolute path without NUL characters`);
  }
  if (!path.isAbsolute(requested)) {
    throw forbidden(field, 'invalid', `${field} must be an absolute path`);
  }
  if (roots.length === 0) {
    throw forbidden(field, 'no_roots', `${what} are disabled: the host has configured no roots`);
  }
  const real = await resolveRealPath(requested);
  if (real === null) {
    throw forbidden(
      field,
      'unresolvable',
      `${field} cannot be resolved safely (a dangling or looping symlink, or an unreadable directory on the way)`,
    );
  }
  const realRoots: string[] = [];
  for (const root of roots) {
    // A root the host named but has not created yet still bounds what may be created in it.
    const resolved = await resolveRealPath(path.resolve(root));
    if (resolved !== null) realRoots.push(resolved);
  }
  if (!realRoots.some((root) => isSameOrInside(real, root))) {
    throw forbidden(
      field,
      'outside_roots',
      `${field} is outside the directories the host allows for ${access === 'read' ? 'backups' : 'restores'}`,
    );
  }
  for (const entry of denied) {
    const deniedPath = path.resolve(entry);
    if (isSameOrInside(real, deniedPath)) {
      throw forbidden(field, 'denied', `${field} is inside a directory the service never reads or writes`);
    }
    if (access === 'write' && isSameOrInside(deniedPath, real)) {
      throw forbidden(
        field,
        'contains_denied',
        `${field} contains a directory the service never writes (its own data, storage or a denied path)`,
      );
    }
  }
  return real;
}
