import type pg from 'pg';
import { BackupError } from '../../errors.js';
import type { Manifest, ManifestEntry } from '../../repository/manifest.js';
import type { PostgresRestoreOptions } from './config.js';
import { qualified } from './connection.js';
import {
  BINARY_STABLE_TYPES,
  binaryTypeMismatches,
  type ColumnTypeMismatch,
  copyFormatOf,
} from './copy-format.js';
import type { DatabaseSchema, TableEntryMetadata } from './schema-types.js';
import { TablePattern } from './table-match.js';

export interface PlannedTable {
  entry: ManifestEntry;
  table: TableEntryMetadata;
  /** The table exists in the target (it will be truncated and reloaded). */
  exists: boolean;
}

export interface RestorePlan {
  schema: DatabaseSchema;
  /** By entry name. */
  tables: Map<string, PlannedTable>;
}

/** The database schema a PostgreSQL backup's manifest carries. @throws BackupError `unsupported_format`. */
export function databaseSchemaOf(manifest: Manifest): DatabaseSchema {
  const schema = manifest.metadata.postgres as DatabaseSchema | undefined;
  if (schema?.format !== 1 || !Array.isArray(schema.types)) {
    throw new BackupError('unsupported_format', `Backup ${manifest.backup_id} is not a PostgreSQL backup`);
  }
  return schema;
}

function tableOf(entry: ManifestEntry): TableEntryMetadata {
  const meta = entry.metadata as Partial<TableEntryMetadata>;
  if (typeof meta.schema !== 'string' || typeof meta.name !== 'string' || !Array.isArray(meta.copy_columns)) {
    throw new BackupError('unsupported_format', `Entry ${entry.name} carries no table schema`);
  }
  const format: unknown = meta.copy_format;
  if (format !== undefined && format !== 'text' && format !== 'binary') {
    throw new BackupError('unsupported_format', `Entry ${entry.name} has COPY format ${String(format)}`, {
      details: { table: entry.name, copy_format: format },
    });
  }
  // Binary data is only loadable into the recorded (stable) types.
  if (
    format === 'binary' &&
    (!Array.isArray(meta.copy_types) ||
      meta.copy_types.length !== meta.copy_columns.length ||
      !meta.copy_types.every((t) => BINARY_STABLE_TYPES.has(t)))
  ) {
    throw new BackupError(
      'unsupported_format',
      `Entry ${entry.name}: binary COPY data without usable column types`,
      {
        details: { table: entry.name },
      },
    );
  }
  return meta as TableEntryMetadata;
}

/**
 * Selects the tables to restore and checks the target without changing it.
 * @throws BackupError `table_not_found` (unknown selection, or missing and not to be created),
 *   `table_exists` (exists and overwrite is off), `permission_denied`, `restore_failed`
 *   (an existing table lacks columns of the backup, or has other column types than a
 *   binary-format entry recorded: `details.column_types`), `unsupported_format`.
 */
