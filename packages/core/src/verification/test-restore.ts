import { restoredShare } from '../engine/progress.js';
import { runRestore } from '../engine/restore-engine.js';
import { BackupError } from '../errors.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import type { SourceKind } from '../sources/backup-source.js';
import { defaultSourceKinds } from '../sources/default-kinds.js';
import { findSourceKind } from '../sources/source-kinds.js';
import type { TestRestoreContext, TestRestoreOptions, TestRestoreReport } from '../sources/test-restore.js';

export interface TestRestoreRunOptions {
  repository: Repository;
  manifest: Manifest;
  options: TestRestoreOptions;
  /**
   * The job's source config with real secrets (PostgreSQL backups need its `connection_string`:
   * the manifest only holds a masked one).
   */
  sourceConfig?: Record<string, unknown> | null;
  scratchRoot?: string;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
  /** The kinds to find the backup's among, by `source.type` (default: the built-in ones). */
  sourceKinds?: readonly SourceKind[];
}

/** Whether backups of this `source.type` can be test-restored: its kind has `testRestore`. */
export function supportsTestRestore(
  sourceType: string,
  sourceKinds: readonly SourceKind[] = defaultSourceKinds(),
): boolean {
  return findSourceKind(sourceKinds, sourceType)?.testRestore !== undefined;
}

/** The kind of source a manifest came from, as `source.type` says. */
export function sourceTypeOf(manifest: Manifest): string {
  return String(manifest.source.type ?? '');
}

/**
 * Test-restores a backup the way its source kind does (`SourceKind.testRestore`: PostgreSQL
 * into a test database, directories into a scratch directory), restoring through the engine.
 * @throws BackupError `not_implemented` for a kind without test restores, and what the kind's
 *   test restore throws.
 */
export async function runTestRestore(options: TestRestoreRunOptions): Promise<TestRestoreReport> {
  const type = sourceTypeOf(options.manifest);
  const kind = findSourceKind(options.sourceKinds ?? defaultSourceKinds(), type);
  if (!kind?.testRestore) {
    throw new BackupError(
      'not_implemented',
      `Test restores of ${type || 'these'} backups are not implemented`,
      {
        details: { source_type: type },
      },
    );
  }
  return kind.testRestore(testRestoreContext(options));
}

/** What a kind's test restore gets: the backup, and a restore through the engine reporting bytes. */
function testRestoreContext(options: TestRestoreRunOptions): TestRestoreContext {
  const { repository, manifest, signal } = options;
  return {
    manifest,
    options: options.options,
    sourceConfig: options.sourceConfig ?? null,
    scratchRoot: options.scratchRoot,
    signal,
    restore: (target, entries) =>
      runRestore({
        repository,
        manifest,
        target,
        entries,
        signal,
        onProgress: (p) => options.onBytes?.(restoredShare(p)),
      }),
  };
}
