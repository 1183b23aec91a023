import type { RepositoryOpenOptions } from '@backupkit/core';

/**
 * Repository settings for tests of packs on a few MiB of data: the smallest packs (4 MiB) and
 * 64 KiB chunks, so a backup leaves several packs of many chunks each.
 */
export const SMALL_PACKS: Pick<RepositoryOpenOptions, 'packSize' | 'chunker'> = {
  packSize: 4 * 1024 * 1024,
  chunker: { algorithm: 'fastcdc-gear-v1', minSize: 16384, avgSize: 65536, maxSize: 262144 },
};
