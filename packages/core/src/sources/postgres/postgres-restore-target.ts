import { Readable } from 'node:stream';
import pg from 'pg';
import { BackupError } from '../../errors.js';
import type { ManifestEntry } from '../../repository/manifest.js';
import { Semaphore } from '../../util/semaphore.js';
import type {
  EntryPartContents,
  EntryRestoreResult,
  RestoreRunContext,
  RestoreTarget,
} from '../backup-source.js';
import { type PostgresRestoreOptions, parseRestoreOptions } from './config.js';
import {
  connect,
  describeTarget,
  mapPgError,
  qualified,
  quoteIdent,
  SESSION_SETTINGS,
} from './connection.js';
import { createSequenceSql, createTableSql, createTypeSql, ownedBySql } from './ddl.js';
import { loadPartsInParallel } from './parallel-parts.js';
import { finishRestoreCost, tableCost, tableRestoreCost } from './restore-cost.js';
import { dropForeignKeys, type ForeignKey, finishRestore, readdForeignKeys } from './restore-finish.js';
import { type PlannedTable, planRestore, type RestorePlan } from './restore-plan.js';
import { RowDigestTotal } from './row-digest.js';
import { checkRowCount, copyInto, type Loaded, tableError } from './table-load.js';
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
  readonly #restored = new Map<string, Loaded>();
  /** One slot per connection in use: entries and the extra connections of parts loading at once. */
  readonly #slots: Semaphore;

  /** @throws BackupError `invalid_backup_config`. */
  constructor(destination: Record<string, unknown>, options: Record<string, unknown>) {
    const parsed = parseRestoreOptions(destination, options);
    this.#connectionString = parsed.connectionString;
    this.#options = parsed.options;
    this.parallelism = parsed.options.parallelism;
    this.#slots = new Semaphore(this.parallelism);
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
    if (!planned) {
      // Not selected: leave it alone (and stop fetching its chunks).
      content?.destroy();
      return { name: entry.name, records: 0, bytes: 0 };
    }
    return this.#inSlot(planned, context, (client) =>
      this.#loadInOneTransaction(client, planned, [() => content ?? emptyStream()], context),
    );
  }

  /**
   * A table backed up as page ranges. A table this restore creates is created (and committed)
   * first, then its parts load at once, each part its own COPY, on this entry's connection and
   * any other the budget (`max_parallel_jobs`) has free; if one fails the table is dropped
   * again. A table that exists (overwrite) keeps the one-transaction promise: its parts load
   * one after the other on one connection. Then indexes and constraints as for any table.
   * @throws BackupError `restore_failed` naming the table (or the content's own error code).
   */
  async restoreEntryParts(
    entry: ManifestEntry,
    parts: EntryPartContents,
    context: RestoreRunContext,
  ): Promise<EntryRestoreResult> {
    const planned = this.#plan?.tables.get(entry.name);
    if (!planned) return { name: entry.name, records: 0, bytes: 0 };
    const opens = Array.from({ length: parts.count }, (_, i) => () => parts.open(i));
    return this.#inSlot(planned, context, (client) =>
      planned.exists
        ? this.#loadInOneTransaction(client, planned, opens, context)
        : this.#loadPartsAtOnce(client, planned, opens, context),
    );
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

  /**
   * Runs `load` on a connection of the restore's budget (waiting for a free slot), then builds
   * the created table's own indexes and constraints there; errors name the table.
   */
  async #inSlot(
    planned: PlannedTable,
    context: RestoreRunContext,
    load: (client: pg.PoolClient) => Promise<Loaded>,
  ): Promise<EntryRestoreResult> {
    const { entry } = planned;
    const pool = this.#pool;
    if (!pool) throw new BackupError('internal_error', 'restoreEntry() called before prepare()');
    this.#setup ??= this.#runSetup();
    await this.#setup;
    await this.#slots.acquire(context.signal);
    let client: pg.PoolClient | undefined;
    let broken = false;
    try {
      try {
        client = await pool.connect();
      } catch (error) {
        throw mapPgError(
          error,
          this.#connectionString,
          'source_unreachable',
          `Cannot connect to restore ${entry.name}`,
        );
      }
      const loaded = await load(client);
      this.#restored.set(entry.name, loaded);
      const cost = tableCost(planned, this.#options);
      const failures = await buildTableObjects(
        client,
        planned,
        this.#options,
        context.signal,
        (pid) => this.#cancelBackend(pid),
        () => context.reportWork?.(cost.perObject, entry.name),
      );
      this.#objectFailures.push(...failures);
      return { name: entry.name, records: loaded.rows, bytes: loaded.bytes };
    } catch (error) {
      broken = true;
      throw tableError(this.#connectionString, entry.name, error);
    } finally {
      // A connection whose work failed may be mid-COPY or mid-transaction: never reused.
      client?.release(broken);
      this.#slots.release();
    }
  }

  /** TRUNCATE or CREATE, then every stream's COPY in order, one transaction. */
  async #loadInOneTransaction(
    client: pg.ClientBase,
    planned: PlannedTable,
    contents: (() => Readable)[],
    context: RestoreRunContext,
  ): Promise<Loaded> {
    const { table } = planned;
    const digest = this.#digestFor(planned);
    try {
      await client.query('BEGIN');
      if (planned.exists) await client.query(`TRUNCATE ONLY ${qualified(table.schema, table.name)}`);
      else await this.#createTable(client, planned);
      const loaded: Loaded = { rows: 0, bytes: 0 };
      for (let i = 0; i < contents.length; i++) {
        const part = await copyInto(
          client,
          planned,
          contents[i]!(),
          contents.length > 1 ? i : null,
          context.signal,
          { reportWork: context.reportWork, digest, options: this.#options },
        );
        loaded.rows += part.rows;
        loaded.bytes += part.bytes;
      }
      checkRowCount(planned, loaded.rows);
      await client.query('COMMIT');
      return digest ? { ...loaded, digest: digest.toString() } : loaded;
    } catch (error) {
      if (!context.signal.aborted) await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }

  /** CREATE (committed), then the parts at once; the table is dropped again if a part fails. */
  async #loadPartsAtOnce(
    client: pg.PoolClient,
    planned: PlannedTable,
    contents: (() => Readable)[],
    context: RestoreRunContext,
  ): Promise<Loaded> {
    const { table } = planned;
    try {
      await client.query('BEGIN');
      await this.#createTable(client, planned);
      await client.query('COMMIT');
    } catch (error) {
      if (!context.signal.aborted) await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
    const digest = this.#digestFor(planned);
    const loaded: Loaded = { rows: 0, bytes: 0 };
    try {
      await loadPartsInParallel({
        count: contents.length,
        lead: client,
        pool: this.#pool!,
        slots: this.#slots,
        signal: context.signal,
        loadPart: async (partClient, index, signal) => {
          const part = await copyInto(partClient, planned, contents[index]!(), index, signal, {
            reportWork: context.reportWork,
            digest,
            options: this.#options,
          });
          loaded.rows += part.rows;
          loaded.bytes += part.bytes;
        },
        connectFailed: (error) =>
          mapPgError(
            error,
            this.#connectionString,
            'source_unreachable',
            `Cannot connect to restore ${planned.entry.name}`,
          ),
      });
      checkRowCount(planned, loaded.rows);
    } catch (error) {
      // Parts already committed: the table this restore made goes again, as a failed load leaves it.
      await this.#control
        ?.query(`DROP TABLE IF EXISTS ${qualified(table.schema, table.name)}`)
        .catch(() => {});
      throw error;
    }
    return digest ? { ...loaded, digest: digest.toString() } : loaded;
  }

  async #createTable(client: pg.ClientBase, planned: PlannedTable): Promise<void> {
    await client.query(createTableSql(planned.table, this.#plan?.schema.sequences ?? []));
    for (const seq of this.#sequencesOf(planned.entry.name)) {
      const sql = ownedBySql(seq);
      if (sql) await client.query(sql);
    }
  }

  /**
   * A table stored in parts, when verify_after_restore will re-read it: its rows' digest as
   * they load (its parts interleave in the heap, so the re-read can only be compared as rows).
   */
  #digestFor(planned: PlannedTable): RowDigestTotal | null {
    return this.#options.verifyAfterRestore && (planned.entry.parts?.length ?? 0) > 0
      ? new RowDigestTotal()
      : null;
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
