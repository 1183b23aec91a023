export * from './backup-engine.js';
export type { BackupProgress, TransferProgress } from './progress.js';
export * from './restore-engine.js';
