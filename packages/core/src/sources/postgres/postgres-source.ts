import type { Readable } from 'node:stream';
import { BackupError } from '../../errors.js';
import type { BackupRunContext, BackupRunPlan, BackupSource, SourceEntry } from '../backup-source.js';
import { captureSequences, captureTables, captureTypes, listTables } from './catalog-capture.js';
import { type PostgresSourceConfig, parseSourceConfig } from './config.js';
import { mapPgError, maskConnectionString, qualified, SESSION_SETTINGS } from './connection.js';
import { copyFormatOf, copyToSql } from './copy-format.js';
import { CopyOutStream } from './copy-out-stream.js';
import { POSTGRES_FAMILY } from './postgres-types.js';
import { RowCounter } from './row-counter.js';
import type { DatabaseSchema, TableEntryMetadata, TableSchema } from './schema-types.js';
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
      const entries = ordered.map((t) => this.#entry(pool, t));
      return {
        entries: (async function* () {
          yield* entries;
        })(),
        estimatedBytes,
        metadata: { postgres: schema },
        parallelism: Math.max(1, Math.min(this.#config.max_parallel_jobs, ordered.length)),
        close: () => pool.close(),
      };
    } catch (error) {
      await pool.close();
      throw mapPgError(error, cs, 'source_unreachable', 'PostgreSQL backup failed');
    }
  }

  #entry(pool: SnapshotPool, table: TableSchema): SourceEntry {
    const cs = this.#config.connection_string;
    const name = entryName(table);
    let rowCount: number | null = null;
    const metadata: TableEntryMetadata = { ...table };
    return {
      name,
      kind: 'table',
      metadata: { ...metadata },
      estimatedBytes: table.estimated_bytes,
      open: async (signal: AbortSignal): Promise<Readable> => {
        signal.throwIfAborted();
        const client = await pool.acquire();
        const copy = client.query(new CopyOutStream(copyToSql(table)));
        let finished = false;
        let released = false;
        const giveBack = (ok: boolean): void => {
          if (released) return;
          released = true;
          if (ok) pool.release(client);
          else pool.discard(client);
        };
        const counter = new RowCounter({
          // The row count comes from the server's CommandComplete; a query queued behind the
          // COPY resolves only once that has been processed (and keeps the client ours till then).
          beforeEnd: async () => {
            try {
              await client.query('SELECT 1');
            } catch (error) {
              throw mapPgError(error, cs, 'source_unreachable', `Reading table ${name} failed`);
            }
            rowCount = copy.rowCount;
            finished = true;
            giveBack(true);
          },
        });
        const onAbort = (): void => {
          counter.destroy(new BackupError('aborted', 'The backup was cancelled'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        copy.once('error', (error) => {
          giveBack(false);
          counter.destroy(mapPgError(error, cs, 'source_unreachable', `Reading table ${name} failed`));
        });
        counter.once('close', () => {
          signal.removeEventListener('abort', onAbort);
          if (!finished) {
            copy.destroy();
            giveBack(false);
          }
        });
        copy.pipe(counter);
        return counter;
      },
      // The COPY stream is never seen whole outside backupkit: its ordered chunk ids pin it, and a
      // second hash pass over every byte would cost ~0.6 CPU-s per GB.
      hashContent: false,
      completeMetadata: () => ({
        row_count: rowCount ?? 0,
        checksum: {
          algorithm: 'chunk-ids',
          of: copyFormatOf(table) === 'binary' ? 'copy-binary' : 'copy-text',
        },
      }),
    };
  }
}

/** @throws BackupError `invalid_backup_config`. */
export function createPostgresSource(config: Record<string, unknown>): PostgresSource {
  return new PostgresSource(config);
}
