import { BackupError, toBackupError } from '../errors.js';
import type { ByteRange, DriverCallOptions, StorageDriver } from '../storage/storage-driver.js';

/**
 * Reads a whole (small, bounded) object or byte range into memory. Blobs are ≤ a few MiB and
 * manifests are bounded, so this is the right shape for them; bulk data never goes through here whole.
 * @throws BackupError `not_found` (from the driver), `integrity_error` when the object exceeds `maxBytes`.
 */
export async function readObject(
  driver: StorageDriver,
  key: string,
  maxBytes: number,
  options: DriverCallOptions & {
    /** Only these bytes of the object (a range request). */
    range?: ByteRange;
    /**
     * Return memory of the caller's own (a buffer that owns its ArrayBuffer whole, never one the
     * driver may still hold), so it may be transferred to a worker thread.
     */
    own?: boolean;
  } = {},
): Promise<Buffer> {
  const { own, ...call } = options;
  const stream = await driver.get(key, call);
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for await (const piece of stream) {
      const buf: Buffer = typeof piece === 'string' ? Buffer.from(piece) : piece;
      total += buf.length;
      if (total > maxBytes) {
        throw new BackupError('integrity_error', `Object ${key} is larger than expected`, {
          details: { key, max_bytes: maxBytes },
        });
      }
      parts.push(buf);
    }
  } catch (error) {
    stream.destroy();
    throw toBackupError(error, 'storage_error');
  }
  if (!own) return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  const out = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (const part of parts) at += part.copy(out, at);
  return out;
}
