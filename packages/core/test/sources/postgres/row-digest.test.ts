import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminDatabaseUrl } from '../../../../../test-support/postgres.js';
import { RowDigest, RowDigestTotal } from '../../../src/sources/postgres/row-digest.js';

/** COPY output of `query` from the server, as one buffer. */
async function copyOut(client: pg.Client, query: string, binary: boolean): Promise<Buffer> {
  const pieces: Buffer[] = [];
  const stream = client.query(copyTo(`COPY (${query}) TO STDOUT${binary ? ' (FORMAT binary)' : ''}`));
  for await (const piece of stream) pieces.push(piece as Buffer);
  return Buffer.concat(pieces);
}

/** The digest of `streams` (each fed in pieces of `piece` bytes), all into one total. */
async function digestOf(streams: Buffer[], binary: boolean, piece = 1 << 16): Promise<string> {
  const total = new RowDigestTotal();
  for (const data of streams) {
    const pieces: Buffer[] = [];
    for (let at = 0; at < data.length; at += piece) pieces.push(data.subarray(at, at + piece));
    await pipeline(
      Readable.from(pieces),
      new RowDigest(binary ? 'binary' : 'text', total),
      new Writable({ write: (_c, _e, cb) => cb() }),
    );
  }
  return total.toString();
}

const ROWS = `SELECT g AS id, CASE WHEN g % 5 = 0 THEN NULL ELSE 'r' || g END AS t, E'a\\nb' AS nl,
                     decode(md5(g::text), 'hex') AS b, '' AS empty, timestamptz '2024-01-01' + g * interval '1 h' AS at
                FROM generate_series(1, 2000) g`;

describe('RowDigest', () => {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  for (const binary of [false, true]) {
    const format = binary ? 'binary' : 'text';
    it(`${format}: the same rows in any order and split into any streams give one digest`, async () => {
      const ordered = await copyOut(client, `${ROWS} ORDER BY id`, binary);
      const reversed = await copyOut(client, `${ROWS} ORDER BY id DESC`, binary);
      const low = await copyOut(client, `SELECT * FROM (${ROWS}) r WHERE id <= 700`, binary);
      const high = await copyOut(client, `SELECT * FROM (${ROWS}) r WHERE id > 700 ORDER BY id DESC`, binary);
      const whole = await digestOf([ordered], binary);
      expect(whole.startsWith('2000:')).toBe(true);
      expect(await digestOf([reversed], binary)).toBe(whole);
      expect(await digestOf([high, low], binary)).toBe(whole);
      // Fed a byte at a time: rows cut anywhere, headers and lengths across pieces.
      expect(await digestOf([low, high], binary, 1)).toBe(whole);
      expect(await digestOf([ordered], binary, 7)).toBe(whole);
    });

    it(`${format}: a changed, missing or duplicated row changes it`, async () => {
      const whole = await digestOf([await copyOut(client, ROWS, binary)], binary);
      const changed = await copyOut(
        client,
        `SELECT id, CASE WHEN id = 1234 THEN 'x' ELSE t END, nl, b, empty, at FROM (${ROWS}) r`,
        binary,
      );
      expect(await digestOf([changed], binary)).not.toBe(whole);
      const missing = await copyOut(client, `SELECT * FROM (${ROWS}) r WHERE id <> 77`, binary);
      expect(await digestOf([missing], binary)).not.toBe(whole);
      const twice = await copyOut(client, `SELECT * FROM (${ROWS}) r WHERE id = 77`, binary);
      expect(await digestOf([missing, twice, twice], binary)).not.toBe(whole);
      expect(await digestOf([missing, twice], binary)).toBe(whole);
    });
  }
});
