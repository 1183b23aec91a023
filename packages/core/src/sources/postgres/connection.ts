import net from 'node:net';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { BackupError, type BackupErrorCode } from '../../errors.js';
import { maskConnectionString, redactText, secretValuesOf } from '../../security/redaction.js';
import { createReadTakeoverSocket } from './read-takeover-socket.js';

/**
 * Session settings every backup and restore connection uses, so that COPY text is the same
 * whatever the server's defaults (identical bytes → identical checksums and chunks) and so
 * that catalog functions (format_type, pg_get_expr, pg_get_indexdef...) schema-qualify
 * every name outside pg_catalog, as pg_dump does.
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  search_path: 'pg_catalog',
  DateStyle: 'ISO',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  extra_float_digits: '3',
  bytea_output: 'hex',
  client_encoding: 'UTF8',
  standard_conforming_strings: 'on',
  // A scan that joins one already running starts mid-table: the COPY order (and so the chunks,
  // and dedup against the last backup) would depend on what else reads the table (pg_dump does the same).
  synchronize_seqscans: 'off',
  // Managed databases often set these per role; a long COPY or index build must not be cut off.
  statement_timeout: '0',
  idle_in_transaction_session_timeout: '0',
};

/** `postgresql://user:***@host/db` (URL form) or `... password=*** ...` (key/value form). */
export { maskConnectionString } from '../../security/redaction.js';

/**
 * Removes the connection string's secrets from a message: the string itself is shown masked,
 * and each of its secrets (raw, percent-decoded, unquoted) is replaced wherever it appears.
 */
export function scrub(message: string, connectionString: string): string {
  const out =
    connectionString.length > 0
      ? message.split(connectionString).join(maskConnectionString(connectionString))
      : message;
  return redactText(out, secretValuesOf({ connection_string: connectionString }), { minSecretLength: 1 });
}

/** Database, host and user of a connection string: safe to show. */
export function describeTarget(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.pathname.replace(/^\//, '') || '(default)'} on ${url.hostname}:${url.port || '5432'}`;
  } catch {
    return 'the configured database';
  }
}

const PG_CODES: Record<string, BackupErrorCode> = {
  '28P01': 'authentication_failed',
  '28000': 'authentication_failed',
  '42501': 'permission_denied',
  '3D000': 'source_unreachable',
  '57P03': 'source_unreachable',
  '53300': 'source_unreachable',
  '08001': 'source_unreachable',
  '08006': 'source_unreachable',
  // Lock wait or statement timeouts: the database is busy, a later run may succeed.
  '55P03': 'unavailable',
  '57014': 'unavailable',
};
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  'EAI_AGAIN',
]);

/**
 * Maps a `pg` or socket error to a `BackupError`: unreachable, authentication, permission,
 * or `fallback`. The message never contains the connection string's password.
 */
export function mapPgError(
  error: unknown,
  connectionString: string,
  fallback: BackupErrorCode,
  context: string,
): BackupError {
  if (error instanceof BackupError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const raw = error instanceof Error ? error.message : String(error);
  const message = scrub(raw, connectionString);
  let mapped: BackupErrorCode = fallback;
  if (typeof code === 'string' && PG_CODES[code]) mapped = PG_CODES[code];
  else if (typeof code === 'string' && NET_CODES.has(code)) mapped = 'source_unreachable';
  else if (/timeout|terminated unexpectedly|Connection terminated/i.test(raw)) mapped = 'source_unreachable';
  const details: Record<string, unknown> = { database: describeTarget(connectionString) };
  if (typeof code === 'string') details.pg_code = code;
  // The cause is kept out: pg errors can carry the connection parameters.
  return new BackupError(mapped, `${context}: ${message}`, { details });
}

/**
 * The socket `pg` connects with: one whose reads COPY ... TO STDOUT can take over (see
 * CopyOutStream), unless TLS is to wrap it.
 */
function pgSocket(config: { ssl?: unknown }): Duplex {
  return config.ssl ? new net.Socket() : createReadTakeoverSocket();
}

/**
 * Opens a connection with the fixed session settings.
 * @throws BackupError `source_unreachable`, `authentication_failed` or `permission_denied`.
 */
export async function connect(connectionString: string, applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: 15_000,
    application_name: applicationName,
    stream: pgSocket as () => Duplex,
  });
  // An idle connection that dies must not crash the process; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
    const sets = Object.entries(SESSION_SETTINGS)
      .map(([name, value]) => `SET ${name} = '${value}'`)
      .join('; ');
    await client.query(sets);
    return client;
  } catch (error) {
    destroyClient(client);
    throw mapPgError(
      error,
      connectionString,
      'source_unreachable',
      `Cannot connect to ${describeTarget(connectionString)}`,
    );
  }
}

/** Drops a connection at once, even in the middle of a COPY (whose socket may be paused). */
export function destroyClient(client: pg.Client): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection
    ?.stream;
  try {
    stream?.destroy?.();
  } catch {
    // already gone
  }
  client.end().catch(() => {});
}

/** `"name"` with embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."table"`. */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A SQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
