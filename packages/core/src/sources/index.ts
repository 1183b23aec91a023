export type * from './backup-source.js';
export { firstChunkDifference } from './chunk-refs.js';
export * from './filesystem/index.js';
export * from './postgres/index.js';
export { type RestoreSelection, selectEverything } from './restore-selection.js';
export {
  basicRestoreSummary,
  type FinishedRestore,
  type RestoreSummary,
  type RestoreVerificationSummary,
  restoredEntryCounts,
  restoreVerification,
  type TargetChecks,
} from './restore-summary.js';
export { findSourceKind, kindFamily, selectRestoreEntries, summarizeRestore } from './source-kinds.js';
export type * from './test-restore.js';
