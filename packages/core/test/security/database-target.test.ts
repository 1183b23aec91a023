import {
  type AccessPolicy,
  allowDatabaseHosts,
  checkDatabaseAccess,
  type DatabaseTarget,
  databaseTargetOf,
  maskSecrets,
  serverFileParametersOf,
} from '@backupkit/core';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

const PASSWORD = 'Pw_sentinel_6b2f';

/** What node-postgres itself will connect to (its own parsing, no connection made). */
function pgTarget(connectionString: string): DatabaseTarget {
  const client = new pg.Client({ connectionString }) as unknown as {
    host: string;
    port: number;
    database: string | undefined;
    user: string | undefined;
    connectionParameters: { isDomainSocket: boolean };
  };
  return {
    host: client.host,
    port: client.port,
    socket: client.connectionParameters.isDomainSocket,
    database: client.database ?? null,
    user: client.user ?? null,
  };
}

const PG_ENV = ['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER'] as const;
const savedEnv = Object.fromEntries(PG_ENV.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of PG_ENV) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});
function clearPgEnv(): void {
  for (const name of PG_ENV) delete process.env[name];
}

const STRINGS = [
  `postgresql://app:${PASSWORD}@db.example.com:6432/sales`,
  `postgres://app:${PASSWORD}@DB.Example.com/sales`,
  `postgresql://app:${PASSWORD}@[::1]:5433/x`,
  `postgresql://app:${PASSWORD}@/sales`,
  'postgresql:///sales',
  `postgresql://app:${PASSWORD}@ignored.example/sales?host=/var/run/postgresql&port=5434`,
  'postgresql://app@db.example.com/sales?host=other.example',
  `postgresql://%2Fvar%2Frun%2Fpostgresql/sales`,
  'socket:/var/run/postgresql?db=sales',
  '/var/run/postgresql sales',
  `postgresql://app:p w${PASSWORD}@db.example.com/sales`,
  `host=/tmp dbname=sales password=${PASSWORD}`,
  'postgresql://h%2Eevil.example/x',
];

describe('databaseTargetOf', () => {
  it.each(STRINGS)('agrees with node-postgres on %s', (connectionString) => {
    clearPgEnv();
    const target = databaseTargetOf(connectionString);
    const expected = pgTarget(connectionString);
    // pg reads a libpq key=value string as a database name (password and all) on host "base".
    expect(target).toEqual({ ...expected, database: expected.database && maskSecrets(expected.database) });
    expect(JSON.stringify(target)).not.toContain(PASSWORD);
  });

  it('follows PGHOST / PGPORT / PGDATABASE / PGUSER as pg does', () => {
    process.env.PGHOST = '/run/pg-socket';
    process.env.PGPORT = '6543';
    process.env.PGDATABASE = 'envdb';
    process.env.PGUSER = 'envuser';
    for (const connectionString of ['postgresql:///', 'postgresql://u@/d', 'postgresql://h/d', '/dir']) {
      expect(databaseTargetOf(connectionString), connectionString).toEqual(pgTarget(connectionString));
    }
    expect(databaseTargetOf('postgresql:///')).toMatchObject({
      host: '/run/pg-socket',
      socket: true,
      port: 6543,
      database: 'envdb',
      user: 'envuser',
    });
  });

  it('names the usual cases plainly', () => {
    clearPgEnv();
    expect(databaseTargetOf(`postgresql://app:${PASSWORD}@db.example.com:6432/sales`)).toEqual({
      host: 'db.example.com',
      port: 6432,
      socket: false,
      database: 'sales',
      user: 'app',
    });
    expect(databaseTargetOf('postgresql://app@/sales?host=/var/run/postgresql')).toMatchObject({
      host: '/var/run/postgresql',
      socket: true,
      port: 5432,
    });
    // An empty host is pg's default, localhost over TCP.
    expect(databaseTargetOf('postgresql:///sales')).toMatchObject({ host: 'localhost', socket: false });
    // pg has no libpq key=value parser: such a string is a path relative to postgres://base.
    expect(databaseTargetOf(`host=/tmp dbname=sales password=${PASSWORD}`)).toEqual({
      host: 'base',
      port: 5432,
      socket: false,
      database: 'host=/tmp dbname=sales password=***',
      user: process.env.USER ?? null,
    });
  });

  it('refuses what pg could not parse either', () => {
    for (const bad of ['postgresql://u:p@[bad/db', 'postgresql://h:99999/db', 'postgresql://h:abc/db']) {
      expect(() => databaseTargetOf(bad), bad).toThrow(
        expect.objectContaining({ code: 'invalid_backup_config' }),
      );
    }
  });
});

