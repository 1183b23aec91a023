/**
 * Every failure the SDK reports is a `BackupError` with one of these codes.
 * The HTTP adapter maps codes to statuses in one table; nothing else should switch on messages.
 */
export type BackupErrorCode =
  // input
  | 'validation_failed'
  | 'invalid_backup_config'
  | 'invalid_request'
  // HTTP boundary (produced by the HTTP adapter)
  | 'unauthorized'
  | 'forbidden'
  | 'payload_too_large'
  // lookups
  | 'not_found'
  | 'job_not_found'
  | 'backup_not_found'
  | 'restore_not_found'
  | 'execution_not_found'
  | 'verification_not_found'
  // state
  | 'execution_in_progress'
  | 'conflict'
  | 'rate_limited'
  | 'aborted'
  // keys and data integrity
  | 'key_not_found'
  | 'key_mismatch'
  | 'integrity_error'
  | 'corrupt_repository'
  | 'unsupported_format'
  // storage
  | 'access_denied'
  | 'throttled'
  | 'unavailable'
  | 'storage_error'
  // sources and restore targets
  | 'source_unreachable'
  | 'authentication_failed'
  | 'permission_denied'
  | 'table_not_found'
  | 'table_exists'
  | 'restore_failed'
  | 'not_implemented'
  | 'internal_error';

/** Codes whose failures may succeed when retried later (transient storage or network trouble). */
const RETRYABLE: ReadonlySet<BackupErrorCode> = new Set(['throttled', 'unavailable']);

export interface BackupErrorOptions {
  cause?: unknown;
  /** Structured, secret-free facts about the failure (ids, field names, object keys). */
  details?: Record<string, unknown>;
  /** Overrides the default retryability of the code. */
  retryable?: boolean;
}

export class BackupError extends Error {
  override readonly name = 'BackupError';
  readonly code: BackupErrorCode;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(code: BackupErrorCode, message: string, options: BackupErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? RETRYABLE.has(code);
  }

  /** The documented error body: `{ error, message, details }`. */
  toJSON(): { error: BackupErrorCode; message: string; details: Record<string, unknown> } {
    return { error: this.code, message: this.message, details: this.details };
  }
}

export function isBackupError(value: unknown, code?: BackupErrorCode): value is BackupError {
  return value instanceof BackupError && (code === undefined || value.code === code);
}

/** Wraps anything thrown into a BackupError, keeping BackupErrors as they are. */
export function toBackupError(error: unknown, fallback: BackupErrorCode = 'internal_error'): BackupError {
  if (error instanceof BackupError) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new BackupError('aborted', 'The operation was cancelled', { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new BackupError(fallback, message, { cause: error });
}
