import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  BackupError,
  filesystemSourceKind,
  maskConnectionString,
  postgresSourceKind,
  type SourceKind,
} from '@backupkit/core';
import { usageError } from './usage-error.js';

/** A backup source or restore target named on the command line, with its kind and config. */
export interface SourceSpec {
  kind: SourceKind;
  config: Record<string, unknown>;
  /** The same without secrets, for output. */
  display: string;
}

export const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/** The kinds the CLI knows: directories and PostgreSQL (what the service knows by default). */
export const SOURCE_KINDS: readonly SourceKind[] = [filesystemSourceKind, postgresSourceKind];

/**
 * A PostgreSQL URL (`postgresql://user@host/db`; the password from PGPASSWORD or ~/.pgpass as
 * libpq does, or in the URL) or a directory path.
 * @throws BackupError `invalid_request` (exit 2) for a malformed URL.
 */
export function parseSourceSpec(
  raw: string,
  cwd: string,
  selection: { tables?: string[]; excludes?: string[] },
): SourceSpec {
  if (POSTGRES_URL.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw usageError(`Not a PostgreSQL URL: "${maskConnectionString(raw)}"`, 'source');
    }
    return {
      kind: postgresSourceKind,
      display: maskConnectionString(raw),
      config: {
        // The kind's own name for its type (the API's `database`).
        type: postgresSourceKind.types[0],
        connection_string: raw,
        ...(selection.tables?.length ? { tables: selection.tables } : {}),
        ...(selection.excludes?.length ? { exclude_tables: selection.excludes } : {}),
      },
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw usageError(
      `Unsupported source "${maskConnectionString(raw)}": a postgresql:// URL or a directory`,
      'source',
    );
  }
  const directory = path.resolve(cwd, raw);
  return {
    kind: filesystemSourceKind,
    display: directory,
    config: {
      type: 'filesystem',
      path: directory,
      ...(selection.tables?.length ? { include: selection.tables } : {}),
      ...(selection.excludes?.length ? { exclude: selection.excludes } : {}),
    },
  };
}

/** @throws BackupError `not_found` (exit 3) when a directory source is not an existing directory. */
export async function assertDirectoryExists(spec: SourceSpec): Promise<void> {
  if (spec.kind !== filesystemSourceKind) return;
  const info = await stat(String(spec.config.path)).catch(() => null);
  if (!info?.isDirectory()) {
    throw new BackupError('not_found', `No directory at ${spec.display}`, { details: { field: 'source' } });
  }
}

/**
 * The job id backups of this source get unless `--job` names one: stable per source (the
 * directory, or the database's masked URL), so later runs find their parent.
 */
export function defaultJobId(spec: SourceSpec): string {
  const identity = `${String(spec.config.type)}\n${spec.display}`;
  return `job_${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;
}
