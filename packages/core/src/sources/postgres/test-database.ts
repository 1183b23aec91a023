import { BackupError } from '../../errors.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const RESERVED = new Set(['postgres', 'template0', 'template1']);

/** The database a connection string names (URL path or `dbname=`), or null. */
export function databaseOf(connectionString: string): string | null {
  try {
    const url = new URL(connectionString);
    const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
    return name || url.searchParams.get('dbname') || null;
  } catch {
    const match = /(?:^|\s)dbname\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/i.exec(connectionString);
    return match?.[1] ? match[1].replace(/^'|'$/g, '') : null;
  }
}

/** The same connection string pointing at database `name` (already validated as a plain identifier). */
export function withDatabase(connectionString: string, name: string): string {
  try {
    const url = new URL(connectionString);
    url.pathname = `/${name}`;
    url.searchParams.delete('dbname');
    return url.toString();
  } catch {
    const keyValue = /(^|\s)dbname\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/i;
    return keyValue.test(connectionString)
      ? connectionString.replace(keyValue, `$1dbname=${name}`)
      : `${connectionString} dbname=${name}`;
  }
}

/**
 * The test database for a test restore: `requested`, or `<source db>_test_restore`. It must be a
 * plain identifier (so it can never smuggle SQL or another server into the restore), not a
 * system database, and never the database the backup came from.
 * @throws BackupError `invalid_request` naming the problem.
 */
export function testDatabaseName(requested: string | undefined, sourceDatabase: string | null): string {
  const name = requested ?? `${(sourceDatabase ?? 'backupkit').slice(0, 49)}_test_restore`;
  const fail = (why: string) =>
    new BackupError('invalid_request', `test_database ${JSON.stringify(name)} ${why}`, {
      details: { field: 'test_restore_options.test_database' },
    });
  if (!IDENTIFIER.test(name)) throw fail('must be a plain identifier (letters, digits, _; at most 63)');
  if (RESERVED.has(name.toLowerCase())) throw fail('is a system database');
  if (sourceDatabase !== null && name.toLowerCase() === sourceDatabase.toLowerCase()) {
    throw fail('is the database the backup was taken from; a test restore never writes there');
  }
  return name;
}
