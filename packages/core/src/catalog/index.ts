export type * from './catalog-repository.js';
export { maskConnectionString } from './connection-string-mask.js';
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
