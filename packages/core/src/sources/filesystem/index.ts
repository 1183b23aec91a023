export { directoryTestRestore } from './directory-test-restore.js';
export { filesystemSourceKind } from './filesystem-kind.js';
export {
  createFilesystemRestoreTarget,
  type FilesystemRestoreTargetOptions,
  selectFilesystemEntries,
} from './filesystem-restore-target.js';
export {
  createFilesystemSource,
  type FileMetadata,
  type FilesystemSourceOptions,
} from './filesystem-source.js';
