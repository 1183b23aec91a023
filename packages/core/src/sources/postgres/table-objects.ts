import type pg from 'pg';
import type { PostgresRestoreOptions } from './config.js';
import { addConstraintSql } from './ddl.js';
import type { PlannedTable } from './restore-plan.js';

/** An index or constraint that could not be created; the table's data stays loaded. */
export interface ObjectFailure {
  table: string;
  object: string;
  message: string;
}

interface Statement {
  what: string;
  sql: string;
}

/**
 * What a created table needs once its data is in, in the order pg_restore uses: primary key,
 * unique and exclusion constraints, then the other indexes, then check constraints. Foreign
 * keys are left out: they need the tables on both ends loaded and indexed.
 */
export function tableObjectStatements(t: PlannedTable, options: PostgresRestoreOptions): Statement[] {
  if (t.exists) return [];
  const constraints = (types: string): Statement[] =>
    options.skipConstraints
      ? []
      : t.table.constraints
          .filter((c) => types.includes(c.type))
          .map((c) => ({
            what: `constraint ${c.name}`,
            sql: addConstraintSql(t.table.schema, t.table.name, c.name, c.definition),
          }));
  const indexes = options.skipIndexes
    ? []
    : t.table.indexes.map((i) => ({ what: `index ${i.name}`, sql: i.definition }));
  return [...constraints('pux'), ...indexes, ...constraints('c')];
}

/**
 * Creates a loaded table's own indexes and constraints on `client` (each statement on its
 * own, outside the load's transaction), so one table's index build overlaps other tables'
 * COPY on the other connections. A statement that fails is returned as a failure and the rest
 * still run; `onBuilt` hears of each statement that ended. If `signal` aborts, `cancel` gets
 * the session's backend pid (to cancel the statement running there) and the abort is thrown.
 */
export async function buildTableObjects(
  client: pg.ClientBase,
  t: PlannedTable,
  options: PostgresRestoreOptions,
  signal: AbortSignal,
  cancel: (pid: number) => void,
  onBuilt?: () => void,
): Promise<ObjectFailure[]> {
  const statements = tableObjectStatements(t, options);
  const failures: ObjectFailure[] = [];
  if (statements.length === 0) return failures;
  signal.throwIfAborted();
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const onAbort = (): void => cancel(rows[0]?.pid ?? 0);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (const s of statements) {
      signal.throwIfAborted();
      try {
        await client.query(s.sql);
      } catch (error) {
        signal.throwIfAborted();
        failures.push({ table: t.entry.name, object: s.what, message: (error as Error).message });
      }
      onBuilt?.();
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return failures;
}
