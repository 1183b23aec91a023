import type { Manifest, ManifestEntry } from '../repository/manifest.js';
import type { EntryRestoreResult, RestoreTarget } from './backup-source.js';

/** A verification's `test_restore_options`. */
export interface TestRestoreOptions {
  /** PostgreSQL: database to restore into, created when missing (default `<source db>_test_restore`). */
  test_database?: string;
  /** Tables (PostgreSQL patterns) or paths (directory backups) to restore; all when absent. */
  test_tables?: string[];
  /** Drop what the test restore created (default true). */
  cleanup_after_test?: boolean;
}

export interface TestRestoreReport {
  /** What was test-restored, as the source kind names it (e.g. `postgres`, `directory`). */
  kind: string;
  /** Where it was restored: a test database, a scratch directory. */
  target: string;
  created_target: boolean;
  cleaned_up: boolean;
  entries_restored: number;
  records_restored: number;
  bytes_restored: number;
  /** Per table or file: what the manifest says against what came back. */
  compared: Array<{ name: string; expected_rows?: number; rows?: number; size?: number; matched: boolean }>;
  mismatches: Array<{ name: string; reason: string }>;
}

/** What a restore run reports: per entry, in total, and what the target's `finish()` returned. */
export interface RestoreRunOutcome {
  entries: EntryRestoreResult[];
  records: number;
  bytes: number;
  details: Record<string, unknown>;
}

/** What a source kind's `testRestore` gets from the verification that runs it. */
export interface TestRestoreContext {
  manifest: Manifest;
  options: TestRestoreOptions;
  /**
   * The job's source config with real secrets, or null when the job is gone (a database kind
   * needs its connection string: the manifest only holds a masked one).
   */
  sourceConfig: Record<string, unknown> | null;
  /** Parent of scratch directories (default: the OS temp directory). */
  scratchRoot?: string;
  signal?: AbortSignal;
  /**
   * Restores `entries` of the backup into `target` (every chunk authenticated, every entry's
   * checksum checked, progress reported to the verification) and closes the target.
   * @throws BackupError `integrity_error` for damaged chunks, `aborted`, and the target's errors.
   */
  restore(target: RestoreTarget, entries: ManifestEntry[]): Promise<RestoreRunOutcome>;
}
