import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { BackupError, isBackupError } from '../../errors.js';
import type { ManifestEntry } from '../../repository/manifest.js';
import type { EntryRestoreResult, RestoreRunContext, RestoreTarget } from '../backup-source.js';
import { type PostgresRestoreOptions, parseRestoreOptions } from './config.js';
import {
  connect,
  describeTarget,
  mapPgError,
  qualified,
  quoteIdent,
  SESSION_SETTINGS,
} from './connection.js';
import { copyFromSql } from './copy-format.js';
import { copyFrom } from './copy-in-stream.js';
import { createSequenceSql, createTableSql, createTypeSql, ownedBySql } from './ddl.js';
import { finishRestoreCost, tableCost, tableRestoreCost } from './restore-cost.js';
import { dropForeignKeys, type ForeignKey, finishRestore, readdForeignKeys } from './restore-finish.js';
import { planRestore, type RestorePlan } from './restore-plan.js';
import { RowCounter } from './row-counter.js';
import { buildTableObjects, type ObjectFailure } from './table-objects.js';

/**
 * Restores tables of a PostgreSQL backup into a database: each table in its own transaction
 * (TRUNCATE or CREATE, then COPY FROM STDIN), tables in parallel. A created table gets its
 * indexes and its own constraints on the same connection right after its data commits, while
 * the other connections still load (as pg_restore -j does); foreign keys and sequence values
 * once all data is in.
 *
 * Foreign keys: while tables load, foreign keys that point at or from an existing selected
 * table are dropped, and put back afterwards (NOT VALID first, then validated), so no
 * TRUNCATE ever cascades into a table the user did not select and load order never matters.
 * A key that the restored data no longer satisfies stays in place as NOT VALID (it still
 * guards new rows) and is reported in `warnings`. A created table's key that references a
 * table neither restored nor in the target is not created (as `pg_restore -t` would not) and is
 * reported in `warnings` too.
 */
export class PostgresRestoreTarget implements RestoreTarget {
  readonly parallelism: number;
  readonly #connectionString: string;
  readonly #options: PostgresRestoreOptions;
  #control: pg.Client | null = null;
  #pool: pg.Pool | null = null;
  #plan: RestorePlan | null = null;
  #setup: Promise<void> | null = null;
  #droppedKeys: ForeignKey[] = [];
  #keysRestored = false;
  readonly #objectFailures: ObjectFailure[] = [];
  readonly #restored = new Map<string, { rows: number; bytes: number }>();

  /** @throws BackupError `invalid_backup_config`. */
  constructor(destination: Record<string, unknown>, options: Record<string, unknown>) {
    const parsed = parseRestoreOptions(destination, options);
    this.#connectionString = parsed.connectionString;
    this.#options = parsed.options;
    this.parallelism = parsed.options.parallelism;
  }

