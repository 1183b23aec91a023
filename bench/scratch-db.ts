import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { bigTablePresent, bigTableSql, datasetPresent, datasetSql } from './dataset.js';

/** The server the benchmark uses (the machine's PostgreSQL by default). */
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchDb {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function urlOf(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

function handle(name: string): ScratchDb {
  return {
    name,
    url: urlOf(name),
    drop: async () => {
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * The dataset at `scale` in database `backupkit_bench[_<scale>]` (`BENCH_DB` names another base,
 * so that two runs on one server keep out of each other's way), loaded with psql when absent.
 */
export async function ensureDataset(scale: number): Promise<ScratchDb> {
  const base = process.env.BENCH_DB ?? 'backupkit_bench';
  const name = scale === 1 ? base : `${base}_${String(scale).replace('.', '_')}`;
  return ensureLoaded(name, scale, datasetPresent, datasetSql);
}

/** The dataset's largest table alone (see bigTableSql) in `<base>_big[_<scale>]`. */
export async function ensureBigTable(scale: number): Promise<ScratchDb> {
  const base = `${process.env.BENCH_DB ?? 'backupkit_bench'}_big`;
  const name = scale === 1 ? base : `${base}_${String(scale).replace('.', '_')}`;
  return ensureLoaded(name, scale, bigTablePresent, bigTableSql);
}

async function ensureLoaded(
  name: string,
  scale: number,
  present: (url: string, scale: number) => Promise<boolean>,
  sqlOf: (scale: number) => string,
): Promise<ScratchDb> {
  const db = handle(name);
  if (await present(db.url, scale)) return db;
  process.stderr.write(`[bench] loading ${name} (scale ${scale}; about ${Math.ceil(45 * scale)} s)\n`);
  await db.drop();
  await admin(`CREATE DATABASE ${name}`);
  const file = join(tmpdir(), `${name}.sql`);
  writeFileSync(file, sqlOf(scale));
  const psql = spawnSync('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-f', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (psql.status !== 0) throw new Error(`loading ${name} failed (psql exit ${psql.status})`);
  return db;
}

export async function recreateDatabase(name: string): Promise<ScratchDb> {
  const db = handle(name);
  await db.drop();
  await admin(`CREATE DATABASE ${name}`);
  return db;
}

export async function cloneDatabase(template: string, name: string): Promise<ScratchDb> {
  const db = handle(name);
  await db.drop();
  // FILE_COPY (PostgreSQL 15+): the default WAL_LOG strategy writes the whole copy to the WAL,
  // and the checkpoint that follows would run during the next measurement.
  const server = await serverVersion();
  await admin(`CREATE DATABASE ${name} TEMPLATE ${template}${server >= 150000 ? ' STRATEGY FILE_COPY' : ''}`);
  return db;
}

async function serverVersion(): Promise<number> {
  const [row] = await admin<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
  return Number(row!.v);
}

/**
 * Writes out what earlier steps left dirty in the server's buffers (restored tables, changed
 * rows), so no checkpoint runs during the next measurement. (A `sync` of the page cache as
 * well was measured to slow the next backup down: 6.4 s instead of 5.7 s, medians of 4.)
 */
export async function settle(): Promise<void> {
  await admin('CHECKPOINT');
}

/**
 * `realistic`: the usual OLTP shape — 1% new rows appended to orders and events, and 1% of
 * their rows updated, chosen among the newest 5%. `uniform`: 1% of rows updated anywhere.
 */
export async function changeDatabase(
  url: string,
  shape: 'realistic' | 'uniform',
  tables: readonly ('orders' | 'events')[] = ['orders', 'events'],
): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const table of tables) {
      const { rows } = await client.query<{ n: string; max: string }>(
        `SELECT count(*) AS n, max(id) AS max FROM ${table}`,
      );
      const n = Number(rows[0]!.n);
      const max = Number(rows[0]!.max);
      const onePercent = Math.max(1, Math.round(n / 100));
      if (shape === 'realistic') {
        await client.query(
          `INSERT INTO ${table} SELECT id + $1, ${table === 'orders' ? "customer_id, 'new', created_at + interval '1 year', amount, currency, items, note" : "ts + interval '1 year', kind, source_ip, payload"}
             FROM ${table} WHERE id > $2 ORDER BY id LIMIT $3`,
          [max, max - onePercent, onePercent],
        );
        const newest = Math.round(n / 20);
        await client.query(
          `UPDATE ${table} SET ${table === 'orders' ? "status = 'shipped'" : "kind = 'view'"} WHERE id IN (SELECT id FROM ${table} WHERE id > $1 ORDER BY random() LIMIT $2)`,
          [max - newest, onePercent],
        );
      } else {
        await client.query(
          `UPDATE ${table} SET ${table === 'orders' ? "status = 'shipped'" : "kind = 'view'"} WHERE id IN (SELECT id FROM ${table} ORDER BY random() LIMIT $1)`,
          [onePercent],
        );
      }
    }
  } finally {
    await client.end();
  }
}
