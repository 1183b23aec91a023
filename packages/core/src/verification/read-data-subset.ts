import { BackupError } from '../errors.js';
import type { ReadDataSubset } from './types.js';

/** What `verification_type` asks for: everything, checksums only, or a rotating share of the chunks. */
export type VerificationMode = { kind: 'full' } | { kind: 'quick' } | { kind: 'subset'; percent: number };

/**
 * Parses `full`, `quick` or `NN%` (0 < NN ≤ 100; `100%` is `full`).
 * @throws BackupError `invalid_request` for anything else.
 */
export function parseVerificationType(type: string): VerificationMode {
  if (type === 'full') return { kind: 'full' };
  if (type === 'quick') return { kind: 'quick' };
  const match = /^(\d{1,3}(?:\.\d+)?)%$/.exec(type);
  const percent = match ? Number(match[1]) : Number.NaN;
  if (!(percent > 0 && percent <= 100)) {
    throw new BackupError(
      'invalid_request',
      'verification_type must be full, quick or a percentage such as 25%',
      {
        details: { field: 'verification_type', value: type },
      },
    );
  }
  return percent === 100 ? { kind: 'full' } : { kind: 'subset', percent };
}

/** Number of buckets a `percent` subset rotates through: each run reads one, so `buckets` runs read all. */
export function bucketCount(percent: number): number {
  return Math.max(1, Math.ceil(100 / percent));
}

/** The bucket a chunk falls in: its id is a uniform hash, so its first 32 bits spread chunks evenly. */
export function chunkBucket(chunkId: string, buckets: number): number {
  return Number.parseInt(chunkId.slice(0, 8), 16) % buckets;
}

/**
 * The bucket the next run of a `percent` subset reads: the one after `previous` (from the last
 * verification of the same backup), or 0 when there is none or it used another bucket count.
 * Repeated runs therefore read every chunk once per `bucketCount(percent)` runs.
 */
export function nextReadDataBucket(
  percent: number,
  previous: Partial<ReadDataSubset> | null | undefined,
): number {
  const buckets = bucketCount(percent);
  if (!previous || previous.buckets !== buckets || typeof previous.bucket !== 'number') return 0;
  return (previous.bucket + 1) % buckets;
}

/** The read-data subset in a stored verification result, if it has one (for `nextReadDataBucket`). */
export function readDataOf(
  result: Record<string, unknown> | null | undefined,
): Partial<ReadDataSubset> | null {
  const value = result?.read_data;
  return value && typeof value === 'object' ? (value as Partial<ReadDataSubset>) : null;
}
