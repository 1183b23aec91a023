import { randomBytes } from 'node:crypto';
import type { SourceKindFixture } from '@backupkit/core/testing';
import { expect } from 'vitest';
import {
  createTempDatabase,
  dropDatabase,
  type TempDatabase,
  withClient,
} from '../../../../../test-support/postgres.js';

const TABLES = ['public.orders', 'public.users'];

const SCHEMA_SQL = `
CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, born date);
CREATE TABLE orders (
  id int PRIMARY KEY,
  user_id int NOT NULL REFERENCES users(id),
  amount numeric(10,2),
  note text
);
CREATE INDEX orders_user ON orders (user_id);
INSERT INTO users SELECT i, 'user ' || i, DATE '2000-01-01' + i FROM generate_series(1, 300) i;
INSERT INTO orders SELECT i, 1 + i % 300, i * 1.25, CASE WHEN i % 7 = 0 THEN NULL ELSE E'tab\\there ' || i END
  FROM generate_series(1, 1200) i;
`;

/** Every row of `table`, in key order, as text. */
async function rowsOf(url: string, table: string): Promise<unknown[]> {
  const { rows } = await withClient(url, (c) => c.query(`SELECT t::text AS row FROM ${table} t ORDER BY id`));
  return rows.map((r) => r.row);
}

/** The tables of database `url`'s public schema, as `public.<name>`. */
async function tablesOf(url: string): Promise<string[]> {
  const { rows } = await withClient(url, (c) =>
    c.query<{ name: string }>(
      "SELECT 'public.' || tablename AS name FROM pg_tables WHERE schemaname = 'public'",
    ),
  );
  return rows.map((r) => r.name).sort();
}

/** The PostgreSQL source's conformance fixture: two related tables, restored into fresh databases. */
export async function postgresKindFixture(): Promise<SourceKindFixture> {
  const source = await createTempDatabase('bk_kind_src');
  await withClient(source.url, (c) => c.query(SCHEMA_SQL));
  const made: TempDatabase[] = [];
  const testDatabases: string[] = [];
  return {
    source: { type: 'database', connection_string: source.url },
    invalidSources: [
      { type: 'database' },
      { type: 'database', connection_string: source.url, tables: 'users' },
      { type: 'database', connection_string: source.url, max_parallel_jobs: 0 },
    ],
    async destination() {
      const target = await createTempDatabase('bk_kind_dst');
      made.push(target);
      return { type: 'database', connection_string: target.url };
    },
    subset: { select: { tables: ['users'] }, entries: ['public.users'] },
    selectNothing: { tables: ['no_such_table'] },
    async compare(destination, only) {
      const url = String(destination.connection_string);
      const expected = only ? TABLES.filter((t) => only.includes(t)) : TABLES;
      expect(await tablesOf(url)).toEqual(expected);
      for (const table of expected)
        expect(await rowsOf(url, table), table).toEqual(await rowsOf(source.url, table));
    },
    testRestoreOptions() {
      const name = `bk_kind_test_${randomBytes(4).toString('hex')}`;
      testDatabases.push(name);
      return { test_database: name };
    },
    async cleanup() {
      for (const target of made) await target.drop();
      for (const name of testDatabases) await dropDatabase(name);
      await source.drop();
    },
  };
}
