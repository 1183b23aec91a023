import type pg from 'pg';
import type { ManifestEntry } from '../../repository/manifest.js';
import { copyFormatOf } from './copy-format.js';
import type { CopyFormat, TableSchema } from './schema-types.js';

/*
 * How many bytes of COPY data a table will give, for progress and ETA. Measured against the
 * COPY bytes read from the benchmark dataset (0.1×, PostgreSQL 15):
 *
 *   table (format)        pg_table_size   statistics (below)   COPY bytes
 *   customers (text)          18.4 MB          14.9 MB           14.9 MB
 *   orders (text)             32.6 MB          26.3 MB           26.8 MB
 *   events (binary)           39.7 MB          35.0 MB           35.1 MB
 *   attachments (binary)      22.6 MB          21.5 MB           21.5 MB
 *
 * At 1× the statistics give 0.95-1.00 of the COPY bytes (attachments' low: ANALYZE measures its
 * values as stored, some compressed), the relation size 0.97-1.22.
 *
 * The relation size runs 5-24% over (page and tuple headers, free space) and cannot see that
 * text COPY prints a timestamptz in 22-29 bytes it stores in 8, or hex-doubles bytea. The
 * planner's statistics (rows; each column's average stored width, null share and sampled
 * values, whose printed length gives numbers, times and jsonb their text width) land within
 * 2%. Best of all is the same table's size in the previous backup, grown or shrunk as its
 * relation has since; when neither is there, the relation size, scaled by its typical overshoot.
 */

/** pg_table_size over COPY bytes, typically (see the table above). */
const RELATION_OVERSHOOT = 1.15;

/** Printed width of values whose text form does not follow their stored width. */
const TEXT_WIDTH: Readonly<Record<string, number>> = {
  bool: 1,
  int2: 3,
  int4: 5,
  int8: 7,
  oid: 6,
  float4: 9,
  float8: 15,
  date: 10,
  time: 12,
  timetz: 15,
  timestamp: 22,
  timestamptz: 25,
  interval: 16,
  uuid: 36,
  macaddr: 17,
};

/**
 * Types whose stored width is their printed width (less a header), better than any sample:
 * ANALYZE leaves values over 1 kB out of its samples, which would make wide strings look short.
 * Every other type's printed width comes from its sampled values (pg_stats' most common values
 * and histogram bounds, as text), when they are not that wide.
 */
const PRINTED_AS_STORED = ['text', 'varchar', 'bpchar', 'name', 'bytea', 'json', 'xml'];
/** Stored widths above this are too wide for the samples to be representative. */
const MAX_SAMPLED_WIDTH = 1000;

/** One copied column as the statistics describe it. */
export interface ColumnStatistics {
  /** pg_type `typname`. */
  type: string;
  /** pg_type `typlen`: the fixed size, or -1 / -2 for variable-length types. */
  length: number;
  /** Average stored width of non-null values (pg_stats), null when never analyzed. */
  avgWidth: number | null;
  nullFraction: number;
  /** Average printed width of non-null values, from the sampled values; null when unknown. */
  printedWidth: number | null;
}

/** Bytes one non-null value of `column` takes in text COPY. */
function textWidth(column: ColumnStatistics, width: number): number {
  if (column.type === 'bool') return 1; // `t` / `f`
  if (column.printedWidth !== null) return column.printedWidth;
  const fixed = TEXT_WIDTH[column.type];
  if (fixed !== undefined) return fixed;
  switch (column.type) {
    case 'jsonb':
      return 0.85 * width; // stored with its structure; printed compact
    case 'inet':
    case 'cidr':
      return 2 * width; // 7 bytes stored, ~14 printed
    case 'bytea':
      return 2 * Math.max(0, width - 1) + 3; // `\\x` and two hex digits a byte
    case 'numeric':
      return width;
    default:
      return column.length === -1 ? Math.max(0, width - 1) : width; // less the varlena header
  }
}

/** Bytes one non-null value of `column` takes in binary COPY (without its 4-byte length). */
function binaryWidth(column: ColumnStatistics, width: number): number {
  if (column.length > 0) return column.length;
  switch (column.type) {
    case 'numeric':
      return width + 5; // an 8-byte header instead of the stored 3
    case 'jsonb':
      return (column.printedWidth ?? 0.85 * width) + 1; // a version byte, then the text form
    case 'inet':
    case 'cidr':
      return width + 1;
    default:
      return Math.max(0, width - 1);
  }
}

/**
 * COPY bytes of `rows` rows of `columns` in `format`, from the statistics; null when a column
 * was never analyzed.
 */
export function statisticsEstimate(
  columns: readonly ColumnStatistics[],
  rows: number,
  format: CopyFormat,
): number | null {
  let row = format === 'binary' ? 2 : 0;
  for (const column of columns) {
    if (column.avgWidth === null) return null;
    const present = 1 - column.nullFraction;
    row +=
      format === 'binary'
        ? 4 + present * binaryWidth(column, column.avgWidth)
        : 1 + present * textWidth(column, column.avgWidth) + column.nullFraction * 2; // `\N`
  }
  return Math.round(rows * row + (format === 'binary' ? 21 : 0));
}

/**
 * The previous backup's COPY bytes of the same table, scaled by how its relation grew since;
 * null when the parent has no such entry or wrote it in another format.
 */
export function parentEstimate(parent: ManifestEntry | undefined, table: TableSchema): number | null {
  if (parent?.kind !== 'table') return null;
  const meta = parent.metadata as Partial<TableSchema>;
  if (copyFormatOf(meta) !== copyFormatOf(table)) return null;
  // Backups before `relation_bytes` was recorded kept the relation size in `estimated_bytes`.
  const then = meta.relation_bytes ?? meta.estimated_bytes;
  const now = table.relation_bytes;
  if (typeof then !== 'number' || then <= 0 || typeof now !== 'number' || now <= 0) return parent.size;
  return Math.round(parent.size * (now / then));
}

