import type { ManifestEntry } from '../repository/manifest.js';

/** A restore that finished, as `SourceKind.restoreSummary` sees it. */
export interface FinishedRestore {
  /** The entries restored (the selection). */
  entries: readonly ManifestEntry[];
  /** What the restore target's `finish()` returned (a database target's own checks, warnings). */
  details: Record<string, unknown>;
  /** Whether checks after restoring were asked for (`restore_options.verify_after_restore`). */
  verifyRequested: boolean;
  /** When it finished (ISO 8601). */
  restoredAt: string;
}

/** A restore status's `verification` block. */
export interface RestoreVerificationSummary {
  status: 'passed' | 'failed' | 'skipped';
  data_integrity_verified: boolean;
  /** Null for targets without constraints (not a database). */
  constraints_verified: boolean | null;
  indexes_verified: boolean | null;
  verified_at: string | null;
}

/** What a finished restore reports beyond the engine's totals. */
export interface RestoreSummary {
  /** Counters of the status `result`; `tables_restored` is always there (0 without tables). */
  counts: { tables_restored: number } & Record<string, number>;
  verification: RestoreVerificationSummary;
}

/** The target's own checks after a restore: null where the target has no such thing. */
export interface TargetChecks {
  constraints: boolean | null;
  indexes: boolean | null;
}

const NO_TARGET_CHECKS: TargetChecks = { constraints: null, indexes: null };

/** The restored entries counted by entry kind: tables and files. */
export function restoredEntryCounts(entries: readonly ManifestEntry[]): RestoreSummary['counts'] {
  return {
    tables_restored: entries.filter((entry) => entry.kind === 'table').length,
    files_restored: entries.filter((entry) => entry.kind === 'file').length,
  };
}

/**
 * The `verification` block: `skipped` unless asked for. Every entry's SHA-256 (and each chunk's
 * id) was checked while it streamed; `checks` are the target's own (constraints, indexes), and
 * a target that reports `details.verification.status: 'failed'` fails it too.
 */
export function restoreVerification(
  restore: FinishedRestore,
  checks: TargetChecks = NO_TARGET_CHECKS,
): RestoreVerificationSummary {
  if (!restore.verifyRequested) {
    // Not asked for: the block keeps its shape (entry checksums were still checked while streaming).
    return {
      status: 'skipped',
      data_integrity_verified: false,
      constraints_verified: false,
      indexes_verified: false,
      verified_at: null,
    };
  }
  const reported = restore.details.verification;
  const target =
    typeof reported === 'object' && reported !== null ? (reported as Record<string, unknown>) : {};
  const failed = checks.constraints === false || checks.indexes === false || target.status === 'failed';
  return {
    status: failed ? 'failed' : 'passed',
    data_integrity_verified: true,
    constraints_verified: checks.constraints,
    indexes_verified: checks.indexes,
    verified_at: typeof target.verified_at === 'string' ? target.verified_at : restore.restoredAt,
  };
}

/** The summary of a kind without its own: entries counted, no checks beyond the stream's. */
export function basicRestoreSummary(restore: FinishedRestore): RestoreSummary {
  return { counts: restoredEntryCounts(restore.entries), verification: restoreVerification(restore) };
}
