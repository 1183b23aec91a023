import {
  BackupError,
  type BackupErrorCode,
  isBackupError,
  isTransientNetworkError,
  safeErrorCode,
  upstreamFailureSummary,
} from '@backupkit/core';

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound']);
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'AccountProblem',
  'KMS.AccessDeniedException',
]);
const THROTTLED = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequests',
]);
const UNAVAILABLE = new Set([
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeTooSkewed',
]);

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Names the SDK gives an error it could not read a code from: no code at all. */
const GENERIC_NAMES = new Set(['Error', 'Unknown', 'UnknownError', 'S3ServiceException']);

function sdkFacts(error: unknown): { name: string | undefined; status: number | undefined } {
  if (typeof error !== 'object' || error === null) return { name: undefined, status: undefined };
  const shape = error as SdkErrorShape;
  return { name: shape.Code ?? shape.name, status: shape.$metadata?.httpStatusCode };
}

function codeFor(name: string | undefined, status: number | undefined, error: unknown): BackupErrorCode {
  if (name === 'AbortError') return 'aborted';
  if (name === 'NoSuchBucket') return 'storage_error';
  if ((name !== undefined && NOT_FOUND.has(name)) || status === 404) return 'not_found';
  if ((name !== undefined && ACCESS_DENIED.has(name)) || status === 401 || status === 403)
    return 'access_denied';
  if ((name !== undefined && THROTTLED.has(name)) || status === 429) return 'throttled';
  if (status === 503) return name === 'ServiceUnavailable' ? 'unavailable' : 'throttled';
  if ((name !== undefined && UNAVAILABLE.has(name)) || (status !== undefined && status >= 500))
    return 'unavailable';
  if (status === 408 || isTransientNetworkError(error)) return 'unavailable';
  return 'storage_error';
}

/**
 * The short code shown for a failure: the S3 error code (`AccessDenied`) when the service sent
 * one, else for a request that got no response the socket's code (`ECONNREFUSED`) or the
 * error's name (`TimeoutError`).
 */
function shownCode(error: unknown, name: string | undefined, status: number | undefined): string | undefined {
  const s3Code = name !== undefined && !GENERIC_NAMES.has(name) ? safeErrorCode(name) : undefined;
  if (s3Code || status !== undefined) return s3Code;
  return safeErrorCode((error as SdkErrorShape | null)?.code);
}

/**
 * Normalises an S3 client error for `operation` on `key`: 404/NoSuchKey → `not_found`,
 * 401/403 → `access_denied`, SlowDown/429/503 → `throttled`, 5xx and dropped connections →
 * `unavailable`, aborts → `aborted`, otherwise `storage_error`. Messages name the bucket and
 * key, the HTTP status and S3's short error code, never credentials and nothing of the
 * response body (the SDK puts an error document's `<Message>` in `message`, and whoever
 * answers at an endpoint chooses it): `S3 put of s3://b/k failed: HTTP 403 AccessDenied`.
 */
export function toS3Error(error: unknown, operation: string, key: string, location: string): BackupError {
  if (isBackupError(error)) return error;
  const { name, status } = sdkFacts(error);
  const code = codeFor(name, status, error);
  const shown = shownCode(error, name, status);
  const summary = upstreamFailureSummary({ status, code: shown });
  const details = {
    key,
    operation,
    ...(status === undefined ? {} : { status }),
    ...(shown ? { s3Code: shown } : {}),
  };
  const message =
    code === 'not_found'
      ? `No object at ${location}`
      : name === 'NoSuchBucket'
        ? `S3 ${operation} of ${location} failed: the bucket does not exist`
        : `S3 ${operation} of ${location} failed: ${summary}`;
  return new BackupError(code, message, { cause: sanitizedCause(error, shown, status, summary), details });
}

/**
 * The SDK's error keeps the raw response, whose request headers carry the signed
 * Authorization header, and the service's message: keep only what explains the failure. An
 * error that never reached the service (a refused connection, a timeout) is kept as it is.
 */
function sanitizedCause(
  error: unknown,
  shown: string | undefined,
  status: number | undefined,
  summary: string,
): unknown {
  const reachedService =
    typeof error === 'object' &&
    error !== null &&
    ('$response' in error || '$metadata' in error || '$fault' in error || status !== undefined);
  if (error instanceof Error && !reachedService) return error;
  const cause = new Error(summary);
  cause.name = shown ?? 'S3ServiceError';
  const { requestId, attempts, totalRetryDelay } =
    (error as { $metadata?: Record<string, unknown> } | null)?.$metadata ?? {};
  return Object.assign(cause, {
    $metadata: { httpStatusCode: status, requestId: safeErrorCode(requestId), attempts, totalRetryDelay },
  });
}
