import type { Manifest } from '../repository/manifest.js';
import type { SourceKind } from './backup-source.js';
import { type RestoreSelection, selectEverything } from './restore-selection.js';
import { basicRestoreSummary, type FinishedRestore, type RestoreSummary } from './restore-summary.js';

// What the generic layers call on a kind: its optional members with their defaults filled in.

/** The kind's family: `family`, else its first type. */
export function kindFamily(kind: SourceKind): string {
  return kind.family ?? kind.types[0] ?? '';
}

/** The kind of `kinds` answering to `type`, or undefined. */
export function findSourceKind(kinds: readonly SourceKind[], type: string): SourceKind | undefined {
  return kinds.find((kind) => kind.types.includes(type));
}

/**
 * What a restore into `destination` takes from `manifest` (see `SourceKind.selectEntries`).
 * @throws BackupError `invalid_backup_config` naming the field when nothing matches.
 */
export function selectRestoreEntries(
  kind: SourceKind,
  manifest: Manifest,
  destination: Record<string, unknown>,
): RestoreSelection {
  return kind.selectEntries
    ? kind.selectEntries(manifest, destination)
    : selectEverything(manifest.entries, destination);
}

/** A finished restore's counters and `verification` block (see `SourceKind.restoreSummary`). */
export function summarizeRestore(kind: SourceKind, restore: FinishedRestore): RestoreSummary {
  return kind.restoreSummary ? kind.restoreSummary(restore) : basicRestoreSummary(restore);
}
