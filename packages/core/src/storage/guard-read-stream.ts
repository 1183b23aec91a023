import { PassThrough, type Readable } from 'node:stream';
import type { BackupError } from '../errors.js';

export interface GuardReadStreamOptions {
  /** Destroys the source and fails the returned stream with `onAbort()` when it fires. */
  signal?: AbortSignal;
  /** Turns the source's errors (SDK, socket) into the driver's `BackupError`. */
  mapError: (error: unknown) => BackupError;
  /** The error an abort gives; default: `mapError(signal.reason)`. */
  onAbort?: () => BackupError;
}

/**
 * Wraps a body stream from a store's client so that what the caller reads fails only with
 * `BackupError`s (a reset connection mid-download becomes `unavailable`, not a bare socket
 * error) and an `AbortSignal` stops the download. Destroying the returned stream destroys the
 * source, releasing its connection.
 */
export function guardReadStream(source: Readable, options: GuardReadStreamOptions): Readable {
  const out = new PassThrough({ highWaterMark: source.readableHighWaterMark });
  const { signal, mapError } = options;
  const onAbort = () => {
    const error = options.onAbort ? options.onAbort() : mapError(signal?.reason);
    source.destroy();
    out.destroy(error);
  };
  const detach = () => signal?.removeEventListener('abort', onAbort);
  source.on('error', (error) => {
    detach();
    out.destroy(mapError(error));
  });
  out.on('close', () => {
    detach();
    if (!source.destroyed) source.destroy();
  });
  if (signal?.aborted) {
    onAbort();
    return out;
  }
  signal?.addEventListener('abort', onAbort, { once: true });
  source.pipe(out);
  return out;
}
