import { BackupError } from '../errors.js';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './migrations/index.js';
import { quote } from './sql/sql-dialect.js';

/** The subset of a `pg` client that migrations and transactions need. */
export interface PostgresClientLike {
  query(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
  release(error?: Error | boolean): void;
}

/**
 * Applies pending migrations in one transaction under a transaction-level advisory lock keyed by
 * schema, so instances starting together wait for each other and each version runs once.
 * @throws BackupError('unavailable') when a migration fails (nothing of it is kept).
 */
export async function migratePostgres(
  client: PostgresClientLike,
  schema: string,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const prefix = `${quote(schema)}.`;
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`backupkit_migrations:${schema}`]);
    // CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database, so only run it when missing.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rows.length === 0) await client.query(`CREATE SCHEMA ${quote(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${prefix}backupkit_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query(`SELECT version FROM ${prefix}backupkit_migrations`)).rows.map((r) =>
        Number(r.version),
      ),
    );
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query(m.up(prefix));
      await client.query(`INSERT INTO ${prefix}backupkit_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw new BackupError('unavailable', 'Migrating the PostgreSQL catalog failed', {
      cause: error,
      details: { schema },
    });
  }
}
