import { BackupError } from '../errors.js';

/**
 * The `aborted` error of a driver call cancelled through its `AbortSignal`:
 * `get of <key> was cancelled`, with the signal's reason as cause and `{ key, operation }` as
 * details.
 */
export function callAbortedError(operation: string, key: string, signal?: AbortSignal): BackupError {
  return new BackupError('aborted', `${operation} of ${key} was cancelled`, {
    cause: signal?.reason,
    details: { key, operation },
  });
}

/**
 * For the start of a driver call: a call whose signal has already fired sends no request.
 * @throws BackupError `aborted` when `signal` has fired.
 */
export function throwIfCallAborted(operation: string, key: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw callAbortedError(operation, key, signal);
}

/**
 * The `not_found` error for a key with no object: `No object at <location>` (`location` is
 * what the driver's `describe(key)` gives; the key itself when omitted), with
 * `{ key, operation }` as details.
 */
export function notFoundError(operation: string, key: string, location: string = key): BackupError {
  return new BackupError('not_found', `No object at ${location}`, { details: { key, operation } });
}

/**
 * What a driver call that failed with `error` throws: `aborted` when the call's `signal` has
 * fired, whatever the client made of the abort (an AbortError, a destroyed socket, a failed
 * body stream, a half-sent request); otherwise `mapError(error)`, the driver's own mapping of
 * its client's errors.
 */
export function driverCallError(
  error: unknown,
  operation: string,
  key: string,
  signal: AbortSignal | undefined,
  mapError: (error: unknown) => BackupError,
): BackupError {
  return signal?.aborted ? callAbortedError(operation, key, signal) : mapError(error);
}
