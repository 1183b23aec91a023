import type { PostgresMigration } from './index.js';

/** Restores report when they should end, as executions and verifications do. */
export const restoreEstimatedCompletion: PostgresMigration = {
  version: 3,
  name: 'restore_estimated_completion',
  up: (s) => `
ALTER TABLE ${s}backup_restores ADD COLUMN estimated_completion timestamptz;
`,
};
