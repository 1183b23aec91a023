import { qualified, quoteIdent } from './connection.js';
import type { CopyFormat, TableSchema } from './schema-types.js';

/*
 * COPY text or binary, per table. Binary is always cheaper for the server to print and parse,
 * not always smaller: a timestamptz takes 12 bytes instead of ~23, but an int8 12 instead of ~8.
 * Text hex-encodes bytea (twice the bytes to read, hash and compress), so tables with bytea
 * go binary; otherwise binary where columns that are costly as text (dates and times, network
 * addresses, uuids, floats) outnumber those that grow in binary (small numbers, flags, codes).
 * Measured on the benchmark dataset (PostgreSQL 15): `events` (int8, timestamptz, text, inet,
 * jsonb) prints in 1.37 s instead of 1.87 s and loads in 3.4 s instead of 4.6 s, for 11% more
 * compressed bytes; `orders` (int8, int4, text, timestamptz, numeric, char(3), int4, text)
 * would be 20% bigger compressed and stays text.
 */

/**
 * Built-in types (pg_catalog `typname`) whose binary send/recv format is stable across
 * PostgreSQL versions. Arrays, domains, enums, composites and extension types are not here:
 * their binary forms carry type OIDs or depend on the installation.
 */
export const BINARY_STABLE_TYPES: ReadonlySet<string> = new Set([
  'bool',
  'int2',
  'int4',
  'int8',
  'float4',
  'float8',
  'numeric',
  'text',
  'varchar',
  'bpchar',
  'name',
  'char',
  'bytea',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'interval',
  'uuid',
  'json',
  'jsonb',
  'oid',
  'inet',
  'cidr',
  'macaddr',
]);

/** A copied column's type: its pg_type name, or null when it is not a pg_catalog type. */
export type BuiltinTypeName = string | null;

/** Types whose text form costs the server far more to print and parse than their binary form. */
const COSTLY_AS_TEXT: ReadonlySet<string> = new Set([
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'interval',
  'uuid',
  'inet',
  'cidr',
  'macaddr',
  'float4',
  'float8',
]);

/** Types whose fixed-width binary form is usually wider than their text. */
const WIDER_IN_BINARY: ReadonlySet<string> = new Set([
  'bool',
  'int2',
  'int4',
  'int8',
  'numeric',
  'bpchar',
  'char',
  'oid',
]);

/**
 * Binary iff every copied column has a binary-stable built-in type and either some column
 * is bytea or columns costly as text outnumber columns wider in binary.
 */
export function chooseCopyFormat(types: readonly BuiltinTypeName[]): CopyFormat {
  const known = types.filter((t): t is string => t !== null && BINARY_STABLE_TYPES.has(t));
  if (known.length !== types.length || known.length === 0) return 'text';
  if (known.includes('bytea')) return 'binary';
  const costly = known.filter((t) => COSTLY_AS_TEXT.has(t)).length;
  const wider = known.filter((t) => WIDER_IN_BINARY.has(t)).length;
  return costly > wider ? 'binary' : 'text';
}

/** The format an entry was backed up in; backups from before binary COPY have none: text. */
export function copyFormatOf(table: Pick<TableSchema, 'copy_format'>): CopyFormat {
  return table.copy_format === 'binary' ? 'binary' : 'text';
}

function copyTarget(table: Pick<TableSchema, 'schema' | 'name' | 'copy_columns'>): string {
  return `${qualified(table.schema, table.name)} (${table.copy_columns.map(quoteIdent).join(', ')})`;
}

function formatOption(table: Pick<TableSchema, 'copy_format'>): string {
  return copyFormatOf(table) === 'binary' ? ' (FORMAT binary)' : '';
}

type CopyTable = Pick<TableSchema, 'schema' | 'name' | 'copy_columns' | 'copy_format'>;

/** `COPY t (columns) TO STDOUT` in the table's format; backup and verification share it. */
export function copyToSql(table: CopyTable): string {
  return `COPY ${copyTarget(table)} TO STDOUT${formatOption(table)}`;
}

/**
 * `COPY (SELECT columns FROM t WHERE condition) TO STDOUT` in the table's format: one page range
 * of a table read in parts. Same columns, same bytes per row as `copyToSql`.
 */
export function copyRowsToSql(table: CopyTable, condition: string): string {
  const columns = table.copy_columns.map(quoteIdent).join(', ');
  return `COPY (SELECT ${columns} FROM ONLY ${qualified(table.schema, table.name)} WHERE ${condition}) TO STDOUT${formatOption(table)}`;
}

/** `COPY t (columns) FROM STDIN` in the format the entry was backed up in. */
export function copyFromSql(table: CopyTable): string {
  return `COPY ${copyTarget(table)} FROM STDIN${formatOption(table)}`;
}

export interface ColumnTypeMismatch {
  column: string;
  /** pg_catalog type name the binary data was written as. */
  backup: string;
  /** The existing column's type: a pg_catalog name, else `schema.type`. */
  target: string;
}

/**
 * Binary COPY data carries no type information: loaded into a column of another type it is
 * rejected at best and misread at worst. Lists the copied columns whose type in an existing
 * table (`targetTypes`: column → type name) is not the one recorded at backup.
 */
export function binaryTypeMismatches(
  table: Pick<TableSchema, 'copy_columns' | 'copy_types'>,
  targetTypes: Readonly<Record<string, string>>,
): ColumnTypeMismatch[] {
  const mismatches: ColumnTypeMismatch[] = [];
  table.copy_columns.forEach((column, i) => {
    const backup = table.copy_types?.[i];
    const target = targetTypes[column];
    if (backup !== undefined && target !== undefined && target !== backup) {
      mismatches.push({ column, backup, target });
    }
  });
  return mismatches;
}
