import { BackupError, type BackupErrorCode } from '../../errors.js';

function errno(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

export function hasErrno(error: unknown, ...codes: string[]): boolean {
  const code = errno(error);
  return code !== undefined && codes.includes(code);
}

/**
 * A filesystem error of the source or restore target as a BackupError: EACCES/EPERM →
 * `permission_denied`, aborts → `aborted`, anything else → `fallback`. Details name the path.
 */
export function toFilesystemError(
  error: unknown,
  fallback: BackupErrorCode,
  message: string,
  path: string,
): BackupError {
  if (error instanceof BackupError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new BackupError('aborted', 'The operation was cancelled', { cause: error, details: { path } });
  }
  const reason = error instanceof Error ? error.message : String(error);
  const code: BackupErrorCode = hasErrno(error, 'EACCES', 'EPERM') ? 'permission_denied' : fallback;
  return new BackupError(code, `${message}: ${reason}`, {
    cause: error,
    details: { path, errno: errno(error) },
  });
}
