import type { ColumnKind, RecordSpec } from '../record-columns.js';
import { encodeValue } from './row-codec.js';
import { quote, type SqlDialect } from './sql-dialect.js';

/** Collects bound values in the order their placeholders appear in the SQL text. */
export class Params {
  readonly values: unknown[] = [];
  readonly #dialect: SqlDialect;

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
  }

  /** Binds an already-encoded value. */
  raw(value: unknown, kind?: ColumnKind): string {
    this.values.push(value);
    return this.#dialect.placeholder(this.values.length, kind);
  }

  /** Encodes a record field of `kind` and binds it. */
  field(kind: ColumnKind, value: unknown, field: string): string {
    return this.raw(encodeValue(this.#dialect, kind, value, field), kind);
  }
}

/**
 * `SELECT job_id` of the jobs `owner` created (deleted ones too), for `job_id IN (...)`: served
 * by the index on `backup_jobs (created_by, ...)`.
 */
export function ownedJobIds(dialect: SqlDialect, p: Params, owner: string): string {
  return `SELECT "job_id" FROM ${dialect.table('backup_jobs')} WHERE "created_by" = ${p.raw(owner)}`;
}

export interface Statement {
  sql: string;
  params: unknown[];
}

export function insertStatement(
  dialect: SqlDialect,
  spec: RecordSpec,
  record: object,
  upsert = false,
): Statement {
  const p = new Params(dialect);
  const source = record as Record<string, unknown>;
  const columns = Object.keys(spec.columns);
  const values = columns.map((c) => p.field(spec.columns[c] as ColumnKind, source[c], c));
  let sql = `INSERT INTO ${dialect.table(spec.table)} (${columns.map(quote).join(', ')}) VALUES (${values.join(', ')})`;
  if (upsert) {
    const sets = columns.filter((c) => c !== spec.key).map((c) => `${quote(c)} = excluded.${quote(c)}`);
    sql += ` ON CONFLICT (${quote(spec.key)}) DO UPDATE SET ${sets.join(', ')}`;
  }
  return { sql, params: p.values };
}

export function updateStatement(
  dialect: SqlDialect,
  spec: RecordSpec,
  key: string,
  entries: Array<[string, unknown]>,
): Statement {
  const p = new Params(dialect);
  const sets = entries.map(([c, v]) => `${quote(c)} = ${p.field(spec.columns[c] as ColumnKind, v, c)}`);
  const sql = `UPDATE ${dialect.table(spec.table)} SET ${sets.join(', ')} WHERE ${quote(spec.key)} = ${p.raw(key)} RETURNING *`;
  return { sql, params: p.values };
}
