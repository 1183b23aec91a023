import { withClient } from '../../../../test-support/postgres.js';

/** A few tables with the things a restore must get right: types, NULLs, keys, a sequence. */
export async function fillSampleDatabase(url: string, rows = 2000): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(`
      CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE, joined date);
      CREATE TABLE orders (
        id bigserial PRIMARY KEY,
        customer_id int REFERENCES customers(id),
        amount numeric(12,2),
        note text,
        tags text[],
        details jsonb
      );
      CREATE INDEX orders_customer ON orders(customer_id);
      CREATE TABLE empty_table (x int);
    `);
    await client.query(
      `INSERT INTO customers (name, email, joined)
       SELECT 'name ' || g, 'user' || g || '@example.com', date '2024-01-01' + g FROM generate_series(1, $1) g`,
      [rows],
    );
    await client.query(
      `INSERT INTO orders (customer_id, amount, note, tags, details)
       SELECT 1 + (g % $1), g * 1.25, CASE WHEN g % 7 = 0 THEN NULL ELSE 'note ' || g END,
              ARRAY['a', 'b' || g], jsonb_build_object('g', g)
       FROM generate_series(1, $1 * 2) g`,
      [rows],
    );
  });
}

/** Every user table's rows (ordered by all columns) and its columns: compared table by table. */
export async function dumpTables(
  url: string,
): Promise<Record<string, { columns: string[]; rows: string[] }>> {
  return withClient(url, async (client) => {
    const tables = await client.query<{ name: string }>(
      `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    const out: Record<string, { columns: string[]; rows: string[] }> = {};
    for (const { name } of tables.rows) {
      const [schema, table] = name.split('.');
      const columns = await client.query<{ c: string }>(
        `SELECT column_name || ' ' || data_type || ' ' || is_nullable AS c FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [schema, table],
      );
      const rows = await client.query<{ r: string }>(`SELECT t::text AS r FROM ${name} t ORDER BY 1`);
      out[name] = { columns: columns.rows.map((r) => r.c), rows: rows.rows.map((r) => r.r) };
    }
    return out;
  });
}