  /**
   * Connects and checks every selected table; changes nothing.
   * @throws BackupError `source_unreachable`, `authentication_failed`, `permission_denied`,
   *   `table_exists`, `table_not_found`, `unsupported_format`, `restore_failed`.
   */
  async prepare(context: RestoreRunContext): Promise<void> {
    this.#control = await connect(this.#connectionString, 'backupkit-restore');
    try {
      this.#plan = await planRestore(this.#control, context.manifest, context.entries, this.#options);
    } catch (error) {
      throw mapPgError(error, this.#connectionString, 'restore_failed', 'Restore check failed');
    }
    const settings = Object.entries(SESSION_SETTINGS)
      .map(([name, value]) => `SET ${name} = '${value}'`)
      .join('; ');
    this.#pool = new pg.Pool({
      connectionString: this.#connectionString,
      max: this.parallelism,
      connectionTimeoutMillis: 15_000,
      application_name: 'backupkit-restore-worker',
    });
    this.#pool.on('connect', (client) => {
      client.query(settings).catch(() => {});
    });
    this.#pool.on('error', () => {});
  }

  /** See tableRestoreCost; tables not selected cost nothing. */
  restoreCost(entry: ManifestEntry): number {
    const planned = this.#plan?.tables.get(entry.name);
    return planned ? tableRestoreCost(planned, this.#options) : 0;
  }

  /** See finishRestoreCost. */
  finishCost(): number {
    return this.#plan ? finishRestoreCost(this.#plan, this.#options) : 0;
  }

  /**
   * Loads one table in one transaction (a failure rolls back: the table is as it was), then,
   * for a created table, builds its indexes and constraints; one that cannot be created is
   * reported by finish().
   * @throws BackupError `restore_failed` naming the table (or the content's own error code).
   */
  async restoreEntry(
    entry: ManifestEntry,
    content: Readable | null,
    context: RestoreRunContext,
  ): Promise<EntryRestoreResult> {
    const planned = this.#plan?.tables.get(entry.name);
    if (!planned || !this.#pool) {
      // Not selected: leave it alone (and stop fetching its chunks).
      content?.destroy();
      return { name: entry.name, records: 0, bytes: 0 };
    }
    this.#setup ??= this.#runSetup();
    await this.#setup;
    context.signal.throwIfAborted();
    const { table } = planned;
    const target = qualified(table.schema, table.name);
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw mapPgError(
        error,
        this.#connectionString,
        'source_unreachable',
        `Cannot connect to restore ${entry.name}`,
      );
    }
    let broken = false;
    let committed = false;
    try {
      await client.query('BEGIN');
      if (planned.exists) await client.query(`TRUNCATE ONLY ${target}`);
      else {
        await client.query(createTableSql(table, this.#plan?.schema.sequences ?? []));
        for (const seq of this.#sequencesOf(entry.name)) {
          const sql = ownedBySql(seq);
          if (sql) await client.query(sql);
        }
      }
      const cost = tableCost(planned, this.#options);
      // The rows' parsing and inserting, spread over the bytes as they go in.
      const perByte = entry.size > 0 ? cost.load / entry.size : 0;
      const counter = new RowCounter({ onBytes: (n) => context.reportWork?.(n * perByte, entry.name) });
      const copy = client.query(copyFrom(copyFromSql(table)));
      await pipeline(content ?? emptyStream(), counter, copy, { signal: context.signal });
      const expected = table.row_count;
      if (typeof expected === 'number' && copy.rowCount !== expected) {
        throw new BackupError(
          'integrity_error',
          `Table ${entry.name}: loaded ${copy.rowCount} rows, the backup recorded ${expected}`,
          { details: { table: entry.name, rows: copy.rowCount, expected } },
        );
      }
      await client.query('COMMIT');
      committed = true;
      this.#restored.set(entry.name, { rows: copy.rowCount, bytes: counter.bytes });
      const failures = await buildTableObjects(
        client,
        planned,
        this.#options,
        context.signal,
        (pid) => this.#cancelBackend(pid),
        () => context.reportWork?.(cost.perObject, entry.name),
      );
      this.#objectFailures.push(...failures);
      return { name: entry.name, records: copy.rowCount, bytes: counter.bytes };
    } catch (error) {
      if (context.signal.aborted) broken = true;
      try {
        if (!broken && !committed) await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      const reason = mapPgError(
        error,
        this.#connectionString,
        'restore_failed',
        `Restoring table ${entry.name} failed`,
      );
      const code = isBackupError(error) ? error.code : reason.code;
      throw new BackupError(
        code,
        reason.message.startsWith('Restoring table')
          ? reason.message
          : `Restoring table ${entry.name} failed: ${reason.message}`,
        { details: { ...reason.details, table: entry.name } },
      );
    } finally {
      client.release(broken);
    }
  }

  /**
   * Foreign keys (created and put back), sequence values; then verification.
   * @returns `{ tables_restored, records_restored, data_size, verification, warnings }`.
   * @throws BackupError `restore_failed` (a constraint or index could not be created, now or
   *   when its table was loaded),
   *   `integrity_error` (verify_after_restore found a difference).
   */
  async finish(context: RestoreRunContext): Promise<Record<string, unknown>> {
    if (!this.#plan || !this.#pool || !this.#control) {
      throw new BackupError('internal_error', 'finish() called before prepare()');
    }
    this.#setup ??= this.#runSetup();
    await this.#setup;
    const result = await finishRestore({
      control: this.#control,
      pool: this.#pool,
      plan: this.#plan,
      options: this.#options,
      restored: this.#restored,
      droppedKeys: this.#droppedKeys,
      signal: context.signal,
      connectionString: this.#connectionString,
      objectFailures: this.#objectFailures,
      ...(context.chunkRefsOf ? { chunkRefsOf: context.chunkRefsOf } : {}),
      ...(context.reportWork ? { reportWork: context.reportWork } : {}),
    });
    this.#keysRestored = true;
    return result;
  }

  async close(): Promise<void> {
    // A failed restore still gets the user's foreign keys back.
    if (!this.#keysRestored && this.#droppedKeys.length > 0 && this.#control) {
      await readdForeignKeys(this.#control, this.#droppedKeys).catch(() => {});
    }
    await this.#pool?.end().catch(() => {});
    this.#pool = null;
    await this.#control?.end().catch(() => {});
    this.#control = null;
  }

  /** Stops the statement a restore connection is running (an index build) when the restore aborts. */
  #cancelBackend(pid: number): void {
    this.#control?.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => {});
  }

  #sequencesOf(name: string) {
    const planned = this.#plan?.tables.get(name);
    if (!planned) return [];
    return (this.#plan?.schema.sequences ?? []).filter(
      (s) => s.owned_by?.schema === planned.table.schema && s.owned_by.table === planned.table.name,
    );
  }

  /** Schemas, types and free-standing sequences the new tables need; foreign keys out of the way. */
  async #runSetup(): Promise<void> {
    const client = this.#control;
    const plan = this.#plan;
    if (!client || !plan) return;
    const creating = [...plan.tables.values()].filter((t) => !t.exists);
    try {
      await client.query('BEGIN');
      if (creating.length > 0) {
        for (const schema of new Set(creating.map((t) => t.table.schema))) {
          await ensureSchema(client, schema);
        }
        for (const type of plan.schema.types) {
          await ensureSchema(client, type.schema);
          const found = await client.query('SELECT to_regtype($1) AS t', [qualified(type.schema, type.name)]);
          if (found.rows[0]?.t === null) await client.query(createTypeSql(type));
        }
        const needed = new Set(creating.flatMap((t) => t.table.sequences));
        for (const seq of plan.schema.sequences) {
          if (!seq.identity && needed.has(`${seq.schema}.${seq.name}`)) {
            await ensureSchema(client, seq.schema);
            await client.query(createSequenceSql(seq));
          }
        }
      }
      this.#droppedKeys = await dropForeignKeys(
        client,
        [...plan.tables.values()].filter((t) => t.exists).map((t) => qualified(t.table.schema, t.table.name)),
      );
      await client.query('COMMIT');
    } catch (error) {
      this.#droppedKeys = [];
      await client.query('ROLLBACK').catch(() => {});
      throw mapPgError(
        error,
        this.#connectionString,
        'restore_failed',
        `Preparing ${describeTarget(this.#connectionString)} for the restore failed`,
      );
    }
  }
}

/**
 * CREATE SCHEMA IF NOT EXISTS checks the database-level CREATE privilege even when the schema
 * exists, which application roles on managed databases usually lack: look first.
 */
async function ensureSchema(client: pg.Client, schema: string): Promise<void> {
  const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
}

function emptyStream(): Readable {
  return Readable.from([]);
}

/** @throws BackupError `invalid_backup_config`. */
export function createPostgresRestoreTarget(
  destination: Record<string, unknown>,
  options: Record<string, unknown>,
): PostgresRestoreTarget {
  return new PostgresRestoreTarget(destination, options);
}
