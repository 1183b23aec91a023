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
  | 'method_not_allowed'
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

/**
 * Marks BackupErrors on their prototype. A second copy of this class (another bundle of the
 * package, a duplicate install) is a different class, so `isBackupError` checks this
 * registry-wide symbol rather than `instanceof`.
 */
const BRAND = Symbol.for('backupkit.BackupError');

export class BackupError extends Error {
  override readonly name = 'BackupError';
  readonly code: BackupErrorCode;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;

  static {
    // Non-enumerable and on the prototype: not part of the type, never serialized.
    Object.defineProperty(BackupError.prototype, BRAND, { value: true });
  }

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

/**
 * Whether `value` is a BackupError (with `code`, when given) — also one made by another copy
 * of this package, which `instanceof` would miss.
 */
export function isBackupError(value: unknown, code?: BackupErrorCode): value is BackupError {
  const branded =
    value instanceof BackupError ||
    (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true);
  return branded && (code === undefined || (value as BackupError).code === code);
}

/** Wraps anything thrown into a BackupError, keeping BackupErrors (of any copy) as they are. */
export function toBackupError(error: unknown, fallback: BackupErrorCode = 'internal_error'): BackupError {
  if (isBackupError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return new BackupError('aborted', 'The operation was cancelled', { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new BackupError(fallback, message, { cause: error });
}

/**
 * `invalid_backup_config` for well-formed but unusable configuration, naming the field at fault
 * (e.g. `destination.tables`): what the service answers with a 400, and what a source kind
 * throws when a restore's selection finds nothing.
 */
export function invalidConfigError(field: string, issue: string): BackupError {
  return new BackupError('invalid_backup_config', `Invalid backup configuration: ${issue}`, {
    details: { field, issue },
  });
}
