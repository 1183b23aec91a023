export type * from './catalog-repository.js';
// maskConnectionString is also reachable as SecretBox.mask: sources/postgres already exports a
// function of that name from the root barrel, and two `export *` of one name do not compile.
export { createMemoryCatalog, MemoryCatalog } from './memory-catalog.js';
export { POSTGRES_MIGRATIONS, type PostgresMigration } from './migrations/index.js';
export {
  createPostgresCatalog,
  PostgresCatalog,
  type PostgresCatalogOptions,
  type PostgresPoolLike,
} from './postgres-catalog.js';
export { migratePostgres, type PostgresClientLike } from './postgres-migrator.js';
export { canonicalTime } from './record-columns.js';
export type * from './records.js';
export { loadOrCreateSecretKey, type SealedConnectionString, SecretBox } from './secret-box.js';
export { createSqliteCatalog, SqliteCatalog, type SqliteCatalogOptions } from './sqlite-catalog.js';
export { SQLITE_MIGRATIONS } from './sqlite-schema.js';
