import type pg from 'pg';
import { BackupError, isBackupError, toBackupError } from '../../errors.js';
import type { Manifest, ManifestEntry } from '../../repository/manifest.js';
import type { RestoreRunOutcome, TestRestoreContext, TestRestoreReport } from '../test-restore.js';
import { connect, mapPgError, qualified, quoteIdent } from './connection.js';
import { createPostgresRestoreTarget } from './postgres-restore-target.js';
import { POSTGRES_FAMILY } from './postgres-types.js';
import { TablePattern } from './table-match.js';
import { tableNameOf } from './table-selection.js';
import { databaseOf, testDatabaseName, withDatabase } from './test-database.js';

interface TableRef {
  entry: ManifestEntry;
  schema: string;
  name: string;
}

/** Where one test restore goes: the test database and how to reach it. */
interface TestDatabase {
  name: string;
  /** The source's connection string: the server, and a login that may create databases. */
  adminCs: string;
  /** The same server, the test database. */
  testCs: string;
}

/**
 * The source connection string a test restore needs (the manifest only holds a masked one).
 * @throws BackupError `invalid_request` naming `source.connection_string` when there is none.
 */
function sourceConnectionString(sourceConfig: Record<string, unknown> | null): string {
  const cs = sourceConfig?.connection_string;
  if (typeof cs !== 'string' || cs.trim() === '') {
    throw new BackupError('invalid_request', 'A PostgreSQL test restore needs the source connection string', {
      details: { field: 'source.connection_string' },
    });
  }
  return cs;
}

/** The table entries `patterns` select (all without patterns). @throws `table_not_found` for named ones the backup lacks. */
function tablesOf(manifest: Manifest, patterns: string[] | undefined): TableRef[] {
  const all: TableRef[] = manifest.entries
    .filter((entry) => entry.kind === 'table')
    .map((entry) => ({ entry, ...tableNameOf(entry) }));
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

function emptyReport(target: string): TestRestoreReport {
  return {
    kind: POSTGRES_FAMILY,
    target,
    created_target: false,
    cleaned_up: false,
    entries_restored: 0,
    records_restored: 0,
    bytes_restored: 0,
    compared: [],
    mismatches: [],
  };
}

/**
 * `SourceKind.testRestore` for PostgreSQL: restores `test_tables` of the backup into
 * `test_database` on the source's server (created when missing), has the restore target
 * re-read every restored table and compare its row count and content with the manifest, then
 * — with `cleanup_after_test` (default) — drops what it made: the database when it created it,
 * otherwise only the tables it created. Mismatches come back in the report (not thrown).
 * @throws BackupError `invalid_request` (no source connection string, a bad or forbidden test
 *   database), `table_not_found`, `table_exists` (a pre-existing test database already holds a
 *   selected table), `permission_denied`, `source_unreachable`, `integrity_error` for damaged
 *   chunks, `aborted`.
 */
export async function postgresTestRestore(context: TestRestoreContext): Promise<TestRestoreReport> {
  const adminCs = sourceConnectionString(context.sourceConfig);
  const name = testDatabaseName(context.options.test_database, databaseOf(adminCs));
  const tables = tablesOf(context.manifest, context.options.test_tables);
  const database: TestDatabase = { name, adminCs, testCs: withDatabase(adminCs, name) };
  const report = emptyReport(name);
  const admin = await connect(adminCs, 'backupkit-test-restore');
  try {
    report.created_target = await ensureDatabase(admin, name, adminCs);
    const preexisting = report.created_target ? new Set<string>() : await existingTables(database, tables);
    try {
      await restoreAndCompare(context, database, tables, report);
    } finally {
      if (context.options.cleanup_after_test !== false) {
        await cleanUp(admin, database, report.created_target, tables, preexisting);
        report.cleaned_up = true;
      }
    }
  } catch (error) {
    throw isBackupError(error) ? error : mapPgError(error, adminCs, 'restore_failed', 'Test restore failed');
  } finally {
    await admin.end().catch(() => {});
  }
  return report;
}

/** Restores the tables into the test database and records what came back in `report`. */
async function restoreAndCompare(
  context: TestRestoreContext,
  database: TestDatabase,
  tables: TableRef[],
  report: TestRestoreReport,
): Promise<void> {
  const target = createPostgresRestoreTarget(
    { connection_string: database.testCs, overwrite_existing: false, create_missing_tables: true },
    { verify_after_restore: true },
  );
  try {
    const result = await context.restore(
      target,
      tables.map((t) => t.entry),
    );
    recordRestored(result, tables, report);
  } catch (thrown) {
    const error = toBackupError(thrown);
    if (!recordMismatches(error, report)) throw error;
  }
}

/** The totals of a restore that ran through, and each table's rows against the manifest's. */
function recordRestored(result: RestoreRunOutcome, tables: TableRef[], report: TestRestoreReport): void {
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
}

/**
 * Records the tables a target's checks found different from the manifest: a finding, not a
 * failure to run. False when `error` is something else.
 */
function recordMismatches(error: BackupError, report: TestRestoreReport): boolean {
  if (error.code !== 'integrity_error') return false;
  // The target's re-read found tables that differ from the manifest.
  const mismatches = error.details?.mismatches;
  if (Array.isArray(mismatches)) {
    for (const m of mismatches as Array<{ table: string; reason: string }>) {
      report.mismatches.push({ name: m.table, reason: m.reason });
      report.compared.push({ name: m.table, matched: false });
    }
    return true;
  }
  // A table that loaded a different number of rows than the manifest recorded.
  if (typeof error.details?.table !== 'string') return false;
  const { table, expected, rows } = error.details;
  report.mismatches.push({ name: table, reason: error.message });
  report.compared.push({
    name: table,
    ...(typeof expected === 'number' ? { expected_rows: expected } : {}),
    ...(typeof rows === 'number' ? { rows } : {}),
    matched: false,
  });
  return true;
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

/** Drops what the test restore made: the database it created, else the tables it created. */
async function cleanUp(
  admin: pg.Client,
  database: TestDatabase,
  createdDatabase: boolean,
  tables: TableRef[],
  preexisting: Set<string>,
): Promise<void> {
  if (createdDatabase) {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database.name)} WITH (FORCE)`);
  } else {
    await dropTables(
      database,
      tables.filter((t) => !preexisting.has(t.entry.name)),
    );
  }
}

async function existingTables(database: TestDatabase, tables: TableRef[]): Promise<Set<string>> {
  const client = await connect(database.testCs, 'backupkit-test-restore');
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

async function dropTables(database: TestDatabase, tables: TableRef[]): Promise<void> {
  if (tables.length === 0) return;
  const client = await connect(database.testCs, 'backupkit-test-restore');
  try {
    for (const t of tables) await client.query(`DROP TABLE IF EXISTS ${qualified(t.schema, t.name)} CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
}
