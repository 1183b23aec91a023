import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../../test-support/postgres.js';
import { drainBackup } from './pg-test-helpers.js';

describe('postgres backup consistency', () => {
  let db: TempDatabase;

  beforeAll(async () => {
    db = await createTempDatabase('bk_pg_cons');
    await withClient(db.url, (c) =>
      c.query(`
        CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, note text);
        CREATE TABLE transfers (id serial PRIMARY KEY, account int NOT NULL REFERENCES accounts, amount int NOT NULL);
        CREATE TABLE filler (id int, body text);
        INSERT INTO accounts SELECT i, 100, 'initial' FROM generate_series(1, 1000) i;
        INSERT INTO filler SELECT i, repeat(md5(i::text), 4) FROM generate_series(1, 200000) i;`),
    );
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('sees one snapshot across tables and parallel workers while writers carry on unblocked', async () => {
    let stop = false;
    let commits = 0;
    let slowest = 0;
    // Each transfer moves 1 unit into an account and records it: balance - 100 = sum of its transfers.
    const writer = withClient(db.url, async (c) => {
      await c.query(`SET lock_timeout = '2s'; SET statement_timeout = '5s'`);
      while (!stop) {
        const started = Date.now();
        const account = 1 + (commits % 1000);
        await c.query('BEGIN');
        await c.query(
          `UPDATE accounts SET balance = balance + 1, note = 'written during backup' WHERE id = $1`,
          [account],
        );
        await c.query('INSERT INTO transfers (account, amount) VALUES ($1, 1)', [account]);
        await c.query('COMMIT');
        commits++;
        slowest = Math.max(slowest, Date.now() - started);
      }
    });
    let commitsAtSnapshot = 0;
    let commitsWhileOpen = 0;
    // Writers already running; the snapshot is taken, then more writes land before and while tables are read.
    await new Promise((r) => setTimeout(r, 200));
    const backup = await drainBackup({ connection_string: db.url, max_parallel_jobs: 3 }, {}, async () => {
      commitsAtSnapshot = commits;
      const target = commits + 50;
      while (commits < target) await new Promise((r) => setTimeout(r, 5));
      commitsWhileOpen = commits - commitsAtSnapshot;
    });
    stop = true;
    await writer;

    expect(commitsWhileOpen).toBeGreaterThanOrEqual(50);
    // lock_timeout (2 s) would have thrown had a write waited on the backup; this bounds the rest.
    expect(slowest).toBeLessThan(5000);
    const text = (name: string) => backup.contents.get(name)!.toString('utf8');
    const balances = new Map(
      text('public.accounts')
        .trimEnd()
        .split('\n')
        .map((line) => line.split('\t'))
        .map(([id, balance]) => [Number(id), Number(balance)]),
    );
    const transfers = text('public.transfers').trimEnd().split('\n').filter(Boolean);
    const sums = new Map<number, number>();
    for (const line of transfers) {
      const [, account, amount] = line.split('\t');
      sums.set(Number(account), (sums.get(Number(account)) ?? 0) + Number(amount));
    }
    // Both tables (read by different connections) agree: one snapshot.
    for (const [id, balance] of balances) expect(balance - 100, `account ${id}`).toBe(sums.get(id) ?? 0);
    // And it is the snapshot taken before the writes made while the backup was open.
    const total = await withClient(db.url, (c) => c.query('SELECT count(*)::int AS n FROM transfers'));
    expect(transfers.length).toBeLessThan(total.rows[0].n);
    expect(transfers.length).toBeLessThanOrEqual(commitsAtSnapshot + 1);
    const entry = backup.manifest.entries.find((e) => e.name === 'public.transfers')!;
    expect(entry.metadata.row_count).toBe(transfers.length);
    expect(backup.manifest.entries.find((e) => e.name === 'public.filler')!.metadata.row_count).toBe(200000);
  });
});
