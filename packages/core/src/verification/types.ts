import type { ErrorInfo } from '../catalog/records.js';
import type { TestRestoreOptions, TestRestoreReport } from '../sources/test-restore.js';

/** What to verify: the body of `POST /backup/backups/{backup_id}/verify`. */
export interface VerifyBackupOptions {
  /** `full`, `quick` (checksums only) or `NN%` (read that share of the chunks, rotating per run). */
  verification_type: string;
  checksum_verification: boolean;
  integrity_check: boolean;
  test_restore: boolean;
  test_restore_options?: TestRestoreOptions | null;
}

/** How an object was found to be damaged. */
export type DamageProblem =
  | 'missing'
  | 'size_mismatch'
  /** The stored bytes do not hash to the SHA-256 recorded at backup time (checksum check). */
  | 'checksum_mismatch'
  | 'corrupt'
  | 'entry_checksum_mismatch'
  | 'manifest_checksum_mismatch'
  | 'manifest_unreadable'
  | 'restore_mismatch';

/** One damaged object, named precisely, with what it takes down with it. */
export interface DamagedObject {
  /** Where the object is (`driver.describe(key)`), or the entry name for entry-level damage. */
  object: string;
  /** The repository key (`chunks/ab/ab…`, `snapshots/<id>.json`), null for entry-level damage. */
  key: string | null;
  kind: 'chunk' | 'manifest' | 'entry';
  chunk_id: string | null;
  problem: DamageProblem;
  detail: string;
  /** Tables / files of this backup affected. */
  entries: string[];
  /** Later backups (completed after this one) that reference the same damaged chunk. */
  shared_with_backups: string[];
  /** Earlier backups that reference it too (damaged as well). */
  earlier_backups: string[];
  found_by: 'checksum' | 'integrity' | 'test_restore';
}

export type CheckOutcome = 'passed' | 'failed' | 'skipped' | 'error';

/** The read-data subset a `NN%` verification covered; the next run takes `(bucket + 1) % buckets`. */
export interface ReadDataSubset {
  percent: number;
  buckets: number;
  bucket: number;
  chunks: number;
}

/** The structured outcome stored as `backup_verifications.result`. */
export interface VerificationResult {
  backup_id: string;
  status: 'passed' | 'failed' | 'error';
  verification_type: string;
  checksum_verified: boolean;
  integrity_verified: boolean;
  test_restore_verified: boolean;
  checks: { checksum: CheckOutcome; integrity: CheckOutcome; test_restore: CheckOutcome };
  /** `sha256:<hex>` of the stored manifest object. */
  manifest_checksum: string | null;
  chunks_total: number;
  /** Chunks whose stored object was checked (exists, stored size). */
  chunks_checked: number;
  /** Chunks read, authenticated and decompressed. */
  chunks_read: number;
  bytes_read: number;
  /** Entries whose SHA-256 was recomputed and matched. */
  entries_verified: number;
  read_data: ReadDataSubset | null;
  damaged: DamagedObject[];
  /** More damage was found than `damaged` lists. */
  damaged_truncated: boolean;
  test_restore: TestRestoreReport | null;
  /** Why the verification could not finish (status `error`), or the first damage (status `failed`). */
  error: ErrorInfo | null;
  started_at: string;
  completed_at: string;
}

export interface VerificationProgress {
  phase: 'manifest' | 'checksum' | 'integrity' | 'test_restore' | 'damage_report' | 'done';
  /** 0–100 over the whole verification. */
  progress: number;
  units_done: number;
  units_total: number;
}
