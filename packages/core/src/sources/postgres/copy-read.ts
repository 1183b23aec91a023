import type { Readable } from 'node:stream';
import { BackupError } from '../../errors.js';
import { mapPgError } from './connection.js';
import { CopyOutStream } from './copy-out-stream.js';
import { RowCounter } from './row-counter.js';
import type { SnapshotPool } from './snapshot-pool.js';

export interface CopyReadOptions {
  connectionString: string;
  /** Named in errors: the table, or the table and its page range. */
  what: string;
  signal: AbortSignal;
  /** The rows the server reports for the COPY, once it has ended. */
  onRowCount: (rows: number) => void;
}

/**
 * Runs one `COPY ... TO STDOUT` on a connection of the snapshot pool and streams its bytes; the
 * connection goes back to the pool once the server has reported the row count, or is dropped
 * when the read fails or stops early.
 */
export async function openCopyRead(
  pool: SnapshotPool,
  sql: string,
  options: CopyReadOptions,
): Promise<Readable> {
  const { connectionString: cs, what, signal } = options;
  signal.throwIfAborted();
  const client = await pool.acquire();
  const copy = client.query(new CopyOutStream(sql));
  let finished = false;
  let released = false;
  const giveBack = (ok: boolean): void => {
    if (released) return;
    released = true;
    if (ok) pool.release(client);
    else pool.discard(client);
  };
  const counter = new RowCounter({
    // The row count comes from the server's CommandComplete; a query queued behind the
    // COPY resolves only once that has been processed (and keeps the client ours till then).
    beforeEnd: async () => {
      try {
        await client.query('SELECT 1');
      } catch (error) {
        throw mapPgError(error, cs, 'source_unreachable', `Reading ${what} failed`);
      }
      options.onRowCount(copy.rowCount);
      finished = true;
      giveBack(true);
    },
  });
  const onAbort = (): void => {
    counter.destroy(new BackupError('aborted', 'The backup was cancelled'));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  copy.once('error', (error) => {
    giveBack(false);
    counter.destroy(mapPgError(error, cs, 'source_unreachable', `Reading ${what} failed`));
  });
  counter.once('close', () => {
    signal.removeEventListener('abort', onAbort);
    if (!finished) {
      copy.destroy();
      giveBack(false);
    }
  });
  copy.pipe(counter);
  return counter;
}
