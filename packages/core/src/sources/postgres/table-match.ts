import picomatch from 'picomatch';

export interface TableName {
  schema: string;
  name: string;
}

/**
 * A table pattern from `tables` / `exclude_tables`: `users`, `temp_*`, `audit.events`,
 * `audit.*`. A pattern without a schema matches the table name in every schema; `*` and `?`
 * are globs; a literal pattern (no glob) that matches nothing is an unknown table.
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
    const options = { dot: true, nobrace: true, noextglob: true } as const;
    this.#schema = dot.schema === null ? null : picomatch(dot.schema, options);
    this.#name = picomatch(dot.name, options);
  }

  matches(table: TableName): boolean {
    return (this.#schema === null || this.#schema(table.schema)) && this.#name(table.name);
  }
}

/** Splits `schema.table` (quotes allowed: `"my.schema"."t"`) into its parts. */
function splitQualified(text: string): { schema: string | null; name: string } {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      if (quoted && text[i + 1] === '"') {
        current += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === '.' && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  if (parts.length >= 2) return { schema: parts.slice(0, -1).join('.'), name: parts.at(-1) ?? '' };
  return { schema: null, name: parts[0] ?? '' };
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
