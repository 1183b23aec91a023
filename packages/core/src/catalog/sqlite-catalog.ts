import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { BackupError, toBackupError } from '../errors.js';
import { requireOptional } from '../util/optional-module.js';
import { canonicalTime, EXECUTIONS } from './record-columns.js';
import type { ExecutionRecord } from './records.js';
import type { Row } from './sql/row-codec.js';
import { SqlCatalog } from './sql/sql-catalog.js';
import { sqliteDialect } from './sql/sql-dialect.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';

export interface SqliteCatalogOptions {
  /** Database file; its directory is created when missing. `:memory:` for a private in-memory database. */
  path: string;
  /** How long a writer waits for another process's write lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

/**
 * The embedded default catalog: one SQLite file (WAL mode), safe to share between processes on
 * one machine. better-sqlite3 is synchronous; each method runs its statements without yielding,
 * and multi-statement operations run in `BEGIN IMMEDIATE` transactions.
 */
export class SqliteCatalog extends SqlCatalog {
  readonly #options: SqliteCatalogOptions;
  #db: Database.Database | null = null;

  constructor(options: SqliteCatalogOptions) {
    super(sqliteDialect);
    this.#options = options;
  }

  /**
   * Opens the file, enables WAL and applies pending schema versions.
   * @throws BackupError `unavailable` when the file cannot be opened; `not_implemented` when
   *   better-sqlite3 (an optional dependency, loaded only here) is not installed.
   */
  async init(): Promise<void> {
    const db = this.#open();
    const current = Number(db.pragma('user_version', { simple: true }));
    const migrate = db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      const version = Number(db.pragma('user_version', { simple: true }));
      for (const m of SQLITE_MIGRATIONS) {
        if (m.version <= version) continue;
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }
    });
    if (SQLITE_MIGRATIONS.some((m) => m.version > current)) migrate.immediate();
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = null;
  }

  /** Picks and marks the next queued execution inside one BEGIN IMMEDIATE transaction. */
  async claimQueuedExecution(
    owner: string,
    leaseUntil: string,
    now: string,
  ): Promise<ExecutionRecord | null> {
    const db = this.#handle();
    const t = this.t(EXECUTIONS.table);
    const claim = db.transaction(() => {
      const next = db
        .prepare(
          `SELECT "execution_id" FROM ${t} WHERE "status" = 'queued' ORDER BY "priority" DESC, "created_at", "execution_id" LIMIT 1`,
        )
        .get() as { execution_id: string } | undefined;
      if (!next) return undefined;
      return db
        .prepare(
          `UPDATE ${t} SET "status" = 'running', "owner" = ?, "lease_expires_at" = ?, "started_at" = COALESCE("started_at", ?)
           WHERE "execution_id" = ? RETURNING *`,
        )
        .get(owner, canonicalTime(leaseUntil, 'leaseUntil'), canonicalTime(now, 'now'), next.execution_id) as
        | Row
        | undefined;
    });
    try {
      const row = claim.immediate();
      return row ? this.decode<ExecutionRecord>(EXECUTIONS, row) : null;
    } catch (error) {
      throw this.translateError(error);
    }
  }

  protected async query(sql: string, params: unknown[]): Promise<Row[]> {
    const statement = this.#handle().prepare(sql);
    if (statement.reader) return statement.all(...params) as Row[];
    statement.run(...params);
    return [];
  }

  protected translateError(error: unknown): BackupError {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : '';
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      if (message.includes('backup_executions.job_id') && !message.includes('scheduled_for')) {
        return new BackupError('execution_in_progress', 'The job already has an execution in progress', {
          cause: error,
        });
      }
      return new BackupError('conflict', 'A record with this identifier already exists', { cause: error });
    }
    if (code === 'SQLITE_CONSTRAINT_NOTNULL') {
      return new BackupError('validation_failed', 'A required catalog field is missing', { cause: error });
    }
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      return new BackupError('unavailable', 'The SQLite catalog is locked by another writer', {
        cause: error,
      });
    }
    return toBackupError(error);
  }

  #open(): Database.Database {
    if (this.#db) return this.#db;
    const { path } = this.#options;
    const Sqlite = requireOptional<typeof Database>('better-sqlite3', 'The SQLite catalog');
    try {
      if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
      const db = new Sqlite(path);
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(this.#options.busyTimeoutMs ?? 10_000))}`);
      db.pragma('journal_mode = WAL');
      // WAL + NORMAL: survives process crashes; only an OS crash or power loss can roll back the
      // last commits (never corrupting the file), and the catalog can be rebuilt from storage.
      db.pragma('synchronous = NORMAL');
      this.#db = db;
      return db;
    } catch (error) {
      throw new BackupError('unavailable', 'Cannot open the SQLite catalog', {
        cause: error,
        details: { path },
      });
    }
  }

  #handle(): Database.Database {
    if (!this.#db)
      throw new BackupError('internal_error', 'The SQLite catalog is not initialised: call init() first');
    return this.#db;
  }
}

/** The embedded default catalog in one SQLite file. Call `init()` before use. */
export function createSqliteCatalog(options: SqliteCatalogOptions): SqliteCatalog {
  return new SqliteCatalog(options);
}
