import { readlinkSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Where an open file really is: Linux names it in /proc/self/fd (the real path, whatever path
 * opened it). Null where the system does not say. Synchronous: reading that link touches no
 * disk, and a thread-pool round trip per file would slow every read.
 */
export function openedPath(handle: FileHandle): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${handle.fd}`);
  } catch {
    return null;
  }
}
