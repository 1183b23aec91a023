import { type ColumnKind, canonicalTime, type RecordSpec } from '../record-columns.js';
import type { SqlDialect } from './sql-dialect.js';

export type Row = Record<string, unknown>;

/** A record field as bound to a statement. JSON is always sent as text (pg would turn arrays into SQL arrays). */
export function encodeValue(dialect: SqlDialect, kind: ColumnKind, value: unknown, field: string): unknown {
  if (value === undefined || value === null) return null;
  switch (kind) {
    case 'json':
      return JSON.stringify(value);
    case 'time':
      return canonicalTime(String(value), field);
    case 'bool':
      return dialect.bool(Boolean(value));
    default:
      return value;
  }
}

/** A row as returned by either driver, back into the record: `spec`'s columns only, `id` dropped. */
export function decodeRow<R>(dialect: SqlDialect, spec: RecordSpec, row: Row): R {
  const out: Record<string, unknown> = {};
  for (const [column, kind] of Object.entries(spec.columns)) {
    const value = row[column];
    if (value === null || value === undefined) {
      out[column] = null;
      continue;
    }
    switch (kind) {
      case 'json':
        out[column] = dialect.decodeJson(value);
        break;
      case 'time':
        out[column] = value instanceof Date ? value.toISOString() : canonicalTime(String(value), column);
        break;
      case 'bool':
        out[column] = value === true || value === 1 || value === '1' || value === 't';
        break;
      case 'int':
      case 'float':
        // pg returns bigint as a string; sizes stay far below 2^53.
        out[column] = Number(value);
        break;
      default:
        out[column] = value;
    }
  }
  return out as R;
}
