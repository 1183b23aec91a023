import type { Readable } from 'node:stream';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../../../../test-support/postgres.js';
import { connect, destroyClient } from '../../../src/sources/postgres/connection.js';
import { CopyOutStream } from '../../../src/sources/postgres/copy-out-stream.js';
import { readTakeoverOf } from '../../../src/sources/postgres/read-takeover-socket.js';

let db: TempDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTempDatabase('bk_copy_out');
  client = await connect(db.url, 'backupkit-test');
  // A notice every 1000 rows arrives between the CopyData messages.
  await client.query(`CREATE FUNCTION noisy(i int) RETURNS int LANGUAGE plpgsql AS $$
    BEGIN IF i % 1000 = 0 THEN RAISE NOTICE 'row %', i; END IF; RETURN i; END $$`);
});
afterAll(async () => {
  await client.end();
  await db.drop();
});

/** `i<TAB>x…x` rows as the server's COPY text prints them. */
function expectedRows(count: number, width: (i: number) => number): Buffer {
  const rows: string[] = [];
  for (let i = 1; i <= count; i++) rows.push(`${i}\t${'x'.repeat(width(i))}\n`);
  return Buffer.from(rows.join(''));
}

function rowsSql(count: number, width: string): string {
  return `COPY (SELECT noisy(i), repeat('x', ${width}) FROM generate_series(1, ${count}) i) TO STDOUT`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of stream) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}

/** The server's row count arrives with CommandComplete: a query queued behind the COPY waits for it. */
async function afterCopy(copy: CopyOutStream): Promise<number> {
  await client.query('SELECT 1');
  return copy.rowCount;
}

describe('CopyOutStream on a server connection', () => {
  it('reads through the socket takeover, notices mid-COPY included, and hands the connection back', async () => {
    expect(readTakeoverOf(client.connection.stream)).not.toBeNull();
    const cases = [
      { count: 200_000, sql: 'i % 300', width: (i: number) => i % 300 },
      { count: 3, sql: '1', width: () => 1 },
      { count: 20_000, sql: '(i * 7919) % 5000', width: (i: number) => (i * 7919) % 5000 },
    ];
    for (const { count, sql, width } of cases) {
      const copy = client.query(new CopyOutStream(rowsSql(count, sql)));
      const out = await readAll(copy);
      const expected = expectedRows(count, width);
      expect(out.length).toBe(expected.length);
      expect(out.equals(expected)).toBe(true);
      expect(await afterCopy(copy)).toBe(count);
    }
    const { rows } = await client.query<{ n: number }>('SELECT 41 + 1 AS n');
    expect(rows[0]!.n).toBe(42);
  });

  it("fails with the server's error when the COPY breaks midway, and the connection carries on", async () => {
    const copy = client.query(
      new CopyOutStream('COPY (SELECT 1 / (60000 - i) FROM generate_series(1, 100000) i) TO STDOUT'),
    );
    await expect(readAll(copy)).rejects.toThrow(/division by zero/);
    const { rows } = await client.query<{ n: number }>('SELECT 7 AS n');
    expect(rows[0]!.n).toBe(7);
  });

  it('stops reading the socket while the consumer does not read, then delivers every byte', async () => {
    const worker = await connect(db.url, 'backupkit-test');
    try {
      const socket = worker.connection.stream as unknown as { bytesRead: number };
      const count = 400_000;
      const copy = worker.query(new CopyOutStream(rowsSql(count, '150')));
      await new Promise((resolve) => setTimeout(resolve, 400));
      const held = socket.bytesRead;
      await new Promise((resolve) => setTimeout(resolve, 200));
      // ~62 MB to come: reading stopped once the stream's buffer was full (the rest waits in
      // the kernel's socket buffers and the server).
      expect(socket.bytesRead).toBe(held);
      expect(held).toBeLessThan(16 * 1024 * 1024);
      expect(copy.readableLength).toBeLessThanOrEqual(2 * copy.readableHighWaterMark);
      const out = await readAll(copy);
      expect(out.equals(expectedRows(count, () => 150))).toBe(true);
      await worker.query('SELECT 1');
      expect(copy.rowCount).toBe(count);
    } finally {
      destroyClient(worker);
    }
  });
});
