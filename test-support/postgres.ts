import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Server the tests use; CI and these machines run PostgreSQL on 127.0.0.1:5432 with trust auth. */
export function adminDatabaseUrl(): string {
  return process.env.BACKUPKIT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** URL of database `name` on the test server. */
export function databaseUrl(name: string): string {
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TempDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh, uniquely named database; `drop()` removes it (and kicks its sessions). */
export async function createTempDatabase(prefix = 'bk_test'): Promise<TempDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    name,
    url: databaseUrl(name),
    drop: () => dropDatabase(name),
  };
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Runs `fn` with a client on database `url`, closing it afterwards. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
