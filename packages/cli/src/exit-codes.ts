import { type BackupError, isBackupError } from '@backupkit/core';

/** The documented exit codes (README and `--help` list the same table). */
export const EXIT = {
  ok: 0,
  /** The operation failed (a storage or database error, a lock held by another process). */
  failure: 1,
  /** Unknown verb or flag, a malformed URL or option value. Nothing was touched. */
  usage: 2,
  /** No repository at the destination, or no such backup, table or path in it. */
  notFound: 3,
  /** A master key is missing, or does not open the repository's data key. */
  key: 4,
  /** Verification found damage: missing or corrupt objects. */
  integrity: 5,
  /** The destination or the database could not be reached or refused the credentials. */
  unreachable: 6,
  /** Cancelled with Ctrl-C: nothing partial is visible and locks are released. */
  cancelled: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODE_HELP = `Exit codes:
  0    success
  1    the operation failed (storage or database error, repository locked)
  2    usage error: unknown verb or flag, malformed URL or value
  3    not found: no repository at the destination, no such backup
  4    key problem: master key missing or wrong
  5    integrity problem: verification found damage
  6    unreachable: destination or database unreachable or refusing credentials
  130  cancelled (Ctrl-C)`;

const BY_CODE: Partial<Record<BackupError['code'], ExitCode>> = {
  validation_failed: EXIT.usage,
  invalid_backup_config: EXIT.usage,
  invalid_request: EXIT.usage,
  not_found: EXIT.notFound,
  backup_not_found: EXIT.notFound,
  table_not_found: EXIT.notFound,
  key_not_found: EXIT.key,
  key_mismatch: EXIT.key,
  integrity_error: EXIT.integrity,
  corrupt_repository: EXIT.integrity,
  unsupported_format: EXIT.integrity,
  unavailable: EXIT.unreachable,
  access_denied: EXIT.unreachable,
  throttled: EXIT.unreachable,
  source_unreachable: EXIT.unreachable,
  authentication_failed: EXIT.unreachable,
  aborted: EXIT.cancelled,
};

/** The exit code for a failure. */
export function exitCodeOf(error: unknown): ExitCode {
  if (isBackupError(error)) return BY_CODE[error.code] ?? EXIT.failure;
  return EXIT.failure;
}
