import type { SourceKind } from '../backup-source.js';
import { parseRestoreOptions, validatePostgresSource } from './config.js';
import { createPostgresRestoreTarget } from './postgres-restore-target.js';
import { createPostgresSource } from './postgres-source.js';

export type { PostgresRestoreOptions, PostgresSourceConfig } from './config.js';
export { maskConnectionString } from './connection.js';
export { createPostgresRestoreTarget, PostgresRestoreTarget } from './postgres-restore-target.js';
export { createPostgresSource, PostgresSource } from './postgres-source.js';
export type * from './schema-types.js';

/** The `database` / `postgres` / `postgresql` source kind for the service's registry. */
export const postgresSourceKind: SourceKind = {
  types: ['database', 'postgres', 'postgresql'],
  validateSource: (config) => validatePostgresSource(config),
  createSource: (config) => createPostgresSource(config),
  createRestoreTarget: (destination, options) => {
    parseRestoreOptions(destination, options);
    return createPostgresRestoreTarget(destination, options);
  },
};
