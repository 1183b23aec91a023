import { qualified, quoteIdent, quoteLiteral } from './connection.js';
import type { ColumnSchema, SequenceSchema, TableSchema, TypeSchema } from './schema-types.js';

/**
 * DDL generated from the captured schema. Type names and expressions were captured with
 * search_path = pg_catalog, so they are schema-qualified and the statements run the same
 * under the restore connection's search_path (also pg_catalog).
 */

export function createTypeSql(type: TypeSchema): string {
  const name = qualified(type.schema, type.name);
  switch (type.kind) {
    case 'enum':
      return `CREATE TYPE ${name} AS ENUM (${(type.labels ?? []).map(quoteLiteral).join(', ')})`;
    case 'composite':
      return `CREATE TYPE ${name} AS (${(type.attributes ?? [])
        .map((a) => `${quoteIdent(a.name)} ${a.type}`)
        .join(', ')})`;
    case 'domain': {
      const parts = [`CREATE DOMAIN ${name} AS ${type.base_type ?? 'text'}`];
      if (type.default) parts.push(`DEFAULT ${type.default}`);
      if (type.not_null) parts.push('NOT NULL');
      for (const check of type.checks ?? [])
        parts.push(`CONSTRAINT ${quoteIdent(check.name)} ${check.definition}`);
      return parts.join(' ');
    }
  }
}

function sequenceOptions(seq: SequenceSchema): string {
  return [
    `INCREMENT BY ${seq.increment}`,
    `MINVALUE ${seq.min}`,
    `MAXVALUE ${seq.max}`,
    `START WITH ${seq.start}`,
    `CACHE ${seq.cache}`,
    seq.cycle ? 'CYCLE' : 'NO CYCLE',
  ].join(' ');
}

/** A free-standing sequence (serial or shared); identity sequences come with their table. */
export function createSequenceSql(seq: SequenceSchema): string {
  return `CREATE SEQUENCE IF NOT EXISTS ${qualified(seq.schema, seq.name)} AS ${seq.type} ${sequenceOptions(seq)}`;
}

function columnSql(column: ColumnSchema, identity: SequenceSchema | undefined): string {
  const parts = [quoteIdent(column.name), column.type];
  if (column.collation) parts.push(`COLLATE ${column.collation}`);
  if (column.generated !== null) parts.push(`GENERATED ALWAYS AS (${column.generated}) STORED`);
  else if (column.identity !== null) {
    const kind = column.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT';
    const options = identity
      ? ` (SEQUENCE NAME ${qualified(identity.schema, identity.name)} ${sequenceOptions(identity)})`
      : '';
    parts.push(`GENERATED ${kind} AS IDENTITY${options}`);
  } else if (column.default !== null) parts.push(`DEFAULT ${column.default}`);
  if (column.not_null) parts.push('NOT NULL');
  return parts.join(' ');
}

/** CREATE TABLE with columns, types, defaults, NOT NULL and identity; constraints come later. */
export function createTableSql(table: TableSchema, sequences: readonly SequenceSchema[]): string {
  const columns = table.columns.map((column) =>
    columnSql(
      column,
      sequences.find(
        (s) =>
          s.identity &&
          s.owned_by?.schema === table.schema &&
          s.owned_by.table === table.name &&
          s.owned_by.column === column.name,
      ),
    ),
  );
  const kind = table.unlogged ? 'CREATE UNLOGGED TABLE' : 'CREATE TABLE';
  const options = table.storage_options?.length ? ` WITH (${table.storage_options.join(', ')})` : '';
  return `${kind} ${qualified(table.schema, table.name)} (\n  ${columns.join(',\n  ')}\n)${options}`;
}

/** Serial sequences: owned by their column, as in the source. */
export function ownedBySql(seq: SequenceSchema): string | null {
  if (!seq.owned_by || seq.identity) return null;
  const { schema, table, column } = seq.owned_by;
  return `ALTER SEQUENCE ${qualified(seq.schema, seq.name)} OWNED BY ${qualified(schema, table)}.${quoteIdent(column)}`;
}

export function addConstraintSql(schema: string, table: string, name: string, definition: string): string {
  return `ALTER TABLE ${qualified(schema, table)} ADD CONSTRAINT ${quoteIdent(name)} ${definition}`;
}
