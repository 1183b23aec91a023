import { createHash } from 'node:crypto';
import type { ManifestEntry } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase, withClient } from '../../../../../test-support/postgres.js';
import { SESSION_SETTINGS } from '../../../src/sources/postgres/connection.js';
import { chooseCopyFormat } from '../../../src/sources/postgres/copy-format.js';
import { CopyOutStream } from '../../../src/sources/postgres/copy-out-stream.js';
import { EngineHarness } from './pg-engine-helpers.js';
import { type DrainedBackup, drainBackup, restoreDrained, tableDigest } from './pg-test-helpers.js';

/** Every allowlisted type next to bytea; a generated column of another type (not copied). */
const BLOBS_TABLE = `
CREATE TABLE blobs (
  id int4 PRIMARY KEY,
  flag bool, small int2, big int8, f4 float4, f8 float8, num numeric(30,9), num_any numeric,
  body text, label varchar(20), code char(5), ident name, one "char",
  data bytea,
  day date, at_time time(3), at timestamp, at_tz timestamptz, span interval,
  ext uuid, doc json, docb jsonb, ref oid, ip inet, net cidr, mac macaddr,
  words tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(body, ''))) STORED
)`;

const BLOBS_ROWS = String.raw`
INSERT INTO blobs (id) VALUES (1);
INSERT INTO blobs VALUES (2, false, 0, 0, 0, 0, 0, 0, '', '', '', '', ' ', ''::bytea,
  '2000-01-01', '00:00', '2000-01-01 00:00', '2000-01-01 00:00+00', '0', '00000000-0000-0000-0000-000000000000',
  '{}', '{}', 0, '0.0.0.0', '0.0.0.0/32', '00:00:00:00:00:00');
INSERT INTO blobs VALUES (3, true, 32767, 9223372036854775807, 'NaN', '-Infinity', '-123456789012345678901.123456789',
  'NaN', E'Zoë 日本語 🎉 tab\there\nnew line back\\slash \\N', 'x', 'ab', 'a name', 'x',
  (SELECT decode(string_agg(md5(g::text || 'large'), ''), 'hex') FROM generate_series(1, 250000) g),
  'infinity', '23:59:59.999', '-infinity', '1999-12-31 23:59:59.999999+05:30',
  '1 year 2 mons -3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"a" : 1,  "a": [2, null]}', '{"b": {"c": "q\"uote\\"}, "a": 1.50}', 4294967295,
  '2001:db8::1/64', '10.0.0.0/8', '08:00:2b:01:02:03');
INSERT INTO blobs VALUES (4, NULL, -32768, -9223372036854775808, '-0', 'Infinity', 1e-9, '1e100', NULL, NULL, NULL,
  NULL, NULL, (SELECT string_agg(set_byte('\x00'::bytea, 0, b), ''::bytea ORDER BY b) FROM generate_series(0, 255) b),
  '4713-01-01 BC', NULL, '294276-12-31 23:59:59.999999', '4713-01-01 00:00:00+00 BC', '-100000000 years',
  NULL, 'null', '[]', NULL, '::1', '::/0', NULL);
INSERT INTO blobs
SELECT i, i % 2 = 0, i % 1000, i * 1000003, i / 7.0, i / 3.0, i * 1.000000001, i::numeric / 9,
       'row ' || i, 'v' || i, 'c' || (i % 100), 'n' || i, chr(65 + i % 26)::"char",
       CASE WHEN i % 5 = 0 THEN NULL ELSE decode(repeat(md5(i::text), 1 + i % 7), 'hex') END,
       date '2020-01-01' + i, time '00:00' + i * interval '1 second', timestamp '2020-01-01' + i * interval '1 minute',
       timestamptz '2020-01-01 00:00+00' + i * interval '1 hour', i * interval '1 day 1 second', md5(i::text)::uuid,
       json_build_object('i', i), jsonb_build_object('i', i, 's', 'x' || i), i, ('10.1.' || (i % 256) || '.1')::inet,
       ('10.' || (i % 256) || '.0.0/16')::cidr, ('08:00:2b:00:' || lpad(to_hex(i % 256), 2, '0') || ':01')::macaddr
  FROM generate_series(5, 1004) i;
`;

const BLOBS_TYPES = [
  'int4',
  'bool',
  'int2',
  'int8',
  'float4',
  'float8',
  'numeric',
  'numeric',
  'text',
  'varchar',
  'bpchar',
  'name',
  'char',
  'bytea',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'interval',
  'uuid',
  'json',
  'jsonb',
  'oid',
  'inet',
  'cidr',
  'macaddr',
];