/** The relation size scaled by its typical overshoot of the COPY bytes. */
export function relationEstimate(relationBytes: number): number {
  return Math.round(relationBytes / RELATION_OVERSHOOT);
}

/**
 * Rows now (the last ANALYZE's count scaled by how the relation grew since, as the planner
 * does) and the copied columns' statistics, by table oid.
 */
export async function readStatistics(
  client: pg.ClientBase,
  oids: readonly number[],
): Promise<Map<number, { rows: number | null; columns: Map<string, ColumnStatistics> }>> {
  const out = new Map<number, { rows: number | null; columns: Map<string, ColumnStatistics> }>();
  if (oids.length === 0) return out;
  const tables = await client.query<{ oid: number; rows: number | null }>(
    `SELECT c.oid::int AS oid,
            CASE WHEN c.reltuples < 0 OR c.relpages = 0 THEN NULL
                 ELSE c.reltuples / c.relpages
                      * (pg_relation_size(c.oid) / current_setting('block_size')::float8) END AS rows
       FROM pg_class c WHERE c.oid = ANY($1)`,
    [oids],
  );
  for (const t of tables.rows)
    out.set(t.oid, { rows: t.rows === null ? null : Number(t.rows), columns: new Map() });
  const columns = await client.query<ColumnRow>(
    `SELECT a.attrelid::int AS oid, a.attname AS name, t.typname AS type, t.typlen::int AS length,
            s.avg_width::int AS avg_width, s.null_frac::float8 AS null_frac, p.*
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname
            AND s.attname = a.attname AND NOT s.inherited
       LEFT JOIN LATERAL (
         SELECT (SELECT avg(octet_length(v)) FROM unnest(s.histogram_bounds::text::text[]) v)::float8 AS hist_width,
                (SELECT sum(octet_length(m.v) * m.f)
                   FROM unnest(s.most_common_vals::text::text[], s.most_common_freqs) AS m(v, f))::float8 AS mcv_width,
                (SELECT sum(f) FROM unnest(s.most_common_freqs) f)::float8 AS mcv_freq
          WHERE NOT (t.typnamespace = 'pg_catalog'::regnamespace AND t.typname = ANY($2))
            AND s.avg_width <= $3) p ON true
      WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [oids, PRINTED_AS_STORED, MAX_SAMPLED_WIDTH],
  );
  for (const c of columns.rows) {
    const nullFraction = Number(c.null_frac ?? 0);
    out.get(c.oid)?.columns.set(c.name, {
      type: c.type,
      length: c.length,
      avgWidth: c.avg_width === null ? null : Number(c.avg_width),
      nullFraction,
      printedWidth: printedWidth(c, nullFraction),
    });
  }
  return out;
}

interface ColumnRow {
  oid: number;
  name: string;
  type: string;
  length: number;
  avg_width: number | null;
  null_frac: number | null;
  /** Average octet length of the histogram bounds as text. */
  hist_width: number | null;
  /** Sum over the most common values of their octet length as text times their frequency. */
  mcv_width: number | null;
  /** Share of all rows the most common values cover. */
  mcv_freq: number | null;
}

/**
 * Average printed width of the non-null values: the most common values at their frequencies,
 * the rest like the histogram bounds (which sample the values outside them).
 */
function printedWidth(row: ColumnRow, nullFraction: number): number | null {
  const present = 1 - nullFraction;
  if (row.hist_width === null && row.mcv_width === null) return null;
  if (!(present > 0)) return 0;
  const common = row.mcv_freq ?? 0;
  const rest = Math.max(0, present - common);
  const restWidth = row.hist_width ?? (common > 0 ? (row.mcv_width ?? 0) / common : 0);
  return ((row.mcv_width ?? 0) + rest * restWidth) / present;
}

/**
 * readStatistics inside a savepoint of the caller's transaction (the backup's snapshot): an
 * estimate is not worth a backup, so if reading them fails for any reason the estimates fall
 * back to the relation sizes and the transaction goes on.
 */
async function statisticsOrNone(
  client: pg.ClientBase,
  oids: readonly number[],
): Promise<Awaited<ReturnType<typeof readStatistics>>> {
  await client.query('SAVEPOINT backupkit_size_estimate');
  try {
    const statistics = await readStatistics(client, oids);
    await client.query('RELEASE SAVEPOINT backupkit_size_estimate');
    return statistics;
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT backupkit_size_estimate');
    return new Map();
  }
}

/**
 * The best estimate of each table's COPY bytes (see the comment at the top): the parent
 * backup's size of it, else the statistics, else the relation size. Sets `estimated_bytes`.
 */
export async function estimateCopyBytes(
  client: pg.ClientBase,
  tables: ReadonlyArray<{ oid: number; schema: TableSchema }>,
  parentEntries: ReadonlyMap<string, ManifestEntry>,
  entryName: (table: TableSchema) => string,
): Promise<void> {
  const statistics = await statisticsOrNone(
    client,
    tables.map((t) => t.oid),
  );
  for (const { oid, schema } of tables) {
    const relation = schema.relation_bytes ?? 0;
    const fromParent = parentEstimate(parentEntries.get(entryName(schema)), schema);
    const stats = statistics.get(oid);
    const copied = schema.copy_columns.map((name) => stats?.columns.get(name));
    const fromStatistics =
      stats && stats.rows !== null && copied.every((c) => c !== undefined)
        ? statisticsEstimate(copied as ColumnStatistics[], stats.rows, copyFormatOf(schema))
        : null;
    schema.estimated_bytes = fromParent ?? fromStatistics ?? relationEstimate(relation);
  }
}
