import { BackupError } from '../errors.js';
import type { Manifest } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { directoryTestRestore } from './directory-test-restore.js';
import { postgresTestRestore } from './postgres-test-restore.js';
import type { TestRestoreOptions, TestRestoreReport } from './types.js';

const POSTGRES_TYPES = new Set(['database', 'postgres', 'postgresql']);

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
}

/** Whether backups of this `source.type` can be test-restored (PostgreSQL and directories). */
export function supportsTestRestore(sourceType: string): boolean {
  return POSTGRES_TYPES.has(sourceType) || sourceType === 'filesystem';
}

/** The kind of source a manifest came from, as `source.type` says. */
export function sourceTypeOf(manifest: Manifest): string {
  return String(manifest.source.type ?? '');
}

/**
 * Test-restores a backup the way its source kind restores: PostgreSQL into a test database,
 * directories into a scratch directory; then compares with the manifest and cleans up.
 * @throws BackupError `invalid_request` (PostgreSQL without a connection string, bad test
 *   database), `not_implemented` for other source kinds, and what the restore throws.
 */
export async function runTestRestore(options: TestRestoreRunOptions): Promise<TestRestoreReport> {
  const type = sourceTypeOf(options.manifest);
  if (POSTGRES_TYPES.has(type)) {
    const cs = options.sourceConfig?.connection_string;
    if (typeof cs !== 'string' || cs.trim() === '') {
      throw new BackupError(
        'invalid_request',
        'A PostgreSQL test restore needs the source connection string',
        {
          details: { field: 'source.connection_string' },
        },
      );
    }
    return postgresTestRestore({ ...options, connectionString: cs });
  }
  if (type === 'filesystem') return directoryTestRestore(options);
  throw new BackupError(
    'not_implemented',
    `Test restores of ${type || 'these'} backups are not implemented`,
    {
      details: { source_type: type },
    },
  );
}
