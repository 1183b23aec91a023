import { BackupError } from '@backupkit/core';

/** Bad input on the command line: exit code 2, and nothing was touched. */
export function usageError(message: string, field?: string): BackupError {
  return new BackupError('invalid_request', message, field ? { details: { field } } : {});
}
