import { initial } from './001-initial.js';
import { jobsCreatedBy } from './002-jobs-created-by.js';
import { restoreEstimatedCompletion } from './003-restore-estimated-completion.js';

/**
 * One versioned PostgreSQL migration. `up` receives the schema prefix (`"schema".`) to put
 * before every table name. Append new versions; never edit an applied one.
 */
export interface PostgresMigration {
  version: number;
  name: string;
  up(schemaPrefix: string): string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  initial,
  jobsCreatedBy,
  restoreEstimatedCompletion,
];
