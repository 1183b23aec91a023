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
