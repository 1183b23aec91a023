import type { ErrorInfo } from '../catalog/records.js';
import { BackupError, type BackupErrorCode } from '../errors.js';
import { redactValue } from '../security/redaction.js';
import { maskSecrets, scrubMessage } from './secrets.js';

/** Listed secrets this long or longer are scrubbed (as in `scrubMessage`). */
const MIN_SECRET_LENGTH = 4;

/**
 * A JSON-safe, secret-free copy of an error's details: secret fields masked, every string
 * through the same scrubbing as the message; values JSON cannot hold (bigints, cycles) turned
 * into text or dropped, since the copy is stored as JSON.
 */
export function scrubDetails(
  details: Record<string, unknown> | undefined,
  secrets: readonly string[],
): Record<string, unknown> {
  if (!details) return {};
  let plain: unknown;
  try {
    plain = JSON.parse(
      JSON.stringify(details, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value)),
    );
  } catch {
    // Cyclic: nothing of it is worth more than the message, which still says what happened.
    return {};
  }
  // Secret fields (`password`…) masked by name first, then listed secrets and secret spans.
  const scrubbed = redactValue(maskSecrets(plain), secrets, { minSecretLength: MIN_SECRET_LENGTH });
  return typeof scrubbed === 'object' && scrubbed !== null && !Array.isArray(scrubbed)
    ? (scrubbed as Record<string, unknown>)
    : {};
}

/**
 * What an execution, restore or verification stores of a failure, and what status views and
 * events show: its code, the message that says what happened, and its details, all scrubbed
 * of `secrets` (and of every secret span, such as a connection string's password).
 */
export function errorInfoOf(error: BackupError, secrets: readonly string[] = []): ErrorInfo {
  return {
    code: error.code,
    message: scrubMessage(error.message, secrets),
    details: scrubDetails(error.details, secrets),
  };
}

/** The BackupError an event carries for a stored failure: the same code, message and details. */
export function errorOfInfo(info: ErrorInfo, cause?: unknown): BackupError {
  return new BackupError(info.code as BackupErrorCode, info.message, {
    details: info.details ?? {},
    ...(cause === undefined ? {} : { cause }),
  });
}