describe('allowDatabaseHosts', () => {
  const tcp = (host: string, port = 5432): DatabaseTarget => ({
    host,
    port,
    socket: false,
    database: 'd',
    user: 'u',
  });
  const socket: DatabaseTarget = {
    host: '/var/run/postgresql',
    port: 5432,
    socket: true,
    database: null,
    user: null,
  };

  it('matches hosts, host:port, subdomain wildcards, IPv6 and sockets', () => {
    const allow = allowDatabaseHosts([
      ' db.internal ',
      'pg.example.com:6432',
      '*.replicas.example.com',
      '[::1]:5432',
      '',
    ]);
    expect(allow(tcp('db.internal', 1234))).toBe(true);
    expect(allow(tcp('DB.Internal.'))).toBe(true);
    expect(allow(tcp('pg.example.com', 6432))).toBe(true);
    expect(allow(tcp('pg.example.com', 5432))).toBe(false);
    expect(allow(tcp('r1.replicas.example.com'))).toBe(true);
    expect(allow(tcp('replicas.example.com'))).toBe(false);
    expect(allow(tcp('evilreplicas.example.com'))).toBe(false);
    expect(allow(tcp('::1'))).toBe(true);
    expect(allow(tcp('127.0.0.1'))).toBe(false);
    expect(allow(socket)).toBe(false);

    expect(allowDatabaseHosts(['unix'])(socket)).toBe(true);
    expect(allowDatabaseHosts(['unix'])(tcp('localhost'))).toBe(false);
    expect(allowDatabaseHosts(['unix:/var/run/postgresql/'])(socket)).toBe(true);
    expect(allowDatabaseHosts(['unix:/tmp'])(socket)).toBe(false);
    expect(allowDatabaseHosts(['*:5432'])(tcp('anything.example'))).toBe(true);
    expect(allowDatabaseHosts([])(tcp('localhost'))).toBe(false);
  });

  it('rejects entries of no known form', () => {
    for (const bad of ['db:abc', 'db:70000', 'a*b.example', 'user@db', 'db/x']) {
      expect(() => allowDatabaseHosts([bad]), bad).toThrow(
        expect.objectContaining({ code: 'validation_failed' }),
      );
    }
  });
});

describe('checkDatabaseAccess', () => {
  const field = 'source.connection_string';

  it('allows anything without an allowDatabase hook', async () => {
    await expect(checkDatabaseAccess('postgresql://u:p@anywhere/x', {}, field)).resolves.toBeUndefined();
  });

  it('passes the target (never the password) to the hook and refuses what it refuses', async () => {
    clearPgEnv();
    const seen: DatabaseTarget[] = [];
    const policy: AccessPolicy = {
      allowDatabase: (target) => {
        seen.push(target);
        return allowDatabaseHosts(['127.0.0.1:5432', 'unix'])(target);
      },
    };
    await checkDatabaseAccess(`postgresql://app:${PASSWORD}@127.0.0.1:5432/x`, policy, field);
    await checkDatabaseAccess(`postgresql://app:${PASSWORD}@/x?host=/var/run/postgresql`, policy, field);
    let error: unknown;
    try {
      await checkDatabaseAccess(`postgresql://app:${PASSWORD}@10.1.2.3:5432/x`, policy, field);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      code: 'forbidden',
      details: { field, issue: 'database_not_allowed' },
      message: expect.stringContaining('10.1.2.3:5432'),
    });
    // The query form pg reads wins over the URL's host: the check sees the same.
    await expect(
      checkDatabaseAccess(`postgresql://app:${PASSWORD}@127.0.0.1:5432/x?host=10.9.9.9`, policy, field),
    ).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('10.9.9.9:5432') });
    expect(JSON.stringify(seen)).not.toContain(PASSWORD);
    expect(JSON.stringify(error)).not.toContain(PASSWORD);
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('refuses connection strings that make pg read files of this server, with or without a hook', async () => {
    expect(serverFileParametersOf('postgresql://u@h/db?sslmode=require')).toEqual([]);
    for (const policy of [{}, { allowDatabase: () => true }] as AccessPolicy[]) {
      await expect(
        checkDatabaseAccess(
          `postgresql://u:${PASSWORD}@h/db?sslrootcert=/etc/shadow&sslkey=/root/.ssh/id_rsa`,
          policy,
          field,
        ),
      ).rejects.toMatchObject({
        code: 'forbidden',
        details: { field, issue: 'server_file_parameter', parameters: ['sslkey', 'sslrootcert'] },
      });
    }
    // Escaped names are what pg reads too.
    expect(serverFileParametersOf('postgresql://h/db?ssl%63ert=/etc/passwd')).toEqual(['sslcert']);
  });

  it('refuses an unparsable string and a hook that throws, with the field named', async () => {
    const policy: AccessPolicy = { allowDatabase: () => true };
    await expect(
      checkDatabaseAccess(`postgresql://u:${PASSWORD}@[bad/db`, policy, field),
    ).rejects.toMatchObject({
      code: 'forbidden',
      details: { field, issue: 'unparsable_connection_string' },
    });
    const throwing: AccessPolicy = {
      allowDatabase: () => {
        throw new Error('hook broke');
      },
    };
    await expect(checkDatabaseAccess('postgresql://u@h/db', throwing, field)).rejects.toMatchObject({
      code: 'forbidden',
      details: { field, issue: 'database_not_allowed' },
    });
  });
});
