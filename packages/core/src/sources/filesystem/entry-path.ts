import path from 'node:path';
import { BackupError } from '../../errors.js';

function unsafeName(name: string, reason: string): BackupError {
  return new BackupError('integrity_error', `Entry "${name}" cannot be restored: ${reason}`, {
    details: { entry: name },
  });
}

/**
 * The absolute path an entry restores to under `root`. Manifest names are relative POSIX
 * paths; anything else (absolute, `..`, empty or `.` segments, NUL) could only come from a
 * tampered or corrupt manifest.
 * @throws BackupError `integrity_error` naming the entry when it would escape `root`.
 */
export function entryPath(root: string, name: string): string {
  if (typeof name !== 'string' || name === '') throw unsafeName(String(name), 'empty name');
  if (name.includes('\0')) throw unsafeName(name, 'NUL in name');
  if (name.startsWith('/') || path.isAbsolute(name)) throw unsafeName(name, 'absolute path');
  if (path.sep === '\\' && name.includes('\\')) throw unsafeName(name, 'backslash in name');
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw unsafeName(name, 'it would escape the restore directory');
    }
  }
  const resolved = path.resolve(root, ...name.split('/'));
  if (!resolved.startsWith(root + path.sep)) throw unsafeName(name, 'it would escape the restore directory');
  return resolved;
}
