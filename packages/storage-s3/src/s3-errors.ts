import { BackupError, type BackupErrorCode, isTransientNetworkError } from '@backupkit/core';

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
  $metadata?: { httpStatusCode?: number };
}

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
 * Normalises an S3 client error for `operation` on `key`: 404/NoSuchKey → `not_found`,
 * 401/403 → `access_denied`, SlowDown/429/503 → `throttled`, 5xx and dropped connections →
 * `unavailable`, aborts → `aborted`, otherwise `storage_error`. Messages name the bucket and
 * key, never credentials.
 */
export function toS3Error(error: unknown, operation: string, key: string, location: string): BackupError {
  if (error instanceof BackupError) return error;
  const { name, status } = sdkFacts(error);
  const code = codeFor(name, status, error);
  const details = {
    key,
    operation,
    ...(status === undefined ? {} : { status }),
    ...(name ? { s3Code: name } : {}),
  };
  const reason = error instanceof Error ? error.message : String(error);
  const message =
    code === 'not_found'
      ? `No object at ${location}`
      : name === 'NoSuchBucket'
        ? `${operation} of ${location} failed: the bucket does not exist`
        : `${operation} of ${location} failed: ${reason || name || 'unknown S3 error'}`;
  return new BackupError(code, message, { cause: sanitizedCause(error, name, status), details });
}

/**
 * The SDK's error keeps the raw response, whose request headers carry the signed
 * Authorization header; keep only what explains the failure.
 */
function sanitizedCause(error: unknown, name: string | undefined, status: number | undefined): unknown {
  if (!(error instanceof Error) || !('$response' in error || '$metadata' in error)) return error;
  const cause = new Error(error.message);
  cause.name = name ?? error.name;
  const { requestId, attempts, totalRetryDelay } =
    (error as { $metadata?: Record<string, unknown> }).$metadata ?? {};
  return Object.assign(cause, {
    $metadata: { httpStatusCode: status, requestId, attempts, totalRetryDelay },
  });
}
