import { Readable } from 'node:stream';
import { BackupError } from '../errors.js';
import { notFoundError } from './driver-errors.js';
import type { ByteRange, GetOptions, StorageDriver } from './storage-driver.js';

/** The last byte a range covers (inclusive, as HTTP and most clients count), or undefined for "to the end". */
export function lastByteOf(range: ByteRange): number | undefined {
  return range.length === undefined ? undefined : range.offset + range.length - 1;
}

/** The HTTP `Range` header value of a range: `bytes=10-19`, or `bytes=10-` to the end. */
export function httpRangeHeader(range: ByteRange): string {
  return `bytes=${range.offset}-${lastByteOf(range) ?? ''}`;
}

/**
 * Answers a ranged `get` whose bytes the store will not send: a range of zero bytes (no HTTP
 * `Range` names zero bytes; call this instead of the store) or one the store refused as
 * unsatisfiable (HTTP 416, S3 `InvalidRange`; call this from the catch block), which stores do
 * for a range that starts at or after the object's end. Asks `driver.head` for the size: when
 * the object exists, a range of zero bytes or one starting at or after its end reads nothing,
 * as a read past the end does on the local driver.
 * @throws BackupError `not_found` when the object does not exist; `invalid_request` when the
 * store refused a range that starts inside the object; whatever `head` throws (`aborted`, ...).
 */
export async function readEmptyRange(
  driver: Pick<StorageDriver, 'head' | 'describe'>,
  key: string,
  options: GetOptions = {},
): Promise<Readable> {
  const { range, signal } = options;
  const info = await driver.head(key, { signal });
  if (info === null) throw notFoundError('get', key, driver.describe(key));
  if (range?.length === 0 || (range?.offset ?? 0) >= info.size) return Readable.from([]);
  throw new BackupError('invalid_request', `Invalid byte range for ${driver.describe(key)}`, {
    details: { key, range },
  });
}
