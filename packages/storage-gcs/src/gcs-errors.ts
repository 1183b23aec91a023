import { BackupError, type BackupErrorCode, isTransientNetworkError } from '@backupkit/core';

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const shape = error as { code?: unknown; status?: unknown; response?: { status?: unknown } };
  for (const value of [shape.code, shape.status, shape.response?.status]) {
    if (typeof value === 'number') return value;
  }
  return undefined;
}

function codeFor(status: number | undefined, error: unknown): BackupErrorCode {
  if (error instanceof Error && error.name === 'AbortError') return 'aborted';
  if (status === 404) return 'not_found';
  if (status === 401 || status === 403) return 'access_denied';
  if (status === 429) return 'throttled';
  if (status === 408 || (status !== undefined && status >= 500)) return 'unavailable';
  if (isTransientNetworkError(error)) return 'unavailable';
  return 'storage_error';
}

/**
 * Normalises a GCS client error for `operation` on `key`: 404 → `not_found`, 401/403 →
 * `access_denied`, 429 → `throttled`, 408/5xx and dropped connections → `unavailable`,
 * aborts → `aborted`, otherwise `storage_error`. The cause keeps message and status only:
 * the client's errors carry the request config, whose headers hold the bearer token.
 */
export function toGcsError(error: unknown, operation: string, key: string, location: string): BackupError {
  if (error instanceof BackupError) return error;
  const status = statusOf(error);
  const code = codeFor(status, error);
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const message =
    code === 'not_found' ? `No object at ${location}` : `${operation} of ${location} failed: ${reason}`;
  const errno = (error as { code?: unknown } | null)?.code;
  const cause =
    error instanceof Error
      ? Object.assign(new Error(reason), {
          name: error.name,
          status,
          ...(typeof errno === 'string' ? { code: errno } : {}),
        })
      : error;
  return new BackupError(code, message, {
    cause,
    details: { key, operation, ...(status ? { status } : {}) },
  });
}
