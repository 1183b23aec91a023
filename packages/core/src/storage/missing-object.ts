import { isBackupError } from '../errors.js';

/**
 * For the catch block of a driver's `head`: a missing object is no failure there, `head`
 * answers `null` (`return nullIfNotFound(mapped)`).
 * @throws `error` itself unless it is a `not_found` BackupError.
 */
export function nullIfNotFound(error: unknown): null {
  if (isBackupError(error, 'not_found')) return null;
  throw error;
}

/**
 * For the catch block of a driver's `delete`: deleting a missing object is no failure.
 * @throws `error` itself unless it is a `not_found` BackupError.
 */
export function ignoreNotFound(error: unknown): void {
  if (!isBackupError(error, 'not_found')) throw error;
}
