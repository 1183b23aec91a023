import { invalidConfigError } from '../../errors.js';
import type { Manifest, ManifestEntry } from '../../repository/manifest.js';
import type { RestoreSelection } from '../restore-selection.js';
import { type TableName, TablePattern } from './table-match.js';

/** What a database restore takes from a backup for the requested `destination.tables`. */
export interface TableSelection {
  /** Entries to restore. */
  entries: ManifestEntry[];
  /** The requested patterns that found something (what the restore target is given). */
  tables: string[] | undefined;
  /** Requested table names (no glob) that the backup does not contain. */
  missing: string[];
}

/** The schema and name of a table entry (its metadata, else its `schema.table` name). */
export function tableNameOf(entry: ManifestEntry): TableName {
  const meta = entry.metadata as { schema?: unknown; name?: unknown };
  if (typeof meta.schema === 'string' && typeof meta.name === 'string') {
    return { schema: meta.schema, name: meta.name };
  }
  const dot = entry.name.indexOf('.');
  return dot < 0
    ? { schema: 'public', name: entry.name }
    : { schema: entry.name.slice(0, dot), name: entry.name.slice(dot + 1) };
}

/**
 * Applies `destination.tables` with the same pattern rules as a backup's `tables` (globs,
 * schema-qualified names, case folding). A named table the backup lacks does not fail the
 * whole restore: it is reported in `missing` (a run with `custom_parameters.tables` may have
 * backed up fewer tables than the job lists), and only the tables found are restored.
 */
export function selectRestoreTables(entries: ManifestEntry[], requested: unknown): TableSelection {
  const tables = entries.filter((entry) => entry.kind === 'table');
  if (!Array.isArray(requested) || requested.length === 0) {
    return { entries, tables: undefined, missing: [] };
  }
  const patterns = requested.map((text) => new TablePattern(String(text)));
  const found = patterns.filter((pattern) => tables.some((entry) => pattern.matches(tableNameOf(entry))));
  return {
    entries: tables.filter((entry) => found.some((pattern) => pattern.matches(tableNameOf(entry)))),
    tables: found.map((pattern) => pattern.text),
    missing: patterns.filter((pattern) => pattern.literal && !found.includes(pattern)).map((p) => p.text),
  };
}

/**
 * `SourceKind.selectEntries` for databases: the tables `destination.tables` asks for, the
 * destination narrowed to the patterns that found something, a warning for the rest.
 * @throws BackupError `invalid_backup_config` (`destination.tables`) when none is in the backup.
 */
export function selectPostgresEntries(
  manifest: Pick<Manifest, 'backup_id' | 'entries'>,
  destination: Record<string, unknown>,
): RestoreSelection {
  const backupId = manifest.backup_id;
  const selection = selectRestoreTables(manifest.entries, destination.tables);
  if (selection.tables && selection.entries.length === 0) {
    throw invalidConfigError('destination.tables', `None of the requested tables is in backup ${backupId}`);
  }
  const { missing } = selection;
  return {
    entries: selection.entries,
    config: selection.tables ? { ...destination, tables: selection.tables } : destination,
    warnings: missing.length > 0 ? [`Not in backup ${backupId}, skipped: ${missing.join(', ')}`] : [],
    missing,
  };
}
