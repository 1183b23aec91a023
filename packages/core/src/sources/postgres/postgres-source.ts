import { BackupError } from '../../errors.js';
import type { BackupRunContext, BackupRunPlan, BackupSource, SourceEntry } from '../backup-source.js';
import { captureSequences, captureTables, captureTypes, listTables } from './catalog-capture.js';
import { type PostgresSourceConfig, parseSourceConfig } from './config.js';
import { mapPgError, maskConnectionString, qualified, SESSION_SETTINGS } from './connection.js';
import { copyFormatOf, copyRowsToSql, copyToSql } from './copy-format.js';
import { openCopyRead } from './copy-read.js';
import { pageRangeCondition, planPageRanges, shareByPages, type TableSplit } from './page-ranges.js';
import { POSTGRES_FAMILY } from './postgres-types.js';
import type { DatabaseSchema, TableEntryMetadata, TablePartMetadata, TableSchema } from './schema-types.js';
import { estimateCopyBytes } from './size-estimate.js';
import { SnapshotPool } from './snapshot-pool.js';
import { entryName, selectTables, TablePattern } from './table-match.js';

/**
 * Logical PostgreSQL backup through a connection string: one consistent snapshot, the schema
 * captured from the catalog, each table's data as `COPY ... TO STDOUT` (text, or binary for
 * tables with bytea columns: see copy-format.ts), tables read in parallel by worker
 * connections that share the snapshot.
 */
export class PostgresSource implements BackupSource {
  /** What manifests record as `source.type`. */
  readonly type = POSTGRES_FAMILY;
  readonly #config: Required<PostgresSourceConfig>;

  /** @throws BackupError `invalid_backup_config` for a bad config. */
  constructor(config: Record<string, unknown>) {
    this.#config = parseSourceConfig(config);
  }

