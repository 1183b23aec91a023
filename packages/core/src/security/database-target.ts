import { BackupError } from '../errors.js';
import type { AccessPolicy, DatabaseTarget } from './access-policy.js';
import { maskSecrets, redactText, secretValuesOf } from './redaction.js';

export { allowDatabaseHosts } from './database-hosts.js';

/** node-postgres's defaults when neither the string nor the environment says. */
const PG_DEFAULT_HOST = 'localhost';
const PG_DEFAULT_PORT = 5432;

function unparsable(): BackupError {
  return new BackupError('invalid_backup_config', 'The connection string cannot be parsed', {
    details: { issue: 'unparsable_connection_string' },
  });
}

/** Query parameters pg-connection-string reads as file paths (with `fs.readFileSync`) at parse time. */
const FILE_PARAMETERS = ['sslcert', 'sslkey', 'sslrootcert'] as const;

interface Parsed {
  host: string | null;
  port: string | null;
  database: string | null;
  user: string | null;
  params: Record<string, string>;
}

/**
 * The connection settings `pg` reads from a connection string (pg-connection-string's `parse`,
 * step for step, without its reading of certificate files). A string starting with `/` is a
 * socket directory and a database name; anything else is read as a URL relative to
 * `postgres://base` — so a libpq `key=value` string connects to the host `base`, as it does in pg.
 */
function parse(input: string): Parsed {
  if (input.charAt(0) === '/') {
    const [host, database] = input.split(' ');
    return { host: host ?? null, port: null, database: database || null, user: null, params: {} };
  }
  let str = input;
  if (/ |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(str)) str = encodeURI(str).replace(/%25(\d\d)/g, '%$1');
  let url: URL;
  let dummyHost = false;
  try {
    try {
      url = new URL(str, 'postgres://base');
    } catch {
      url = new URL(str.replace('@/', '@___DUMMY___/'), 'postgres://base');
      dummyHost = true;
    }
  } catch {
    throw unparsable();
  }
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams.entries()) params[key] = value;
  try {
    const user = params.user || decodeURIComponent(url.username) || null;
    if (url.protocol === 'socket:') {
      return {
        host: decodeURI(url.pathname),
        port: params.port || null,
        database: url.searchParams.get('db'),
        user,
        params,
      };
    }
    const hostname = (dummyHost ? '' : url.hostname).replace(/^\[(.+)\]$/, '$1');
    let pathname = url.pathname;
    let host = params.host || null;
    if (!host) host = decodeURIComponent(hostname);
    else if (hostname && /^%2f/i.test(hostname)) pathname = hostname + pathname;
    const database = pathname.slice(1) || null;
    return {
      host,
      port: params.port || url.port || null,
      database: database ? decodeURI(database) : null,
      user,
      params,
    };
  } catch {
    // A malformed percent-escape: pg throws too and connects nowhere.
    throw unparsable();
  }
}

/**
 * The server a connection string makes `pg` connect to: host, port, whether the host is a
 * Unix-socket directory, database and user — never the password (secret spans in the database
 * or user name are masked). Mirrors node-postgres: an
 * empty host falls back to `PGHOST`, then `localhost`; the port to `PGPORT`, then 5432; `?host=`
 * and `?port=` win over the URL's; a host starting with `/` is a socket directory.
 * @throws BackupError `invalid_backup_config` (details `{ issue: 'unparsable_connection_string' }`)
 * when pg could not parse it either, or the port is not a number.
 */
export function databaseTargetOf(
  connectionString: string,
  env: NodeJS.ProcessEnv = process.env,
): DatabaseTarget {
  const parsed = parse(connectionString);
  const user = parsed.user || env.PGUSER || env.USER || null;
  const host = parsed.host || env.PGHOST || PG_DEFAULT_HOST;
  const port = Number.parseInt(parsed.port || env.PGPORT || String(PG_DEFAULT_PORT), 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw unparsable();
  const database = parsed.database || env.PGDATABASE || user;
  return {
    host,
    port,
    socket: host.startsWith('/'),
    // pg takes a whole libpq `key=value` string for a database name, password included.
    database: database === null ? null : maskSecrets(database),
    user: user === null ? null : maskSecrets(user),
  };
}

/**
 * The parameters of a connection string that make `pg` read a file of this server when the
 * client is created (`sslcert`, `sslkey`, `sslrootcert`), in that order; empty when none.
 * @throws BackupError `invalid_backup_config` when the string cannot be parsed.
 */
export function serverFileParametersOf(connectionString: string): string[] {
  const { params } = parse(connectionString);
  return FILE_PARAMETERS.filter((name) => Boolean(params[name]));
}

/** `db.example.com:5432`, `[::1]:5432` or `the Unix socket in /var/run/postgresql (port 5432)`. */
export function describeDatabaseTarget(target: DatabaseTarget): string {
  if (target.socket) return `the Unix socket in ${target.host} (port ${target.port})`;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${host}:${target.port}`;
}

function unparsableRefusal(field: string, cause: unknown): BackupError {
  return new BackupError('forbidden', `${field} cannot be parsed, so its server cannot be checked`, {
    cause,
    details: { field, issue: 'unparsable_connection_string' },
  });
}

/**
 * Checks that a source, restore target or test restore may use `connectionString` (`field`,
 * e.g. `source.connection_string`, is named in errors): it may not name files of this server
 * (`sslcert`, `sslkey`, `sslrootcert`: pg reads them as it parses), and the host's policy must
 * let it connect to the server it names. Without `policy.allowDatabase` every server is allowed.
 * @throws BackupError `forbidden` (details `{ field, issue }`, issue `server_file_parameter`,
 * `database_not_allowed` or `unparsable_connection_string`); the message names host and port
 * (or the parameter), never the password.
 */
export async function checkDatabaseAccess(
  connectionString: string,
  policy: AccessPolicy,
  field: string,
): Promise<void> {
  let files: string[] = [];
  try {
    files = serverFileParametersOf(connectionString);
  } catch (error) {
    // pg cannot parse it either, so it connects nowhere; without a hook that is its own error.
    if (policy.allowDatabase) throw unparsableRefusal(field, error);
    return;
  }
  if (files.length > 0) {
    throw new BackupError(
      'forbidden',
      `${field} names ${files.join(', ')}: files of this server, which only its own configuration may name`,
      { details: { field, issue: 'server_file_parameter', parameters: files } },
    );
  }
  if (!policy.allowDatabase) return;
  let target: DatabaseTarget;
  try {
    target = databaseTargetOf(connectionString);
  } catch (error) {
    throw unparsableRefusal(field, error);
  }
  let allowed = false;
  let cause: unknown;
  try {
    allowed = (await policy.allowDatabase({ ...target })) === true;
  } catch (error) {
    cause = error;
  }
  if (allowed) return;
  const message = `${field} points at ${describeDatabaseTarget(target)}, which this server does not allow`;
  // The host comes from the caller's string: make sure nothing of its secrets rides along.
  const secrets = secretValuesOf({ connection_string: connectionString });
  throw new BackupError('forbidden', redactText(message, secrets, { minSecretLength: 4 }), {
    details: { field, issue: 'database_not_allowed' },
    ...(cause === undefined ? {} : { cause }),
  });
}
