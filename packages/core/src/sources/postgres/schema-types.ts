/** The captured schema, stored as JSON in the manifest (source-level and per-table metadata). */

/** COPY data format of a table entry (see copy-format.ts for the choice). */
export type CopyFormat = 'text' | 'binary';

export interface ColumnSchema {
  name: string;
  /** `format_type()` with search_path = pg_catalog, so user types are schema-qualified. */
  type: string;
  not_null: boolean;
  /** `pg_get_expr()` of the default, or null. */
  default: string | null;
  /** `a` (ALWAYS) / `d` (BY DEFAULT) for identity columns, else null. */
  identity: 'a' | 'd' | null;
  /** Expression of a stored generated column, else null (such columns are not copied). */
  generated: string | null;
  /** The identity or serial sequence (`schema.name`), else null. */
  sequence: string | null;
  /** A collation other than the type's default, qualified and quoted. */
  collation?: string;
}

export interface ConstraintSchema {
  name: string;
  /** p primary key, u unique, c check, f foreign key, x exclusion. */
  type: 'p' | 'u' | 'c' | 'f' | 'x';
  definition: string;
  /** Foreign keys: the table referenced (absent in backups made before it was recorded). */
  references?: { schema: string; table: string };
}

export interface IndexSchema {
  name: string;
  /** `pg_get_indexdef()`: a complete `CREATE [UNIQUE] INDEX ... ON schema.table ...`. */
  definition: string;
}

export interface SequenceSchema {
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** Value when the backup read it (sequences are not transactional: maybe a little ahead). */
  last_value: string;
  is_called: boolean;
  /** The column that owns it (serial) or whose identity it is. */
  owned_by: { schema: string; table: string; column: string } | null;
  identity: boolean;
}

export interface TypeSchema {
  schema: string;
  name: string;
  kind: 'enum' | 'domain' | 'composite';
  labels?: string[];
  base_type?: string;
  not_null?: boolean;
  default?: string | null;
  checks?: { name: string; definition: string }[];
  attributes?: { name: string; type: string }[];
}

export interface TableSchema {
  schema: string;
  name: string;
  columns: ColumnSchema[];
  /** Columns in COPY order (generated columns left out). */
  copy_columns: string[];
  constraints: ConstraintSchema[];
  indexes: IndexSchema[];
  /** Qualified names of the sequences this table's columns use. */
  sequences: string[];
  /** Expected COPY bytes when the backup started (see size-estimate.ts). */
  estimated_bytes: number;
  /** `pg_table_size` when the backup started (a later backup scales this one's size by it). */
  relation_bytes?: number;
  /** UNLOGGED table. */
  unlogged?: boolean;
  /** Storage parameters (`reloptions`), e.g. `fillfactor=70`. */
  storage_options?: string[];
  /** Format of the entry's COPY data; absent (backups made before binary COPY): text. */
  copy_format?: CopyFormat;
  /**
   * Binary format only: the pg_catalog type name (`typname`) of each of `copy_columns`, in
   * order. Binary data loads only into columns of these types; restore checks existing tables.
   */
  copy_types?: string[];
}

/** Source-level metadata (`manifest.metadata.postgres`). */
export interface DatabaseSchema {
  format: 1;
  server_version: string;
  database: string;
  session: Record<string, string>;
  /** In creation order (dependencies first). */
  types: TypeSchema[];
  sequences: SequenceSchema[];
  tables: string[];
}

/** Per-table entry metadata. */
export interface TableEntryMetadata extends TableSchema {
  row_count?: number;
  /**
   * How the content is pinned: `chunk-ids`, by the entry's ordered chunk list (each id a keyed
   * SHA-256 of the chunk's bytes); `sha256` (backups before that), by the entry's sha256 of the COPY bytes.
   */
  checksum?: { algorithm: 'chunk-ids' | 'sha256'; of: 'copy-text' | 'copy-binary' };
}

/**
 * `EntryPart.metadata` of a table read as page ranges: the heap pages `[first_page, end_page)`
 * (`end_page` null: to the end) and the rows COPY read from them. The entry's `row_count` is
 * the sum; each part is a complete COPY stream of its own (binary ones with their own header).
 */
export interface TablePartMetadata {
  first_page: number;
  end_page: number | null;
  row_count: number;
}