export async function planRestore(
  client: pg.Client,
  manifest: Manifest,
  entries: readonly ManifestEntry[],
  options: PostgresRestoreOptions,
): Promise<RestorePlan> {
  const schema = databaseSchemaOf(manifest);
  const candidates = entries
    .filter((e) => e.kind === 'table')
    .map((entry) => ({ entry, table: tableOf(entry) }));
  const patterns = options.tables.map((t) => new TablePattern(t));
  const unknown = patterns
    .filter((p) => p.literal && !candidates.some((c) => p.matches(c.table)))
    .map((p) => p.text);
  if (unknown.length > 0) {
    throw new BackupError('table_not_found', `Not in backup ${manifest.backup_id}: ${unknown.join(', ')}`, {
      details: { tables: unknown },
    });
  }
  const selected = candidates.filter(
    (c) => patterns.length === 0 || patterns.some((p) => p.matches(c.table)),
  );

  const { rows } = await client.query<{
    name: string;
    oid: number | null;
    can_write: boolean | null;
    can_create: boolean;
    /** Column name → type: pg_catalog types by `typname`, others as `schema.type`. */
    columns: Record<string, string> | null;
  }>(
    `SELECT q.name, r.oid::int AS oid,
            CASE WHEN r.oid IS NULL THEN NULL
                 ELSE has_table_privilege(r.oid, 'INSERT') AND has_table_privilege(r.oid, 'TRUNCATE') END AS can_write,
            CASE WHEN n.oid IS NULL THEN has_database_privilege(current_database(), 'CREATE')
                 ELSE has_schema_privilege(n.oid, 'CREATE') END AS can_create,
            (SELECT json_object_agg(a.attname,
                      CASE WHEN t.typnamespace = 'pg_catalog'::regnamespace THEN t.typname::text
                           ELSE quote_ident(tn.nspname) || '.' || quote_ident(t.typname) END)
               FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
               JOIN pg_namespace tn ON tn.oid = t.typnamespace
              WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
       FROM unnest($1::text[], $2::text[], $3::text[]) AS q(name, qualified, nsp)
       LEFT JOIN LATERAL (SELECT to_regclass(q.qualified) AS oid) r ON true
       LEFT JOIN pg_namespace n ON n.nspname = q.nsp`,
    [
      selected.map((s) => s.entry.name),
      selected.map((s) => qualified(s.table.schema, s.table.name)),
      selected.map((s) => s.table.schema),
    ],
  );
  const byName = new Map(rows.map((r) => [r.name, r]));
  const exists: string[] = [];
  const missing: string[] = [];
  const denied: string[] = [];
  const badColumns: Record<string, string[]> = {};
  const badTypes: Record<string, ColumnTypeMismatch[]> = {};
  const tables = new Map<string, PlannedTable>();
  for (const { entry, table } of selected) {
    const row = byName.get(entry.name);
    const present = row?.oid !== null && row?.oid !== undefined;
    if (present && !options.overwriteExisting) exists.push(entry.name);
    if (!present && !options.createMissingTables) missing.push(entry.name);
    if (present ? row?.can_write !== true : row?.can_create !== true) denied.push(entry.name);
    if (present) {
      const columns = row?.columns ?? {};
      const lacking = table.copy_columns.filter((c) => !Object.hasOwn(columns, c));
      if (lacking.length > 0) badColumns[entry.name] = lacking;
      if (copyFormatOf(table) === 'binary') {
        const differing = binaryTypeMismatches(table, columns);
        if (differing.length > 0) badTypes[entry.name] = differing;
      }
    }
    tables.set(entry.name, { entry, table, exists: present });
  }
  if (exists.length > 0) {
    throw new BackupError(
      'table_exists',
      `Table(s) already exist in the target and overwrite_existing is false: ${exists.join(', ')}`,
      { details: { tables: exists } },
    );
  }
  if (missing.length > 0) {
    throw new BackupError(
      'table_not_found',
      `Table(s) missing in the target and create_missing_tables is false: ${missing.join(', ')}`,
      { details: { tables: missing } },
    );
  }
  if (denied.length > 0) {
    throw new BackupError(
      'permission_denied',
      `Not allowed to write (INSERT and TRUNCATE) or create: ${denied.join(', ')}`,
      { details: { tables: denied } },
    );
  }
  // Foreign keys touching tables to overwrite are dropped for the load and put back, which
  // takes ownership of the tables on both ends: refuse now rather than half way.
  const existing = [...tables.values()]
    .filter((t) => t.exists)
    .map((t) => qualified(t.table.schema, t.table.name));
  if (existing.length > 0) {
    const { rows: notOwned } = await client.query<{ name: string }>(
      `SELECT DISTINCT n.nspname || '.' || c.relname AS name
         FROM pg_constraint k JOIN pg_class c ON c.oid IN (k.conrelid, k.confrelid)
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE k.contype = 'f' AND (k.conrelid = ANY($1::regclass[]) OR k.confrelid = ANY($1::regclass[]))
          AND NOT pg_has_role(c.relowner, 'USAGE')
        ORDER BY 1`,
      [existing],
    );
    if (notOwned.length > 0) {
      const names = notOwned.map((r) => r.name);
      throw new BackupError(
        'permission_denied',
        `Overwriting tables linked by foreign keys needs ownership of: ${names.join(', ')}`,
        { details: { tables: names } },
      );
    }
  }
  if (Object.keys(badColumns).length > 0) {
    throw new BackupError(
      'restore_failed',
      `Existing table(s) lack columns of the backup: ${Object.entries(badColumns)
        .map(([t, c]) => `${t} (${c.join(', ')})`)
        .join('; ')}`,
      { details: { columns: badColumns } },
    );
  }
  if (Object.keys(badTypes).length > 0) {
    throw new BackupError(
      'restore_failed',
      `Existing table(s) have column types other than the backup's binary COPY data was written for: ${Object.entries(
        badTypes,
      )
        .map(
          ([t, cols]) =>
            `${t} (${cols.map((c) => `${c.column}: ${c.backup} in the backup, ${c.target} in the target`).join(', ')})`,
        )
        .join('; ')}`,
      { details: { column_types: badTypes } },
    );
  }
  return { schema, tables };
}
