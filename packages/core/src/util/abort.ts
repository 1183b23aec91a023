import { setMaxListeners } from 'node:events';
import { BackupError } from '../errors.js';

/** Throws `aborted` when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

export function abortedError(signal?: AbortSignal): BackupError {
  return new BackupError('aborted', 'The operation was cancelled', {
    cause: signal?.reason instanceof Error ? signal.reason : undefined,
  });
}

/**
 * An AbortController that also fires when any of `parents` fires; `dispose()` detaches it.
 * Lets a run cancel its own in-flight work on the first failure without touching the caller's signal.
 */
export function linkedAbortController(...parents: Array<AbortSignal | undefined>): {
  controller: AbortController;
  dispose: () => void;
} {
  const controller = new AbortController();
  // A run hangs many concurrent operations (streams, chunk writes, storage calls) on this one
  // signal, each removing its listener when done: the default limit of 10 would warn
  // (MaxListenersExceededWarning) without there being a leak.
  setMaxListeners(0, controller.signal);
  const cleanups: Array<() => void> = [];
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      continue;
    }
    const onAbort = () => controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => parent.removeEventListener('abort', onAbort));
  }
  return {
    controller,
    dispose: () => {
      for (const cleanup of cleanups) cleanup();
    },
  };
}
