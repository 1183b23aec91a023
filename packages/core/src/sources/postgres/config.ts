import { availableParallelism } from 'node:os';
import { BackupError } from '../../errors.js';

export interface PostgresSourceConfig {
  connection_string: string;
  /** Tables to back up (`*` globs, optionally `schema.`-qualified); all when absent or empty. */
  tables?: string[];
  /** Tables to leave out (`*` globs). */
  exclude_tables?: string[];
  /** Connections reading tables at once (default: min(4, cores)). */
  max_parallel_jobs?: number;
  /**
   * Tables whose heap is larger than this many bytes are read as page ranges of half of it, in
   * parallel (default {@link DEFAULT_SPLIT_TABLES_ABOVE_BYTES}); `false` reads every table whole.
   */
  split_tables_above_bytes?: number | false;
}

/*
 * Measured on the benchmark's largest table alone (1.15 GB heap, 2 connections; see the
 * source's README): range size made no difference to the time, smaller ranges only cost more
 * short chunks, and a table under a few hundred MB is read in about a second by one stream.
 */
export const DEFAULT_SPLIT_TABLES_ABOVE_BYTES = 256 * 1024 * 1024;
/** Ranges are half the threshold: below this they would be a few pages each. */
const MIN_SPLIT_BYTES = 1024 * 1024;

export interface PostgresRestoreOptions {
  tables: string[];
  overwriteExisting: boolean;
  createMissingTables: boolean;
  skipConstraints: boolean;
  skipIndexes: boolean;
  parallelism: number;
  verifyAfterRestore: boolean;
}

const MAX_JOBS = 32;

function stringList(value: unknown, field: string, issues: string[]): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    issues.push(`${field} must be an array of non-empty table names`);
    return [];
  }
  return value as string[];
}

function splitThreshold(value: unknown, issues: string[]): number | false | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === false) return false;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < MIN_SPLIT_BYTES) {
    issues.push(
      `source.split_tables_above_bytes must be false or an integer of at least ${MIN_SPLIT_BYTES} (bytes)`,
    );
    return undefined;
  }
  return value;
}

function jobs(value: unknown, field: string, issues: string[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_JOBS) {
    issues.push(`${field} must be an integer between 1 and ${MAX_JOBS}`);
    return undefined;
  }
  return value;
}

/** Problems with a source config (no I/O). */
export function validatePostgresSource(config: Record<string, unknown>): string[] {
  const issues: string[] = [];
  const cs = config.connection_string;
  if (typeof cs !== 'string' || cs.trim() === '')
    issues.push('Missing required field: source.connection_string');
  else if (/^postgres(ql)?:\/\//i.test(cs)) {
    try {
      new URL(cs);
    } catch {
      issues.push('source.connection_string is not a valid URL');
    }
  }
  stringList(config.tables, 'source.tables', issues);
  stringList(config.exclude_tables, 'source.exclude_tables', issues);
  jobs(config.max_parallel_jobs, 'source.max_parallel_jobs', issues);
  splitThreshold(config.split_tables_above_bytes, issues);
  return issues;
}

/** @throws BackupError `invalid_backup_config` listing every issue. */
export function parseSourceConfig(config: Record<string, unknown>): Required<PostgresSourceConfig> {
  const issues = validatePostgresSource(config);
  if (issues.length > 0) {
    throw new BackupError('invalid_backup_config', issues.join('; '), { details: { issues } });
  }
  return {
    connection_string: config.connection_string as string,
    tables: stringList(config.tables, '', []),
    exclude_tables: stringList(config.exclude_tables, '', []),
    max_parallel_jobs:
      (config.max_parallel_jobs as number | undefined) ?? Math.min(4, availableParallelism()),
    split_tables_above_bytes:
      splitThreshold(config.split_tables_above_bytes, []) ?? DEFAULT_SPLIT_TABLES_ABOVE_BYTES,
  };
}

function flag(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

/**
 * Reads a restore's `destination` flags and `restore_options`.
 * @throws BackupError `invalid_backup_config` for a missing connection string or bad values.
 */
export function parseRestoreOptions(
  destination: Record<string, unknown>,
  options: Record<string, unknown>,
): { connectionString: string; options: PostgresRestoreOptions } {
  const issues: string[] = [];
  const cs = destination.connection_string;
  if (typeof cs !== 'string' || cs.trim() === '')
    issues.push('Missing required field: destination.connection_string');
  const tables = stringList(destination.tables ?? options.tables, 'destination.tables', issues);
  const maxJobs = jobs(options.max_parallel_jobs, 'restore_options.max_parallel_jobs', issues);
  if (issues.length > 0)
    throw new BackupError('invalid_backup_config', issues.join('; '), { details: { issues } });
  const parallel = flag(options.parallel_restore, true);
  return {
    connectionString: cs as string,
    options: {
      tables,
      overwriteExisting: flag(destination.overwrite_existing ?? options.overwrite_existing, false),
      createMissingTables: flag(destination.create_missing_tables ?? options.create_missing_tables, true),
      skipConstraints: flag(options.skip_constraints, false),
      skipIndexes: flag(options.skip_indexes, false),
      parallelism: parallel ? (maxJobs ?? 4) : 1,
      verifyAfterRestore: flag(options.verify_after_restore, false),
    },
  };
}
