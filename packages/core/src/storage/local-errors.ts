import { BackupError } from '../errors.js';

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** True when `error` is a Node system error with one of `codes`. */
export function hasErrno(error: unknown, ...codes: string[]): boolean {
  const code = errnoCode(error);
  return code !== undefined && codes.includes(code);
}

/**
 * Normalises a filesystem error of the local driver: ENOENT on reads → `not_found`, EACCES/EPERM →
 * `access_denied`, aborts → `aborted`, anything else → `storage_error`. Only the key (never
 * file contents) goes into the details.
 */
export function toStorageError(
  error: unknown,
  operation: string,
  key: string,
  mode: 'read' | 'write' = 'read',
): BackupError {
  if (error instanceof BackupError) return error;
  const details = { key, operation };
  if (error instanceof Error && error.name === 'AbortError') {
    return new BackupError('aborted', `${operation} of ${key} was cancelled`, { cause: error, details });
  }
  // A missing path is `not_found` for reads; for writes it means a key collides with another
  // key's directory (`a` vs `a/b`), which is a storage problem, not a missing object. A
  // symlink (ELOOP: opened without following it) is no object either.
  if (mode === 'read' && hasErrno(error, 'ENOENT', 'ENOTDIR', 'ELOOP')) {
    return new BackupError('not_found', `No object at key ${key}`, { cause: error, details });
  }
  if (hasErrno(error, 'EACCES', 'EPERM')) {
    return new BackupError('access_denied', `Access denied to ${key} (${operation})`, {
      cause: error,
      details,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new BackupError('storage_error', `${operation} of ${key} failed: ${message}`, {
    cause: error,
    details,
  });
}

export function abortedError(operation: string, key: string, reason?: unknown): BackupError {
  return new BackupError('aborted', `${operation} of ${key} was cancelled`, {
    cause: reason,
    details: { key, operation },
  });
}

/** A key whose directory resolves outside the storage root (a symlink planted in the tree). */
export function escapedRootError(operation: string, key: string): BackupError {
  return new BackupError(
    'access_denied',
    `${operation} of ${key} refused: its directory leads out of the storage root`,
    { details: { key, operation } },
  );
}
