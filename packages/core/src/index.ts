export * from './errors.js';
export type * from './storage/storage-driver.js';
export type * from './keys/key-provider.js';
export type * from './repository/manifest.js';
export type * from './sources/backup-source.js';
export type * from './catalog/records.js';
export type * from './catalog/catalog-repository.js';
export type * from './service/backup-service.js';
export type * from './service/events.js';
