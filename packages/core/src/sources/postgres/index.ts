export {
  DEFAULT_SPLIT_TABLES_ABOVE_BYTES,
  type PostgresRestoreOptions,
  type PostgresSourceConfig,
} from './config.js';
export { maskConnectionString } from './connection.js';
export {
  createPostgresSourceKind,
  type PostgresSourceKindOptions,
  postgresSourceKind,
} from './postgres-kind.js';
export { createPostgresRestoreTarget, PostgresRestoreTarget } from './postgres-restore-target.js';
export { createPostgresSource, PostgresSource } from './postgres-source.js';
export { postgresTestRestore } from './postgres-test-restore.js';
export type * from './schema-types.js';
export { databaseOf, testDatabaseName } from './test-database.js';
