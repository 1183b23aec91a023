import type { ColumnKind } from '../record-columns.js';

/** What differs between the PostgreSQL and SQLite catalogs' SQL; everything else is shared. */
export interface SqlDialect {
  readonly name: 'postgres' | 'sqlite';
  /** Placeholder for the `index`th (1-based) parameter, cast to the column kind where needed. */
  placeholder(index: number, kind?: ColumnKind): string;
  /** Quoted (and, for PostgreSQL, schema-qualified) table name. */
  table(name: string): string;
  /** `expr` compared by code point, whatever the database's default collation. */
  binary(expr: string): string;
  /** The UTC day (`YYYY-MM-DD`) of a timestamp column. */
  utcDay(column: string): string;
  /** The JSON object's `key` when it is a string, else NULL. */
  jsonString(column: string, key: string): string;
  /** Bound value of a boolean. */
  bool(value: boolean): unknown;
  /** A JSON column's value as the driver returned it, parsed. */
  decodeJson(value: unknown): unknown;
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

export function postgresDialect(schema: string): SqlDialect {
  const casts: Partial<Record<ColumnKind, string>> = {
    json: '::jsonb',
    time: '::timestamptz',
    int: '::bigint',
    bool: '::boolean',
  };
  return {
    name: 'postgres',
    placeholder: (index, kind) => `$${index}${kind ? (casts[kind] ?? '') : ''}`,
    table: (name) => `${quote(schema)}.${quote(name)}`,
    binary: (expr) => `(${expr}) COLLATE "C"`,
    utcDay: (column) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
    jsonString: (column, key) =>
      `CASE WHEN jsonb_typeof(${column}->'${key}') = 'string' THEN ${column}->>'${key}' END`,
    bool: (value) => value,
    // pg parses jsonb itself.
    decodeJson: (value) => value,
  };
}

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  placeholder: () => '?',
  table: (name) => quote(name),
  // SQLite's default BINARY collation already compares by code point (UTF-8 bytes).
  binary: (expr) => expr,
  // Timestamps are stored canonical (`YYYY-MM-DDTHH:MM:SS.sssZ`), so the day is the prefix.
  utcDay: (column) => `substr(${column}, 1, 10)`,
  jsonString: (column, key) =>
    `CASE WHEN json_type(${column}, '$.${key}') = 'text' THEN json_extract(${column}, '$.${key}') END`,
  bool: (value) => (value ? 1 : 0),
  decodeJson: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
};
