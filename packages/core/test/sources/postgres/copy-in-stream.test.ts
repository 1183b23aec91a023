import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../../../../test-support/postgres.js';
import { copyFrom } from '../../../src/sources/postgres/copy-in-stream.js';
import { lend } from '../../../src/util/lent-buffers.js';

let db: TempDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTempDatabase('bk_copy_in');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query('CREATE TABLE t (id int PRIMARY KEY, note text)');
});
afterAll(async () => {
  await client.end();
  await db.drop();
});
beforeEach(async () => {
  await client.query('TRUNCATE t');
});

const rows = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${from + i}\tnote ${from + i}\n`).join('');

async function count(): Promise<number> {
  return Number((await client.query('SELECT count(*) AS n FROM t')).rows[0].n);
}

describe('CopyInStream', () => {
  it('loads the rows of pieces split anywhere, reports the row count, hands lent pieces back', async () => {
    const text = Buffer.from(rows(0, 5000));
    const cuts = [0, 1, 7, 100, 65_536, 65_537, 100_000, text.length];
    let handedBack = 0;
    const pieces = cuts
      .slice(1)
      .map((end, i) => lend(Buffer.from(text.subarray(cuts[i], end)), () => handedBack++));
    pieces.splice(3, 0, Buffer.alloc(0));
    const copy = client.query(copyFrom('COPY t (id, note) FROM STDIN'));
    await pipeline(Readable.from(pieces), copy);
    expect(copy.rowCount).toBe(5000);
    expect(handedBack).toBe(cuts.length - 1);
    expect(await count()).toBe(5000);
    const last = await client.query('SELECT note FROM t WHERE id = 4999');
    expect(last.rows[0].note).toBe('note 4999');
  });

  it('loads nothing from an empty stream', async () => {
    const copy = client.query(copyFrom('COPY t (id, note) FROM STDIN'));
    await pipeline(Readable.from([]), copy);
    expect(copy.rowCount).toBe(0);
    expect(await count()).toBe(0);
  });

  it("rejects with the server's error for bad data, and the session stays usable", async () => {
    await client.query('BEGIN');
    const copy = client.query(copyFrom('COPY t (id, note) FROM STDIN'));
    const error = await pipeline(Readable.from([Buffer.from(`${rows(0, 10)}oops\tx\n`)]), copy).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toBe('22P02'); // invalid input syntax for type integer
    await client.query('ROLLBACK');
    expect(await count()).toBe(0);
  });

  it('rejects for a statement the server refuses before any data', async () => {
    const copy = client.query(copyFrom('COPY missing_table FROM STDIN'));
    const error = await pipeline(Readable.from([Buffer.from(rows(0, 3))]), copy).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('42P01');
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('cancels the COPY (CopyFail) when its input fails midway; nothing is loaded', async () => {
    await client.query('BEGIN');
    const input = Readable.from(
      (async function* () {
        yield Buffer.from(rows(0, 1000));
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('source broke');
      })(),
    );
    const copy = client.query(copyFrom('COPY t (id, note) FROM STDIN'));
    await expect(pipeline(input, copy)).rejects.toThrow('source broke');
    await client.query('ROLLBACK');
    expect(await count()).toBe(0);
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('cancels cleanly when destroyed before the server answered', async () => {
    const copy = client.query(copyFrom('COPY t (id, note) FROM STDIN'));
    copy.on('error', () => {});
    copy.destroy(new Error('stop'));
    await new Promise((resolve) => copy.once('close', resolve));
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    expect(await count()).toBe(0);
  });

  it('loads in a transaction that commits with it', async () => {
    await client.query('BEGIN');
    const copy = client.query(copyFrom('COPY t (id, note) FROM STDIN'));
    await pipeline(Readable.from([Buffer.from(rows(0, 50)), Buffer.from(rows(50, 60))]), copy);
    expect(copy.rowCount).toBe(60);
    await client.query('COMMIT');
    expect(await count()).toBe(60);
  });
});
