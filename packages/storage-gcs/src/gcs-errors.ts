import {
  BackupError,
  type BackupErrorCode,
  isBackupError,
  isTransientNetworkError,
  safeErrorCode,
  upstreamFailureSummary,
} from '@backupkit/core';

interface GcsErrorShape {
  code?: unknown;
  status?: unknown;
  response?: { status?: unknown };
  errors?: Array<{ reason?: unknown }>;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const shape = error as GcsErrorShape;
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
 * The short code shown for a failure: the JSON API's first error reason (`forbidden`), else a
 * string code of the client or the socket (`FILE_NO_UPLOAD`, `ECONNRESET`), else for a request
 * that got no response the error's name.
 */
function shownCode(error: unknown, status: number | undefined): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const shape = error as GcsErrorShape;
  const reason = Array.isArray(shape.errors) ? safeErrorCode(shape.errors[0]?.reason) : undefined;
  if (reason) return reason;
  const code = safeErrorCode(shape.code);
  if (code || status !== undefined) return code;
  const name = error instanceof Error ? error.name : undefined;
  return name === 'Error' ? undefined : safeErrorCode(name);
}

/**
 * Normalises a GCS client error for `operation` on `key`: 404 → `not_found`, 401/403 →
 * `access_denied`, 429 → `throttled`, 408/5xx and dropped connections → `unavailable`,
 * aborts → `aborted`, otherwise `storage_error`. The message holds the HTTP status and a short
 * code only (`GCS put of gs://b/k failed: HTTP 403 forbidden`): the client's messages quote
 * the response body, chosen by whoever answers at the endpoint. The cause keeps status and
 * code alone: the client's errors carry the request config, whose headers hold the bearer token.
 */
export function toGcsError(error: unknown, operation: string, key: string, location: string): BackupError {
  if (isBackupError(error)) return error;
  const status = statusOf(error);
  const code = codeFor(status, error);
  const shown = shownCode(error, status);
  const summary = upstreamFailureSummary({ status, code: shown });
  const message =
    code === 'not_found' ? `No object at ${location}` : `GCS ${operation} of ${location} failed: ${summary}`;
  const errno = (error as { code?: unknown } | null)?.code;
  const cause =
    error instanceof Error
      ? Object.assign(new Error(summary), {
          name: error.name,
          status,
          ...(typeof errno === 'string' ? { code: safeErrorCode(errno) } : {}),
        })
      : error;
  return new BackupError(code, message, {
    cause,
    details: { key, operation, ...(status ? { status } : {}), ...(shown ? { gcsCode: shown } : {}) },
  });
}
