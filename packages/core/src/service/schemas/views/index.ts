// The service's results: one zod schema per shape, the named types inferred from them. The
// views build these types; the HTTP adapter documents and checks its responses with the schemas.
export * from './analytics-view.js';
export * from './backup-file-view.js';
export * from './catalog-rebuild-result.js';
export * from './execution-view.js';
export * from './health-view.js';
export * from './job-status-view.js';
export * from './job-view.js';
export * from './restore-status-view.js';
export * from './restore-view.js';
export * from './retention-result.js';
export * from './verification-view.js';
export {
  type ErrorBlock,
  type ExecutionId,
  errorBlockSchema,
  type RestoreId,
  type VerificationId,
} from './view-parts.js';
