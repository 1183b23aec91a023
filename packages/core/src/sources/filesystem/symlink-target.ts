import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { hasErrno } from './fs-errors.js';

/** Symlinks followed while resolving one target, as the kernel allows (ELOOP beyond). */
const MAX_LINKS = 40;

/** A resolved location; `exists` false once a component is missing (the rest is lexical). */
interface Location {
  path: string;
  exists: boolean;
}

/**
 * Where a symlink in `directory` pointing at `target` leads, resolved the way the kernel
 * would: component by component from the link's directory (or `/`), following the symlinks
 * that exist now (those a restore created earlier and those already there), applying `..` to
 * the real path reached. Components past the first missing one are taken as written; a `..`
 * among them could later climb anywhere, so the result is then unknown.
 * @returns the absolute path, or null when it cannot be known (a symlink loop, `..` below a
 * missing component, an unreadable directory).
 */
export async function resolveSymlinkTarget(directory: string, target: string): Promise<string | null> {
  const start = await realpath(directory).catch(() => null);
  if (start === null) return null;
  const budget = { links: MAX_LINKS };
  const location = await resolveFrom(target.startsWith('/') ? '/' : start, target, budget);
  return location?.path ?? null;
}

async function resolveFrom(
  base: string,
  target: string,
  budget: { links: number },
): Promise<Location | null> {
  let current: Location = { path: base, exists: true };
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!current.exists) return null;
      current = { path: path.dirname(current.path), exists: true };
      continue;
    }
    const next = path.join(current.path, part);
    if (!current.exists) {
      current = { path: next, exists: false };
      continue;
    }
    let isLink: boolean;
    try {
      isLink = (await lstat(next)).isSymbolicLink();
    } catch (error) {
      if (!hasErrno(error, 'ENOENT', 'ENOTDIR')) return null;
      current = { path: next, exists: false };
      continue;
    }
    if (!isLink) {
      current = { path: next, exists: true };
      continue;
    }
    budget.links--;
    if (budget.links < 0) return null;
    const inner = await readlink(next).catch(() => null);
    if (inner === null) return null;
    const resolved = await resolveFrom(inner.startsWith('/') ? '/' : current.path, inner, budget);
    if (resolved === null) return null;
    current = resolved;
  }
  return current;
}
