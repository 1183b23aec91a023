import type { ManifestEntry } from '../repository/manifest.js';

/** What a restore takes from a backup for its `destination`: see `SourceKind.selectEntries`. */
export interface RestoreSelection {
  /** The entries to restore. */
  entries: ManifestEntry[];
  /** The destination the restore target gets (e.g. narrowed to the requested tables found). */
  config: Record<string, unknown>;
  /** What the finished restore reports as skipped (e.g. requested tables the backup lacks). */
  warnings: string[];
  /** Requested names (no globs) the backup does not contain; `warnings` says so. */
  missing: string[];
}

/** The selection of a kind that selects nothing itself: every entry, the destination as given. */
export function selectEverything(
  entries: ManifestEntry[],
  destination: Record<string, unknown>,
): RestoreSelection {
  return { entries, config: destination, warnings: [], missing: [] };
}
