export { DEFAULT_STORAGE_PRICES } from './analytics.js';
export type * from './backup-service.js';
export { type BackupServiceOptions, createBackupService } from './create-backup-service.js';
export type * from './events.js';
export * from './schemas/index.js';
export type { ServiceLogger } from './service-context.js';
export { describeIssues, parseInput, safeParseInput, validationError } from './validate.js';
