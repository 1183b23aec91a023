import pg from 'pg';
import { BackupError, toBackupError } from '../errors.js';
import { migratePostgres, type PostgresClientLike } from './postgres-migrator.js';
import { EXECUTIONS } from './record-columns.js';
import type { ExecutionRecord } from './records.js';
import type { Row } from './sql/row-codec.js';
import { Params } from './sql/sql-builder.js';
import { SqlCatalog } from './sql/sql-catalog.js';
import { postgresDialect } from './sql/sql-dialect.js';

/** The subset of `pg.Pool` the catalog uses (a `pg.Pool` fits; so does any compatible pool). */
export interface PostgresPoolLike {
  query(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
  connect(): Promise<PostgresClientLike>;
}

export type PostgresCatalogOptions = ({ connectionString: string } | { pool: PostgresPoolLike }) & {
  /** Schema holding the tables, created when missing (default `public`). */
  schema?: string;
  /** Pool size when the catalog creates its own pool (default 10). */
  maxConnections?: number;
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Codes of failures worth retrying: connection loss, shutdown, too many clients, serialization. */
const UNAVAILABLE = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '40001',
  '40P01',
  '08000',
  '08003',
  '08006',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
]);

/**
 * The production catalog: several service instances share one PostgreSQL database. Atomic
 * operations rely on the database (partial unique indexes, compare-and-set UPDATEs, upserts,
 * `FOR UPDATE SKIP LOCKED`), never on in-process state.
 */
export class PostgresCatalog extends SqlCatalog {
  readonly #pool: PostgresPoolLike;
  #ownPool: pg.Pool | null;
  readonly #schema: string;

  /** @throws BackupError('validation_failed') for a schema name that is not a plain identifier. */
  constructor(options: PostgresCatalogOptions) {
    const schema = options.schema ?? 'public';
    if (!IDENTIFIER.test(schema)) {
      throw new BackupError('validation_failed', 'schema must be a plain SQL identifier', {
        details: { field: 'schema' },
      });
    }
    super(postgresDialect(schema));
    this.#schema = schema;
    if ('pool' in options) {
      this.#pool = options.pool;
      this.#ownPool = null;
    } else {
      const pool = new pg.Pool({
        connectionString: options.connectionString,
        max: options.maxConnections ?? 10,
      });
      // An idle client that loses its connection emits 'error' on the pool; without a listener that
      // would crash the process. pg drops the client; the next query gets a fresh connection.
      pool.on('error', () => {});
      this.#pool = pool;
      this.#ownPool = pool;
    }
  }

  /** Applies pending migrations (safe when instances start together). @throws BackupError('unavailable') */
  async init(): Promise<void> {
    let client: PostgresClientLike;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw this.translateError(error);
    }
    try {
      await migratePostgres(client, this.#schema);
    } finally {
      client.release();
    }
  }

  /** Ends the pool if the catalog created it; a pool passed in stays open (its owner ends it). */
  async close(): Promise<void> {
    const pool = this.#ownPool;
    this.#ownPool = null;
    await pool?.end();
  }

  /** One statement: the subquery locks the best queued row, skipping rows other instances hold. */
  async claimQueuedExecution(
    owner: string,
    leaseUntil: string,
    now: string,
  ): Promise<ExecutionRecord | null> {
    const t = this.t(EXECUTIONS.table);
    const p = new Params(this.dialect);
    const rows = await this.run(
      `UPDATE ${t} SET "status" = 'running', "owner" = ${p.raw(owner)},
              "lease_expires_at" = ${p.field('time', leaseUntil, 'leaseUntil')},
              "started_at" = COALESCE("started_at", ${p.field('time', now, 'now')})
        WHERE "execution_id" = (
          SELECT "execution_id" FROM ${t} WHERE "status" = 'queued'
           ORDER BY "priority" DESC, "created_at", "execution_id" COLLATE "C"
           LIMIT 1 FOR UPDATE SKIP LOCKED)
          AND "status" = 'queued'
        RETURNING *`,
      p.values,
    );
    return rows[0] ? this.decode<ExecutionRecord>(EXECUTIONS, rows[0]) : null;
  }

  protected async query(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.#pool.query(sql, params)).rows;
  }

  protected translateError(error: unknown): BackupError {
    if (error instanceof BackupError) return error;
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (code === '23505') {
      if (constraint === 'backup_executions_one_active') {
        return new BackupError('execution_in_progress', 'The job already has an execution in progress', {
          cause: error,
        });
      }
      return new BackupError('conflict', 'A record with this identifier already exists', {
        cause: error,
        details: { constraint },
      });
    }
    if (code === '22P02' || code === '22007' || code === '22008' || code === '23502') {
      return new BackupError(
        'validation_failed',
        'A value is missing or has an invalid format for the catalog',
        {
          cause: error,
        },
      );
    }
    if (code !== undefined && UNAVAILABLE.has(code)) {
      return new BackupError('unavailable', 'The PostgreSQL catalog is unavailable', { cause: error });
    }
    return toBackupError(error);
  }
}

/** A catalog in PostgreSQL (by connection string, or on a pool you own). Call `init()` before use. */
export function createPostgresCatalog(options: PostgresCatalogOptions): PostgresCatalog {
  return new PostgresCatalog(options);
}
