import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { BackupError, isBackupError } from '../../errors.js';
import type { RestoreRunContext } from '../backup-source.js';
import type { PostgresRestoreOptions } from './config.js';
import { mapPgError } from './connection.js';
import { copyFormatOf, copyFromSql } from './copy-format.js';
import { copyFrom } from './copy-in-stream.js';
import { tableCost } from './restore-cost.js';
import type { PlannedTable } from './restore-plan.js';
import { RowCounter } from './row-counter.js';
import { RowDigest, type RowDigestTotal } from './row-digest.js';

/** What a table's load put in: rows, COPY bytes and, for tables stored in parts, their digest. */
export interface Loaded {
  rows: number;
  bytes: number;
  digest?: string;
}

export interface CopyIntoOptions {
  reportWork: RestoreRunContext['reportWork'];
  /** Where the rows' digest goes (tables stored in parts, when verify_after_restore re-reads them). */
  digest: RowDigestTotal | null;
  options: PostgresRestoreOptions;
}

/**
 * One `COPY FROM STDIN` of `content` into the planned table; for part `part` of a table stored
 * in parts, the rows loaded are checked against that part's count.
 * @throws BackupError `integrity_error` for a part whose row count differs; the COPY's errors.
 */
export async function copyInto(
  client: pg.ClientBase,
  planned: PlannedTable,
  content: Readable,
  part: number | null,
  signal: AbortSignal,
  { reportWork, digest, options }: CopyIntoOptions,
): Promise<{ rows: number; bytes: number }> {
  const { entry, table } = planned;
  const cost = tableCost(planned, options);
  // The rows' parsing and inserting, spread over the bytes as they go in.
  const perByte = entry.size > 0 ? cost.load / entry.size : 0;
  const counter = new RowCounter({ onBytes: (n) => reportWork?.(n * perByte, entry.name) });
  const copy = client.query(copyFrom(copyFromSql(table)));
  if (digest) await pipeline(content, counter, new RowDigest(copyFormatOf(table), digest), copy, { signal });
  else await pipeline(content, counter, copy, { signal });
  const expected = part === null ? undefined : entry.parts?.[part]?.metadata.row_count;
  if (typeof expected === 'number' && copy.rowCount !== expected) {
    throw new BackupError(
      'integrity_error',
      `Table ${entry.name}: part ${part! + 1} of ${entry.parts!.length} loaded ${copy.rowCount} rows, the backup recorded ${expected}`,
      { details: { table: entry.name, part, rows: copy.rowCount, expected } },
    );
  }
  return { rows: copy.rowCount, bytes: counter.bytes };
}

/** @throws BackupError `integrity_error` when the rows loaded are not the backup's count. */
export function checkRowCount(planned: PlannedTable, rows: number): void {
  const expected = planned.table.row_count;
  if (typeof expected === 'number' && rows !== expected) {
    throw new BackupError(
      'integrity_error',
      `Table ${planned.entry.name}: loaded ${rows} rows, the backup recorded ${expected}`,
      { details: { table: planned.entry.name, rows, expected } },
    );
  }
}

/** A table's load failure as the restore reports it: its own code, the table named, secrets masked. */
export function tableError(connectionString: string, name: string, error: unknown): BackupError {
  const reason = mapPgError(error, connectionString, 'restore_failed', `Restoring table ${name} failed`);
  const code = isBackupError(error) ? error.code : reason.code;
  return new BackupError(
    code,
    reason.message.startsWith('Restoring table')
      ? reason.message
      : `Restoring table ${name} failed: ${reason.message}`,
    { details: { ...reason.details, table: name } },
  );
}
