import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const DATASET_SQL = fileURLToPath(new URL('./dataset-1gib.sql', import.meta.url));

/** Row counts of the 1× dataset; a scale multiplies every one of them. */
const ROWS_AT_1X = { customers: 700000, orders: 2800000, events: 1500000, attachments: 110000 } as const;

/** The dataset's SQL with every table's row count multiplied by `scale` (1 = the shared ~1.2 GB file as is). */
export function datasetSql(scale: number): string {
  let sql = readFileSync(DATASET_SQL, 'utf8');
  for (const [table, rows] of Object.entries(ROWS_AT_1X)) {
    const scaled = Math.max(1, Math.round(rows * scale));
    // Each table's generate_series bound appears once, in its INSERT ... FROM generate_series(1, N).
    sql = sql.replace(`generate_series(1, ${rows})`, `generate_series(1, ${scaled})`);
    if (table === 'orders')
      sql = sql.replace(
        '(random()*699999)::int',
        `(random()*${Math.max(1, Math.round(ROWS_AT_1X.customers * scale)) - 1})::int`,
      );
  }
  return sql;
}

export function expectedRows(scale: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(ROWS_AT_1X).map(([t, n]) => [t, Math.max(1, Math.round(n * scale))]),
  );
}

/** True when database `url` already holds the dataset at this scale (row counts match). */
export async function datasetPresent(url: string, scale: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return false;
  }
  try {
    for (const [table, rows] of Object.entries(expectedRows(scale))) {
      const result = await client.query(`SELECT count(*)::bigint AS n FROM ${table}`).catch(() => null);
      if (!result || Number(result.rows[0].n) !== rows) return false;
    }
    return true;
  } finally {
    await client.end();
  }
}

/*
 * The one-big-table scenario: the dataset's largest table (events, 230 bytes of COPY text a
 * row) alone, 4.35 million rows at 1×: about 1 GB of COPY text, a 1.15 GB heap.
 */
const BIG_TABLE = 'events';
const BIG_TABLE_ROWS_AT_1X = 4_350_000;

export function bigTableRows(scale: number): number {
  return Math.max(1, Math.round(BIG_TABLE_ROWS_AT_1X * scale));
}

/** The dataset's SQL for its largest table only (with its indexes), `bigTableRows(scale)` rows. */
export function bigTableSql(scale: number): string {
  const sql = readFileSync(DATASET_SQL, 'utf8');
  const table = /CREATE TABLE events \([\s\S]*?FROM generate_series\(1, \d+\) g;/.exec(sql)?.[0];
  const indexes = sql.match(/CREATE INDEX ON events [^;]*;/g) ?? [];
  if (!table) throw new Error(`the dataset has no ${BIG_TABLE} table`);
  return [
    'CREATE EXTENSION IF NOT EXISTS pgcrypto;',
    'SELECT setseed(0.42);',
    table.replace(/generate_series\(1, \d+\)/, `generate_series(1, ${bigTableRows(scale)})`),
    ...indexes,
    'VACUUM ANALYZE;',
  ].join('\n');
}

/** True when database `url` holds the one-big-table dataset at this scale. */
export async function bigTablePresent(url: string, scale: number): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch {
    return false;
  }
  try {
    const result = await client.query(`SELECT count(*)::bigint AS n FROM ${BIG_TABLE}`).catch(() => null);
    return Boolean(result && Number(result.rows[0].n) === bigTableRows(scale));
  } finally {
    await client.end();
  }
}
