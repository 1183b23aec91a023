import {
  BackupError,
  type BackupErrorCode,
  isBackupError,
  isTransientNetworkError,
  safeErrorCode,
  upstreamFailureSummary,
} from '@backupkit/core';

const ACCESS_DENIED = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'InsufficientAccountPermissions',
  'AccountIsDisabled',
]);
const THROTTLED = new Set(['ServerBusy', 'IngressOverAccountLimit', 'EgressOverAccountLimit']);
const UNAVAILABLE = new Set(['InternalError', 'OperationTimedOut', 'REQUEST_SEND_ERROR']);

interface RestErrorShape {
  name?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string };
}

function facts(error: unknown): { name?: string; code?: string; status?: number } {
  if (typeof error !== 'object' || error === null) return {};
  const shape = error as RestErrorShape;
  return { name: shape.name, code: shape.details?.errorCode ?? shape.code, status: shape.statusCode };
}

function codeFor(
  name: string | undefined,
  code: string | undefined,
  status: number | undefined,
  error: unknown,
) {
  let result: BackupErrorCode = 'storage_error';
  if (name === 'AbortError') result = 'aborted';
  else if (code === 'ContainerNotFound') result = 'storage_error';
  else if (code === 'BlobNotFound' || status === 404) result = 'not_found';
  else if ((code && ACCESS_DENIED.has(code)) || status === 401 || status === 403) result = 'access_denied';
  else if ((code && THROTTLED.has(code)) || status === 429 || status === 503) result = 'throttled';
  else if ((code && UNAVAILABLE.has(code)) || (status !== undefined && status >= 500) || status === 408) {
    result = 'unavailable';
  } else if (isTransientNetworkError(error)) result = 'unavailable';
  return result;
}

/**
 * Normalises an Azure SDK error for `operation` on `key`: BlobNotFound/404 → `not_found`,
 * 401/403 → `access_denied`, ServerBusy/429/503 → `throttled`, 5xx and failed sends →
 * `unavailable`, aborts → `aborted`, otherwise `storage_error`. The message holds the HTTP
 * status and the service's short error code only (`Azure put of azure://a/c/k failed: HTTP 403
 * AuthorizationFailure`): a RestError's message is the response body, chosen by whoever answers
 * at the endpoint. The cause keeps status and code alone, as the SDK's error carries the
 * request, whose headers are signed.
 */
export function toAzureError(error: unknown, operation: string, key: string, location: string): BackupError {
  if (isBackupError(error)) return error;
  const { name, code, status } = facts(error);
  const backupCode = codeFor(name, code, status, error);
  const azureCode = safeErrorCode(code);
  const summary = upstreamFailureSummary({
    status,
    code: azureCode ?? (status === undefined && name !== 'RestError' ? name : undefined),
  });
  const message =
    backupCode === 'not_found'
      ? `No object at ${location}`
      : code === 'ContainerNotFound'
        ? `Azure ${operation} of ${location} failed: the container does not exist`
        : `Azure ${operation} of ${location} failed: ${summary}`;
  const cause =
    error instanceof Error
      ? Object.assign(new Error(summary), { name: error.name, code: azureCode, statusCode: status })
      : error;
  const details = {
    key,
    operation,
    ...(status === undefined ? {} : { status }),
    ...(azureCode ? { azureCode } : {}),
  };
  return new BackupError(backupCode, message, { cause, details });
}
