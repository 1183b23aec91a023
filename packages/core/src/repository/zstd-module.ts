import type * as ZstdNapi from 'zstd-napi';
import { requireOptional, resolveOptional } from '../util/optional-module.js';

// zstd-napi is an optional dependency (a native module whose build may fail): loaded on first
// use, so backups that do not use zstd work without it.

/**
 * zstd-napi, loaded on first use (Node caches it).
 * @throws BackupError `not_implemented` naming the package when it is not installed.
 */
export function zstdNapi(): typeof ZstdNapi {
  return requireOptional<typeof ZstdNapi>('zstd-napi', 'zstd compression');
}

/** Whether zstd-napi loads here. */
export function zstdAvailable(): boolean {
  try {
    zstdNapi();
    return true;
  } catch {
    return false;
  }
}

/**
 * zstd-napi's entry file, for worker threads that load it themselves.
 * @throws BackupError `not_implemented` naming the package when it is not installed.
 */
export function zstdModulePath(): string {
  return resolveOptional('zstd-napi', 'zstd compression');
}
