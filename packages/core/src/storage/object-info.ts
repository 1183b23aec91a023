import type { ObjectInfo } from './storage-driver.js';

/** What a store reports of an object, as its client gives it (numbers as strings, times as text). */
export interface ObjectFacts {
  size?: number | string | null | undefined;
  lastModified?: Date | string | number | null | undefined;
  etag?: string | null | undefined;
  checksum?: ObjectInfo['checksum'] | undefined;
}

/**
 * The `ObjectInfo` of `key` from what the store reported: a missing size is 0, a missing time
 * the epoch, an ETag loses the quotes HTTP puts around it, and an empty ETag or no checksum is
 * left out.
 */
export function objectInfo(key: string, facts: ObjectFacts): ObjectInfo {
  const { lastModified, checksum } = facts;
  const etag = facts.etag?.replaceAll('"', '');
  return {
    key,
    size: Number(facts.size ?? 0),
    lastModified: lastModified instanceof Date ? lastModified : new Date(lastModified ?? 0),
    ...(etag ? { etag } : {}),
    ...(checksum ? { checksum } : {}),
  };
}
