import type { Manifest } from '../repository/manifest.js';
import type { DamageCollector } from './damage-report.js';
import type { ProgressTracker } from './progress-tracker.js';
import type { VerificationResult, VerifyBackupOptions } from './types.js';
import type { VerifyBackupDataOptions } from './verify-backup.js';

/** One verification under way: what it was asked, what it found so far. */
export interface VerificationRun {
  options: VerifyBackupDataOptions;
  request: VerifyBackupOptions;
  result: VerificationResult;
  damage: DamageCollector;
  progress: ProgressTracker;
  /** Null until read (or when unreadable: damage). */
  manifest: Manifest | null;
  /** The check running now: what goes wrong is charged to it. */
  running: keyof VerificationResult['checks'] | null;
}

/** A result with nothing checked yet: `passed` until something fails. */
export function emptyResult(
  backupId: string,
  verificationType: string,
  startedAt: string,
): VerificationResult {
  return {
    backup_id: backupId,
    status: 'passed',
    verification_type: verificationType,
    checksum_verified: false,
    integrity_verified: false,
    test_restore_verified: false,
    checks: { checksum: 'skipped', integrity: 'skipped', test_restore: 'skipped' },
    manifest_checksum: null,
    chunks_total: 0,
    chunks_checked: 0,
    chunks_read: 0,
    bytes_read: 0,
    entries_verified: 0,
    read_data: null,
    damaged: [],
    damaged_truncated: false,
    test_restore: null,
    error: null,
    started_at: startedAt,
    completed_at: startedAt,
  };
}
