import { isBackupError } from '../errors.js';
import { snapshotKey } from '../repository/layout.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { storedManifestChecksum } from './checksum-check.js';
import type { DamageCollector } from './damage-report.js';
import type { VerificationResult } from './types.js';
import type { VerifyBackupDataOptions } from './verify-backup.js';

/** Checksum verification of the manifest object: present, and hashing as the catalog recorded. */
export async function checkManifestObject(
  options: VerifyBackupDataOptions,
  result: VerificationResult,
  damage: DamageCollector,
): Promise<void> {
  const key = snapshotKey(options.backupId);
  try {
    result.manifest_checksum = await storedManifestChecksum(
      options.repository,
      options.backupId,
      options.signal,
    );
  } catch (error) {
    if (!isBackupError(error, 'not_found')) throw error;
    damage.add({
      kind: 'manifest',
      key,
      problem: 'missing',
      detail: `The manifest of backup ${options.backupId} is missing`,
      found_by: 'checksum',
    });
    result.checks.checksum = 'failed';
    return;
  }
  if (options.expectedChecksum && options.expectedChecksum !== result.manifest_checksum) {
    damage.add({
      kind: 'manifest',
      key,
      problem: 'manifest_checksum_mismatch',
      detail: `The stored manifest hashes to ${result.manifest_checksum}, the catalog recorded ${options.expectedChecksum}`,
      found_by: 'checksum',
    });
    result.checks.checksum = 'failed';
  }
}

/** Reads the manifest; a missing or unreadable one is damage (returns null), not an error. */
export async function readManifestOrDamage(
  repository: Repository,
  backupId: string,
  damage: DamageCollector,
  signal?: AbortSignal,
): Promise<Manifest | null> {
  try {
    return await repository.readManifest(backupId, { signal });
  } catch (error) {
    const key = snapshotKey(backupId);
    if (isBackupError(error, 'backup_not_found')) {
      damage.add({ kind: 'manifest', key, problem: 'missing', detail: error.message, found_by: 'integrity' });
      return null;
    }
    if (isBackupError(error, 'integrity_error') || isBackupError(error, 'unsupported_format')) {
      damage.add({
        kind: 'manifest',
        key,
        problem: 'manifest_unreadable',
        detail: error.message,
        found_by: 'integrity',
      });
      return null;
    }
    throw error;
  }
}
