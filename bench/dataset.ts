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