const BLOBS_COLUMNS = [
  'id',
  'flag',
  'small',
  'big',
  'f4',
  'f8',
  'num',
  'num_any',
  'body',
  'label',
  'code',
  'ident',
  'one',
  'data',
  'day',
  'at_time',
  'at',
  'at_tz',
  'span',
  'ext',
  'doc',
  'docb',
  'ref',
  'ip',
  'net',
  'mac',
]
  .map((c) => `"${c}"`)
  .join(', ');

const TEXT_TABLES = String.raw`
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE DOMAIN blob AS bytea;
CREATE TABLE with_enum (id int, data bytea, m mood);
CREATE TABLE with_array (id int, data bytea, tags text[]);
CREATE TABLE with_domain (id int, data blob);
CREATE TABLE no_bytea (id int, body text);
CREATE TABLE stamped (id int8, at timestamptz, kind text, ip inet, doc jsonb);
CREATE TABLE counted (id int8, n int4, at timestamptz, amount numeric(12,2));
INSERT INTO with_enum VALUES (1, '\x00ff', 'ok'), (2, NULL, NULL);
INSERT INTO with_array VALUES (1, '\x00ff', ARRAY['a', NULL]), (2, '', '{}');
INSERT INTO with_domain VALUES (1, '\x0a0d');
INSERT INTO no_bytea VALUES (1, 'x');
INSERT INTO stamped SELECT g, timestamptz '2023-01-01 00:00+00' + g * interval '3.5 seconds', 'k' || g % 5,
  ('10.0.' || g % 256 || '.1')::inet, jsonb_build_object('g', g) FROM generate_series(1, 500) g;
INSERT INTO stamped VALUES (501, 'infinity', NULL, '2001:db8::1/64', 'null'), (502, NULL, '', NULL, NULL);
INSERT INTO counted SELECT g, g % 10, timestamptz '2020-01-01 00:00+00' + g * interval '1 minute', g / 3.0
  FROM generate_series(1, 500) g;
`;

const entryOf = (backup: DrainedBackup, name: string): ManifestEntry =>
  backup.manifest.entries.find((e) => e.name === name)!;

/** A backup with only `name`'s entry, its content replaced by `content` and metadata by `metadata`. */
function withEntry(
  backup: DrainedBackup,
  name: string,
  content: Buffer,
  metadata: Record<string, unknown>,
): DrainedBackup {
  const entry: ManifestEntry = {
    ...entryOf(backup, name),
    size: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    metadata,
  };
  return {
    manifest: { ...backup.manifest, entries: [entry] },
    contents: new Map([[name, content]]),
  };
}

/** `COPY ... TO STDOUT` text under the backup's session settings: what backups before binary COPY stored. */
async function copyText(url: string, sql: string): Promise<Buffer> {
  return withClient(url, async (client) => {
    for (const [name, value] of Object.entries(SESSION_SETTINGS))
      await client.query(`SET ${name} = '${value}'`);
    const parts: Buffer[] = [];
    for await (const part of client.query(new CopyOutStream(sql))) parts.push(part as Buffer);
    return Buffer.concat(parts);
  });
}

describe('chooseCopyFormat', () => {
  it('is binary only with every type on the allowlist, and a bytea column or mostly types costly as text', () => {
    expect(chooseCopyFormat(['int4', 'bytea', 'timestamptz', 'jsonb'])).toBe('binary');
    expect(chooseCopyFormat(['int4', 'bool', 'int8', 'bytea'])).toBe('binary');
    expect(chooseCopyFormat(['int4', 'text'])).toBe('text');
    // The benchmark's events: timestamptz and inet outnumber int8.
    expect(chooseCopyFormat(['int8', 'timestamptz', 'text', 'inet', 'jsonb'])).toBe('binary');
    expect(chooseCopyFormat(['uuid', 'float8', 'text'])).toBe('binary');
    // The benchmark's orders: five columns that grow in binary against one timestamptz.
    expect(
      chooseCopyFormat(['int8', 'int4', 'text', 'timestamptz', 'numeric', 'bpchar', 'int4', 'text']),
    ).toBe('text');
    expect(chooseCopyFormat(['int4', 'timestamptz'])).toBe('text');
    expect(chooseCopyFormat(['timestamptz', 'money'])).toBe('text');
    expect(chooseCopyFormat(['bytea', '_int4'])).toBe('text');
    expect(chooseCopyFormat(['bytea', 'money'])).toBe('text');
    expect(chooseCopyFormat(['bytea', null])).toBe('text');
    expect(chooseCopyFormat([])).toBe('text');
  });
});

