import type pg from 'pg';
import { runRestore } from '../engine/restore-engine.js';
import { BackupError, isBackupError, toBackupError } from '../errors.js';
import type { Manifest, ManifestEntry } from '../repository/manifest.js';
import type { Repository } from '../repository/repository.js';
import { connect, mapPgError, qualified, quoteIdent } from '../sources/postgres/connection.js';
import { createPostgresRestoreTarget } from '../sources/postgres/postgres-restore-target.js';
import { TablePattern } from '../sources/postgres/table-match.js';
import { databaseOf, testDatabaseName, withDatabase } from './test-database.js';
import type { TestRestoreOptions, TestRestoreReport } from './types.js';

export interface PostgresTestRestoreOptions {
  repository: Repository;
  manifest: Manifest;
  options: TestRestoreOptions;
  /** The backed-up database's real connection string: names the server and a login that may create databases. */
  connectionString: string;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
}

interface TableRef {
  entry: ManifestEntry;
  schema: string;
  name: string;
}

function tablesOf(manifest: Manifest, patterns: string[] | undefined): TableRef[] {
  const all: TableRef[] = manifest.entries
    .filter((entry) => entry.kind === 'table')
    .map((entry) => {
      const meta = entry.metadata;
      const dot = entry.name.indexOf('.');
      return {
        entry,
        schema: typeof meta.schema === 'string' ? meta.schema : entry.name.slice(0, dot),
        name: typeof meta.name === 'string' ? meta.name : entry.name.slice(dot + 1),
      };
    });
  if (!patterns || patterns.length === 0) return all;
  const compiled = patterns.map((p) => new TablePattern(p));
  const unknown = compiled.filter((p) => p.literal && !all.some((t) => p.matches(t))).map((p) => p.text);
  if (unknown.length > 0) {
    throw new BackupError('table_not_found', `test_tables not in the backup: ${unknown.join(', ')}`, {
      details: { tables: unknown },
    });
  }
  return all.filter((t) => compiled.some((p) => p.matches(t)));
}

/**
 * Restores `test_tables` of a PostgreSQL backup into `test_database` on the same server (created
 * when missing), has the restore target re-read every restored table and compare its row count
 * and COPY-text SHA-256 with the manifest, then — with `cleanup_after_test` (default) — drops
 * what it made: the database when it created it, otherwise only the tables it created.
 * Mismatches come back in the report (not thrown).
 * @throws BackupError `invalid_request` (bad or forbidden test database), `table_not_found`,
 *   `table_exists` (a pre-existing test database already holds a selected table),
 *   `permission_denied`, `source_unreachable`, `integrity_error` for damaged chunks, `aborted`.
 */
export async function postgresTestRestore(options: PostgresTestRestoreOptions): Promise<TestRestoreReport> {
  const { manifest, connectionString } = options;
  const sourceDb = databaseOf(connectionString);
  const name = testDatabaseName(options.options.test_database, sourceDb);
  const tables = tablesOf(manifest, options.options.test_tables);
  const cleanup = options.options.cleanup_after_test !== false;
  const testCs = withDatabase(connectionString, name);
  const report: TestRestoreReport = {
    kind: 'postgres',
    target: name,
    created_target: false,
    cleaned_up: false,
    entries_restored: 0,
    records_restored: 0,
    bytes_restored: 0,
    compared: [],
    mismatches: [],
  };
  const admin = await connect(connectionString, 'backupkit-test-restore');
  let preexisting = new Set<string>();
  try {
    report.created_target = await ensureDatabase(admin, name, connectionString);
    if (!report.created_target) preexisting = await existingTables(testCs, tables);
    try {
      await restoreAndCompare(options, testCs, tables, report);
    } finally {
      if (cleanup) {
        if (report.created_target) {
          await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
        } else {
          await dropTables(
            testCs,
            tables.filter((t) => !preexisting.has(t.entry.name)),
          );
        }
        report.cleaned_up = true;
      }
    }
  } catch (error) {
    throw isBackupError(error)
      ? error
      : mapPgError(error, connectionString, 'restore_failed', 'Test restore failed');
  } finally {
    await admin.end().catch(() => {});
  }
  return report;
}

async function restoreAndCompare(
  options: PostgresTestRestoreOptions,
  testCs: string,
  tables: TableRef[],
  report: TestRestoreReport,
): Promise<void> {
  const target = createPostgresRestoreTarget(
    { connection_string: testCs, overwrite_existing: false, create_missing_tables: true },
    { verify_after_restore: true },
  );
  try {
    const result = await runRestore({
      repository: options.repository,
      manifest: options.manifest,
      target,
      entries: tables.map((t) => t.entry),
      signal: options.signal,
      onProgress: (p) => options.onBytes?.(p.bytesDone),
    });
    report.entries_restored = result.entries.length;
    report.records_restored = result.records;
    report.bytes_restored = result.bytes;
    for (const restored of result.entries) {
      const entry = tables.find((t) => t.entry.name === restored.name)?.entry;
      const expected = entry?.metadata.row_count;
      const matched = typeof expected !== 'number' || expected === restored.records;
      report.compared.push({
        name: restored.name,
        ...(typeof expected === 'number' ? { expected_rows: expected } : {}),
        rows: restored.records,
        matched,
      });
      if (!matched) {
        report.mismatches.push({
          name: restored.name,
          reason: `${restored.records} rows, backup has ${expected}`,
        });
      }
    }
  } catch (thrown) {
    const error = toBackupError(thrown);
    // The target's re-read found tables that differ from the manifest: a finding, not a failure to run.
    const mismatches = error.details?.mismatches;
    if (error.code === 'integrity_error' && Array.isArray(mismatches)) {
      for (const m of mismatches as Array<{ table: string; reason: string }>) {
        report.mismatches.push({ name: m.table, reason: m.reason });
        report.compared.push({ name: m.table, matched: false });
      }
      return;
    }
    // A table that loaded a different number of rows than the manifest recorded.
    if (error.code === 'integrity_error' && typeof error.details?.table === 'string') {
      const table = error.details.table;
      report.mismatches.push({ name: table, reason: error.message });
      report.compared.push({
        name: table,
        ...(typeof error.details.expected === 'number' ? { expected_rows: error.details.expected } : {}),
        ...(typeof error.details.rows === 'number' ? { rows: error.details.rows } : {}),
        matched: false,
      });
      return;
    }
    throw error;
  }
}

/** Creates the database unless it exists; true when this call created it. */
async function ensureDatabase(admin: pg.Client, name: string, connectionString: string): Promise<boolean> {
  const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (found.rowCount) return false;
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') return false; // created concurrently
    throw mapPgError(error, connectionString, 'permission_denied', `Cannot create test database ${name}`);
  }
}

async function existingTables(testCs: string, tables: TableRef[]): Promise<Set<string>> {
  const client = await connect(testCs, 'backupkit-test-restore');
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [tables.map((t) => t.schema), tables.map((t) => t.name)],
    );
    return new Set(rows.map((r) => r.name));
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropTables(testCs: string, tables: TableRef[]): Promise<void> {
  if (tables.length === 0) return;
  const client = await connect(testCs, 'backupkit-test-restore');
  try {
    for (const t of tables) await client.query(`DROP TABLE IF EXISTS ${qualified(t.schema, t.name)} CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
}
