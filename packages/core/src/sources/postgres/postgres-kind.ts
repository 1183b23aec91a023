import { BackupError } from '../../errors.js';
import type { SourceKind } from '../backup-source.js';
import {
  type FinishedRestore,
  type RestoreSummary,
  restoredEntryCounts,
  restoreVerification,
} from '../restore-summary.js';
import { parseRestoreOptions, validatePostgresSource } from './config.js';
import { createPostgresRestoreTarget } from './postgres-restore-target.js';
import { createPostgresSource } from './postgres-source.js';
import { postgresTestRestore } from './postgres-test-restore.js';
import { POSTGRES_FAMILY, POSTGRES_TYPES } from './postgres-types.js';
import { selectPostgresEntries } from './table-selection.js';

/** Tables counted; the target's constraint and index checks (its `finish()` details) decide too. */
function postgresRestoreSummary(restore: FinishedRestore): RestoreSummary {
  const { details } = restore;
  return {
    counts: restoredEntryCounts(restore.entries),
    verification: restoreVerification(restore, {
      constraints: details.constraints_verified !== false,
      indexes: details.indexes_verified !== false,
    }),
  };
}

/**
 * The PostgreSQL source kind for the service's registry (`database`, `postgres`, `postgresql`):
 * tables read with COPY, restored into a database (`destination.tables` selects), test-restored
 * into a test database on the source's server.
 */
export const postgresSourceKind: SourceKind = {
  types: POSTGRES_TYPES,
  family: POSTGRES_FAMILY,
  validateSource: (config) => validatePostgresSource(config),
  accessRequests: (config) =>
    typeof config.connection_string === 'string'
      ? [{ type: 'database', field: 'connection_string', connectionString: config.connection_string }]
      : [],
  createSource: (config) => createPostgresSource(config),
  createRestoreTarget: (destination, options) => {
    parseRestoreOptions(destination, options);
    return createPostgresRestoreTarget(destination, options);
  },
  selectEntries: (manifest, destination) => selectPostgresEntries(manifest, destination),
  restoreSummary: postgresRestoreSummary,
  testRestore: (context) => postgresTestRestore(context),
};

/** Host-wide settings of the PostgreSQL source that jobs do not carry (the REST job body has no such fields). */
export interface PostgresSourceKindOptions {
  /** See `PostgresSourceConfig.split_tables_above_bytes`. */
  split_tables_above_bytes?: number | false;
}

/**
 * The PostgreSQL source kind with host-wide settings, for `createBackupService({ sources })`:
 * every job's source gets them (a source config's own value wins).
 * @throws BackupError `invalid_backup_config` for a bad setting.
 */
export function createPostgresSourceKind(options: PostgresSourceKindOptions): SourceKind {
  const settings =
    options.split_tables_above_bytes === undefined
      ? {}
      : { split_tables_above_bytes: options.split_tables_above_bytes };
  const issues = validatePostgresSource({ connection_string: 'postgresql://check', ...settings });
  if (issues.length > 0) {
    throw new BackupError('invalid_backup_config', issues.join('; '), { details: { issues } });
  }
  return {
    ...postgresSourceKind,
    createSource: (config) => createPostgresSource({ ...settings, ...config }),
  };
}
