import { randomBytes } from 'node:crypto';
import { postgresSourceKind } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminQuery,
  createTempDatabase,
  type TempDatabase,
  withClient,
} from '../../../../../test-support/postgres.js';
import { drainBackup, restoreDrained } from './pg-test-helpers.js';

const SECRET = 'S3cr3t-pa55word';

function withUser(url: string, user: string, password = SECRET): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

function expectNoSecret(error: unknown): void {
  const text = `${(error as Error).message} ${JSON.stringify(error)}`;
  expect(text).not.toContain(SECRET);
}

describe('postgres errors', () => {
  let db: TempDatabase;
  const role = `bk_limited_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTempDatabase('bk_pg_err');
    await withClient(db.url, (c) =>
      c.query(`CREATE TABLE open_data (id int PRIMARY KEY); CREATE TABLE secrets (id int);
               INSERT INTO open_data VALUES (1), (2)`),
    );
    await adminQuery(`CREATE ROLE ${role} LOGIN`);
    await withClient(db.url, (c) => c.query(`GRANT SELECT ON open_data TO ${role}`));
  });
  afterAll(async () => {
    await db?.drop();
    await adminQuery(`DROP ROLE IF EXISTS ${role}`);
  });

  it('an unreachable server is source_unreachable, with the password masked', async () => {
    const url = `postgresql://postgres:${SECRET}@127.0.0.1:1/nowhere`;
    const error = await drainBackup({ connection_string: url }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'source_unreachable' });
    expectNoSecret(error);
  });

  it('a rejected login is authentication_failed, with the password masked', async () => {
    const error = await drainBackup({ connection_string: withUser(db.url, 'no_such_user_bk') }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'authentication_failed' });
    expectNoSecret(error);
  });

  it('a table the user may not read is permission_denied', async () => {
    const url = withUser(db.url, role);
    const error = await drainBackup({ connection_string: url }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'permission_denied' });
    expect((error as Error).message).toMatch(/secrets/);
    expectNoSecret(error);
    // What it may read, it backs up.
    const ok = await drainBackup({ connection_string: url, tables: ['open_data'] });
    expect(ok.manifest.entries[0]?.metadata.row_count).toBe(2);
    expect(JSON.stringify(ok.manifest.source)).not.toContain(SECRET);
    expect(ok.manifest.source.connection_string).toContain(':***@');
  });

  it('a restore the user may not perform is refused up front as permission_denied', async () => {
    const backup = await drainBackup({ connection_string: db.url, tables: ['open_data'] });
    const target = await createTempDatabase('bk_pg_err_dst');
    try {
      // PostgreSQL 15: no CREATE on schema public for ordinary roles.
      const error = await restoreDrained(backup, { connection_string: withUser(target.url, role) }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'permission_denied', details: { tables: ['public.open_data'] } });
      expectNoSecret(error);
      // With CREATE on schema public only (no CREATE on the database, as on managed services) it works.
      await withClient(target.url, (c) => c.query(`GRANT CREATE ON SCHEMA public TO ${role}`));
      const { result } = await restoreDrained(backup, { connection_string: withUser(target.url, role) });
      expect(result).toMatchObject({ tables_restored: 1, records_restored: 2 });
      await withClient(target.url, (c) => c.query(`DROP OWNED BY ${role}`));
    } finally {
      await target.drop();
    }
  });

  it('overwriting a table linked by foreign keys without owning the tables is refused up front', async () => {
    await withClient(db.url, (c) =>
      c.query(`CREATE TABLE fk_parent (id int PRIMARY KEY); CREATE TABLE fk_child (p int REFERENCES fk_parent);
               INSERT INTO fk_parent VALUES (1); GRANT SELECT, INSERT, TRUNCATE ON fk_parent TO ${role}`),
    );
    const backup = await drainBackup({ connection_string: db.url, tables: ['fk_parent'] });
    const destination = { connection_string: withUser(db.url, role), overwrite_existing: true };
    await expect(restoreDrained(backup, destination)).rejects.toMatchObject({
      code: 'permission_denied',
      details: { tables: ['public.fk_child', 'public.fk_parent'] },
    });
    // Nothing changed: the key is still there.
    const fk = await withClient(db.url, (c) =>
      c.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f'`),
    );
    expect(fk.rows[0].n).toBe(1);
  });

  it('validates configs without I/O and masks the connection string in describe()', () => {
    expect(postgresSourceKind.types).toEqual(['database', 'postgres', 'postgresql']);
    expect(postgresSourceKind.validateSource({})).toEqual([
      'Missing required field: source.connection_string',
    ]);
    expect(
      postgresSourceKind.validateSource({
        connection_string: 'postgres://x@h/db',
        tables: 'users',
        max_parallel_jobs: 0,
      }),
    ).toHaveLength(2);
    const source = postgresSourceKind.createSource({
      connection_string: `postgresql://u:${SECRET}@db.example/app`,
    });
    expect(source.describe().connection_string).toBe('postgresql://u:***@db.example/app');
    expect(() => postgresSourceKind.createRestoreTarget({}, {})).toThrow(/connection_string/);
  });
});