  describe(): Record<string, unknown> {
    return {
      type: this.type,
      connection_string: maskConnectionString(this.#config.connection_string),
      tables: this.#config.tables,
      exclude_tables: this.#config.exclude_tables,
      max_parallel_jobs: this.#config.max_parallel_jobs,
      split_tables_above_bytes: this.#config.split_tables_above_bytes,
    };
  }

  /**
   * Opens the snapshot, captures the schema and lists the selected tables, largest first.
   * @throws BackupError `source_unreachable`, `authentication_failed`, `permission_denied`,
   *   `table_not_found` (a table named explicitly in `tables` or `context.only` does not exist).
   */
  async open(context: BackupRunContext): Promise<BackupRunPlan> {
    const cs = this.#config.connection_string;
    const pool = await SnapshotPool.open(cs, this.#config.max_parallel_jobs);
    try {
      const client = pool.coordinator;
      const all = await listTables(client);
      const { selected, unknown } = selectTables(all, this.#config.tables, this.#config.exclude_tables);
      let tables = selected;
      const missing = [...unknown];
      if (context.only && context.only.length > 0) {
        const only = context.only.map((p) => new TablePattern(p));
        missing.push(
          ...only.filter((p) => p.literal && !tables.some((t) => p.matches(t))).map((p) => p.text),
        );
        tables = tables.filter((t) => only.some((p) => p.matches(t)));
      }
      const partitioned = tables.filter((t) => t.partitioned).map(entryName);
      if (partitioned.length > 0) {
        throw new BackupError(
          'not_implemented',
          `Partitioned tables are not supported yet: ${partitioned.join(', ')} (leave them out with exclude_tables)`,
          { details: { tables: partitioned } },
        );
      }
      if (missing.length > 0) {
        throw new BackupError('table_not_found', `Unknown table(s): ${missing.join(', ')}`, {
          details: { tables: missing },
        });
      }
      // ACCESS SHARE (what SELECT takes) keeps the tables from being dropped or altered under
      // the backup; it conflicts with no writer.
      if (tables.length > 0) {
        await client.query(`SET LOCAL lock_timeout = '60s'`);
        await client.query(
          `LOCK TABLE ${tables.map((t) => qualified(t.schema, t.name)).join(', ')} IN ACCESS SHARE MODE`,
        );
      }
      const captured = await captureTables(client, tables);
      const tableOid = new Map(captured.tables.map((schema, i) => [schema, tables[i]!.oid]));
      await estimateCopyBytes(
        client,
        captured.tables.map((schema, i) => ({ oid: tables[i]!.oid, schema })),
        new Map(((context.previous ?? context.parent)?.entries ?? []).map((e) => [e.name, e])),
        entryName,
      );
      const sequences = await captureSequences(client, captured.sequenceOids);
      const types = await captureTypes(client, captured.typeOids);
      const info = await client.query<{ version: string; db: string }>(
        'SELECT current_setting($1) AS version, current_database() AS db',
        ['server_version'],
      );
      const schema: DatabaseSchema = {
        format: 1,
        server_version: info.rows[0]?.version ?? '',
        database: info.rows[0]?.db ?? '',
        session: { ...SESSION_SETTINGS },
        types,
        sequences,
        tables: captured.tables.map(entryName),
      };
      const ordered = [...captured.tables].sort((a, b) => b.estimated_bytes - a.estimated_bytes);
      const estimatedBytes = ordered.reduce((sum, t) => sum + t.estimated_bytes, 0);
      const splits = await planPageRanges(
        client,
        ordered.map((t) => tableOid.get(t)!),
        this.#config.split_tables_above_bytes,
      );
      const entries = ordered.map((t) => this.#entry(pool, t, splits.get(tableOid.get(t)!)));
      const streams = entries.reduce((sum, e) => sum + Math.max(1, e.parts?.length ?? 0), 0);
      return {
        entries: (async function* () {
          yield* entries;
        })(),
        estimatedBytes,
        metadata: { postgres: schema },
        parallelism: Math.max(1, Math.min(this.#config.max_parallel_jobs, streams)),
        close: () => pool.close(),
      };
    } catch (error) {
      await pool.close();
      throw mapPgError(error, cs, 'source_unreachable', 'PostgreSQL backup failed');
    }
  }

  #entry(pool: SnapshotPool, table: TableSchema, split: TableSplit | undefined): SourceEntry {
    const name = entryName(table);
    const metadata: TableEntryMetadata = { ...table };
    const checksum = {
      algorithm: 'chunk-ids',
      of: copyFormatOf(table) === 'binary' ? 'copy-binary' : 'copy-text',
    };
    const rows: (number | null)[] = (split?.ranges ?? [null]).map(() => null);
    const read = (sql: string, what: string, index: number) => (signal: AbortSignal) =>
      openCopyRead(pool, sql, {
        connectionString: this.#config.connection_string,
        what,
        signal,
        onRowCount: (count) => {
          rows[index] = count;
        },
      });
    const entry: SourceEntry = {
      name,
      kind: 'table',
      metadata: { ...metadata },
      estimatedBytes: table.estimated_bytes,
      // The COPY stream is never seen whole outside backupkit: its ordered chunk ids pin it, and a
      // second hash pass over every byte would cost ~0.6 CPU-s per GB.
      hashContent: false,
      completeMetadata: () => ({ row_count: rows.reduce<number>((sum, n) => sum + (n ?? 0), 0), checksum }),
    };
    if (!split) return { ...entry, open: read(copyToSql(table), `table ${name}`, 0) };
    const estimates = shareByPages(split, table.estimated_bytes);
    return {
      ...entry,
      parts: split.ranges.map((range, i) => ({
        estimatedBytes: estimates[i]!,
        open: read(
          copyRowsToSql(table, pageRangeCondition(range)),
          `table ${name} (pages ${range.first} to ${range.end ?? 'the end'})`,
          i,
        ),
        metadata: () => {
          const part: TablePartMetadata = {
            first_page: range.first,
            end_page: range.end,
            row_count: rows[i] ?? 0,
          };
          return { ...part };
        },
      })),
    };
  }
}

/** @throws BackupError `invalid_backup_config`. */
export function createPostgresSource(config: Record<string, unknown>): PostgresSource {
  return new PostgresSource(config);
}
