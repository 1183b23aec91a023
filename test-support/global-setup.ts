import pg from 'pg';
import { adminDatabaseUrl } from './postgres.js';

/** Fails the whole run loudly when PostgreSQL is missing: a skipped test is a failing test. */
export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is required by the tests and is not reachable at ${adminDatabaseUrl()}: ${String(error)}`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}