describe('postgres: binary COPY for tables with bytea', () => {
  let source: TempDatabase;
  let backup: DrainedBackup;
  const dbs: TempDatabase[] = [];

  beforeAll(async () => {
    source = await createTempDatabase('bk_pg_bin');
    await withClient(source.url, (c) => c.query(`${BLOBS_TABLE}; ${BLOBS_ROWS}; ${TEXT_TABLES}`));
    backup = await drainBackup({ connection_string: source.url, max_parallel_jobs: 2 });
  });
  afterAll(async () => {
    for (const db of [source, ...dbs]) await db?.drop();
  });

  const freshTarget = async (): Promise<TempDatabase> => {
    const db = await createTempDatabase('bk_pg_bin_dst');
    dbs.push(db);
    return db;
  };

  it('records the choice per table: binary for bytea or mostly types costly as text, all allowlisted; text otherwise', () => {
    const formats = Object.fromEntries(backup.manifest.entries.map((e) => [e.name, e.metadata.copy_format]));
    expect(formats).toEqual({
      'public.blobs': 'binary',
      'public.with_enum': 'text',
      'public.with_array': 'text',
      'public.with_domain': 'text',
      'public.no_bytea': 'text',
      'public.stamped': 'binary',
      'public.counted': 'text',
    });
    expect(entryOf(backup, 'public.stamped').metadata.copy_types).toEqual([
      'int8',
      'timestamptz',
      'text',
      'inet',
      'jsonb',
    ]);
    const blobs = entryOf(backup, 'public.blobs');
    expect(blobs.metadata.copy_types).toEqual(BLOBS_TYPES);
    expect(blobs.metadata.copy_columns).not.toContain('words');
    expect(blobs.metadata.checksum).toEqual({ algorithm: 'chunk-ids', of: 'copy-binary' });
    expect(blobs.metadata.row_count).toBe(1004);
    expect(entryOf(backup, 'public.with_enum').metadata).not.toHaveProperty('copy_types');
    const content = backup.contents.get('public.blobs')!;
    expect(content.subarray(0, 11)).toEqual(Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'));
    // The 4 MB bytea travels as itself, not as 8 MB of hex.
    expect(content.length).toBeLessThan(5_000_000);
    expect(backup.contents.get('public.with_enum')!.toString()).toContain('\\\\x00ff');
  });

  it('round-trips byte-identically into a fresh database, verify_after_restore passing', async () => {
    const target = await freshTarget();
    const { result, records } = await restoreDrained(
      backup,
      { connection_string: target.url },
      { verify_after_restore: true, parallel_restore: true, max_parallel_jobs: 2 },
    );
    expect(records['public.blobs']).toBe(1004);
    expect(result.verification).toMatchObject({ status: 'passed', data_integrity_verified: true });
    expect(records['public.stamped']).toBe(502);
    for (const t of ['blobs', 'with_enum', 'with_array', 'with_domain', 'no_bytea', 'stamped', 'counted']) {
      expect(await tableDigest(target.url, t), t).toEqual(await tableDigest(source.url, t));
    }
    // A backup of the restored database is the same bytes, table by table.
    const again = await drainBackup({ connection_string: target.url });
    for (const [name, content] of backup.contents)
      expect(again.contents.get(name)?.equals(content), name).toBe(true);
    // Values whose text forms could hide a difference, compared by their binary forms.
    const exact = (url: string) =>
      withClient(url, async (c) => {
        const { rows } = await c.query(
          `SELECT id, md5(data) AS data, length(data) AS len, float4send(f4) AS f4, float8send(f8) AS f8,
                  numeric_send(num_any) AS num, words::text AS words
             FROM blobs WHERE id <= 6 ORDER BY id`,
        );
        return rows;
      });
    const restored = await exact(target.url);
    expect(restored).toEqual(await exact(source.url));
    expect(restored.slice(0, 4).map((r) => r.len)).toEqual([null, 0, 4_000_000, 256]);
  });

  it('restores a backup made before binary COPY (no copy_format) as text', async () => {
    const blobs = entryOf(backup, 'public.blobs');
    const { copy_format: _format, copy_types: _types, ...legacy } = blobs.metadata;
    const text = await copyText(source.url, `COPY public.blobs (${BLOBS_COLUMNS}) TO STDOUT`);
    const old = withEntry(backup, 'public.blobs', text, {
      ...legacy,
      checksum: { algorithm: 'sha256', of: 'copy-text' },
    });
    const target = await freshTarget();
    const { result, records } = await restoreDrained(
      old,
      { connection_string: target.url },
      { verify_after_restore: true },
    );
    expect(records['public.blobs']).toBe(1004);
    expect(result.verification).toMatchObject({ status: 'passed', data_integrity_verified: true });
    expect(await tableDigest(target.url, 'blobs')).toEqual(await tableDigest(source.url, 'blobs'));
  });

  it('refuses binary data for an existing table whose column types differ, before loading anything', async () => {
    const target = await freshTarget();
    await withClient(target.url, (c) =>
      c.query(`${BLOBS_TABLE.replace('data bytea', 'data text').replace('big int8', 'big float8')};
               INSERT INTO blobs (id, data) VALUES (7, 'kept')`),
    );
    const error = await restoreDrained(
      backup,
      { connection_string: target.url, tables: ['blobs', 'no_bytea'], overwrite_existing: true },
      {},
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'restore_failed',
      details: {
        column_types: {
          'public.blobs': [
            { column: 'big', backup: 'int8', target: 'float8' },
            { column: 'data', backup: 'bytea', target: 'text' },
          ],
        },
      },
    });
    expect((error as Error).message).toContain('data: bytea in the backup, text in the target');
    expect(await tableDigest(target.url, 'blobs')).toMatchObject({ rows: 1 });
    const created = await withClient(target.url, (c) => c.query(`SELECT to_regclass('no_bytea') AS t`));
    expect(created.rows[0].t).toBeNull();
  });

  it('loads into an existing table with the same types (other length limits allowed)', async () => {
    const target = await freshTarget();
    await withClient(target.url, (c) =>
      c.query(`${BLOBS_TABLE.replace('varchar(20)', 'varchar(50)')}; INSERT INTO blobs (id) VALUES (7)`),
    );
    const { result } = await restoreDrained(
      backup,
      { connection_string: target.url, tables: ['blobs'], overwrite_existing: true },
      { verify_after_restore: true },
    );
    expect(result.verification).toMatchObject({ status: 'passed', data_integrity_verified: true });
    expect(await tableDigest(target.url, 'blobs')).toEqual(await tableDigest(source.url, 'blobs'));
  });

  it('verify_after_restore catches a row that differs after a binary load', async () => {
    const target = await freshTarget();
    // The target's own trigger changes one row's bytes on the way in: same count, other content.
    await withClient(target.url, (c) =>
      c.query(`${BLOBS_TABLE};
               CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS
                 $$BEGIN IF NEW.id = 9 THEN NEW.data := NEW.data || '\\x00'::bytea; END IF; RETURN NEW; END$$;
               CREATE TRIGGER tamper BEFORE INSERT ON blobs FOR EACH ROW EXECUTE FUNCTION tamper()`),
    );
    await expect(
      restoreDrained(
        backup,
        { connection_string: target.url, tables: ['blobs'], overwrite_existing: true },
        { verify_after_restore: true },
      ),
    ).rejects.toMatchObject({
      code: 'integrity_error',
      details: {
        mismatches: [
          {
            table: 'public.blobs',
            reason: expect.stringMatching(/^content differs from the backup from byte \d+ on$/),
          },
        ],
      },
    });
  });

  it('goes through the engine (chunks, zstd, repository) in binary and back', async () => {
    const harness = await EngineHarness.create();
    try {
      const manifest = await harness.backup({ connection_string: source.url, tables: ['blobs'] });
      expect(manifest.entries[0]?.metadata.copy_format).toBe('binary');
      const target = await freshTarget();
      const result = await harness.restore(
        manifest,
        { connection_string: target.url },
        { verify_after_restore: true },
      );
      expect(result.records).toBe(1004);
      expect(result.details).toMatchObject({
        verification: { status: 'passed', data_integrity_verified: true },
      });
      expect(await tableDigest(target.url, 'blobs')).toEqual(await tableDigest(source.url, 'blobs'));
    } finally {
      await harness.dispose();
    }
  });
});
