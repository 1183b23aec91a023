import { compileGlob } from '../../util/glob.js';

export interface TableName {
  schema: string;
  name: string;
}

/**
 * A table pattern from `tables` / `exclude_tables`: `users`, `temp_*`, `audit.events`,
 * `audit.*`. A pattern without a schema matches the table name in every schema; `*` and `?`
 * are globs; a literal pattern (no glob) that matches nothing is an unknown table. As in SQL,
 * unquoted parts ignore case (`Users` finds `users`) and double-quoted parts are exact.
 */
export class TablePattern {
  readonly text: string;
  readonly literal: boolean;
  readonly #schema: ((value: string) => boolean) | null;
  readonly #name: (value: string) => boolean;

  constructor(text: string) {
    this.text = text;
    this.literal = !/[*?[\]{}]/.test(text);
    const dot = splitQualified(text);
    // Linear-time globs; `/` is an ordinary character in a table name.
    const matcher = (part: Part) => compileGlob(part.text, { paths: false, ignoreCase: !part.quoted });
    this.#schema = dot.schema === null ? null : matcher(dot.schema);
    this.#name = matcher(dot.name);
  }

  matches(table: TableName): boolean {
    return (this.#schema === null || this.#schema(table.schema)) && this.#name(table.name);
  }
}

interface Part {
  text: string;
  quoted: boolean;
}

/** Splits `schema.table` (quotes allowed: `"my.schema"."t"`) into its parts. */
function splitQualified(text: string): { schema: Part | null; name: Part } {
  const parts: Part[] = [];
  let current: Part = { text: '', quoted: false };
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      current.quoted = true;
      if (inQuotes && text[i + 1] === '"') {
        current.text += '"';
        i++;
      } else inQuotes = !inQuotes;
    } else if (ch === '.' && !inQuotes) {
      parts.push(current);
      current = { text: '', quoted: false };
    } else current.text += ch;
  }
  parts.push(current);
  const name = parts.at(-1) ?? { text: '', quoted: false };
  if (parts.length < 2) return { schema: null, name };
  const schemaParts = parts.slice(0, -1);
  return {
    schema: { text: schemaParts.map((p) => p.text).join('.'), quoted: schemaParts.some((p) => p.quoted) },
    name,
  };
}

export interface Selection<T extends TableName> {
  selected: T[];
  /** Literal `include` patterns that matched no table. */
  unknown: string[];
}

/** Applies `include` (all tables when empty) then `exclude`. */
export function selectTables<T extends TableName>(
  tables: readonly T[],
  include: readonly string[],
  exclude: readonly string[],
): Selection<T> {
  const inc = include.map((p) => new TablePattern(p));
  const exc = exclude.map((p) => new TablePattern(p));
  const unknown = inc.filter((p) => p.literal && !tables.some((t) => p.matches(t))).map((p) => p.text);
  const selected = tables.filter(
    (t) => (inc.length === 0 || inc.some((p) => p.matches(t))) && !exc.some((p) => p.matches(t)),
  );
  return { selected, unknown };
}

/** The entry name of a table: `schema.table`. */
export function entryName(table: TableName): string {
  return `${table.schema}.${table.name}`;
}
