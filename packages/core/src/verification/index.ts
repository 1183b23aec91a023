export {
  type RecoverFromStorageOptions,
  type RecoverFromStorageResult,
  recoverBackupsFromStorage,
} from './catalog-recovery.js';
export { checkChunkObjects, distinctChunkIds, storedManifestChecksum } from './checksum-check.js';
export { buildDamageReport, DamageCollector, type DamageFinding } from './damage-report.js';
export { checkAllEntries, checkChunkSubset } from './integrity-check.js';
export {
  bucketCount,
  chunkBucket,
  nextReadDataBucket,
  parseVerificationType,
  readDataOf,
  type VerificationMode,
} from './read-data-subset.js';
export {
  backupRecordOf,
  publicDestination,
  REBUILT_JOB_CREATOR,
  type RebuildCatalogOptions,
  type RebuildCatalogResult,
  rebuildCatalog,
} from './rebuild-catalog.js';
export { type IndexRepairResult, repairIndex } from './repair-index.js';
export {
  runTestRestore,
  sourceTypeOf,
  supportsTestRestore,
  type TestRestoreRunOptions,
} from './test-restore.js';
export type * from './types.js';
export { type VerifyBackupDataOptions, verifyBackupData } from './verify-backup.js';
