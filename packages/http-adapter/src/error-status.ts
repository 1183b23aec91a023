import { type BackupError, type BackupErrorCode, isBackupError, toBackupError } from '@backupkit/core';

/**
 * THE code → HTTP status table (docs/http-api.md, "Errors"). Every `BackupErrorCode` has a row, so a new
 * code fails the type check here until someone decides its status.
 */
export const ERROR_STATUS: Readonly<Record<BackupErrorCode, number>> = {
  validation_failed: 422,
  invalid_backup_config: 400,
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  payload_too_large: 413,
  method_not_allowed: 405,
  not_found: 404,
  job_not_found: 404,
  backup_not_found: 404,
  restore_not_found: 404,
  execution_not_found: 404,
  verification_not_found: 404,
  execution_in_progress: 409,
  conflict: 409,
  aborted: 409,
  table_exists: 409,
  rate_limited: 429,
  // A key id the caller named that this server cannot use: unusable configuration.
  key_not_found: 400,
  key_mismatch: 400,
  // The caller's source / target configuration does not work (wrong host, password, rights,
  // table name): a client error, retrying without changing it cannot help.
  source_unreachable: 400,
  authentication_failed: 400,
  permission_denied: 400,
  table_not_found: 400,
  // Storage behind the server: upstream trouble.
  access_denied: 502,
  storage_error: 502,
  throttled: 503,
  unavailable: 503,
  integrity_error: 500,
  corrupt_repository: 500,
  unsupported_format: 500,
  restore_failed: 500,
  not_implemented: 501,
  internal_error: 500,
};

/** The HTTP status of an error code (500 for anything unknown). */
export function statusOf(code: string): number {
  return (ERROR_STATUS as Record<string, number | undefined>)[code] ?? 500;
}

export interface ErrorBody {
  error: string;
  message: string;
  details: Record<string, unknown>;
}

/**
 * The documented error body and status for anything thrown. Unexpected failures (not a
 * `BackupError`, or `internal_error`) get a generic message: theirs may carry internals.
 */
export function errorResponse(error: unknown): { status: number; body: ErrorBody; cause: BackupError } {
  // By brand, not instanceof: an error from another copy of core is still a BackupError.
  if (!isBackupError(error)) {
    const cause = toBackupError(error);
    return {
      status: 500,
      body: { error: 'internal_error', message: 'Internal server error', details: {} },
      cause,
    };
  }
  const status = statusOf(error.code);
  if (error.code === 'internal_error') {
    return {
      status,
      body: { error: 'internal_error', message: 'Internal server error', details: {} },
      cause: error,
    };
  }
  return {
    status,
    body: { error: error.code, message: error.message, details: { ...error.details } },
    cause: error,
  };
}
