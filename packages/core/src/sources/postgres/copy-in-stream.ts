import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import type pg from 'pg';
import { giveBack } from '../../util/lent-buffers.js';

/** Frontend message codes. */
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]); // 'c', length 4

type Callback = (error?: Error | null) => void;

/** What this stream uses of `pg`'s Connection (its typings leave `sendCopyFail` out). */
interface CopyConnection {
  stream: Duplex;
  query(text: string): void;
  sendCopyFail(message: string): void;
}

/**
 * `COPY ... FROM STDIN` as a `pg` submittable (`client.query(copyFrom(sql))`), in place of
 * pg-copy-streams' `from`: each buffer written becomes one CopyData message, its header and
 * payload handed to the socket in one writev. Once the socket has taken a buffer's bytes, the
 * buffer is handed back if it was lent out of a pool (util/lent-buffers.ts: the decoded chunks
 * of a restore), so its memory is reused instead of a fresh buffer per chunk. So a transform
 * between the restore engine and this stream must not keep views of buffers it has passed on
 * (RowCounter keeps none).
 *
 * A write completes when the socket has taken its bytes, which paces the producer to the
 * server. `rowCount` comes from CommandComplete; 'finish' waits for ReadyForQuery, so the rows
 * are in once it fires. `destroy()` before the end sends CopyFail (the server rolls the COPY
 * back); a server error is emitted as 'error'.
 */
export class CopyInStream extends Writable {
  readonly text: string;
  /** Rows copied, from the server's CommandComplete. */
  rowCount = 0;
  #connection: CopyConnection | null = null;
  /** The server has answered CopyInResponse: data may be sent. */
  #copying = false;
  /** What waits for CopyInResponse (the first write, the end or a CopyFail). */
  #onCopying: (() => void) | null = null;
  #onReady: Callback | null = null;
  /** A destroy() waiting for the server to end the COPY. */
  #onFailed: (() => void) | null = null;
  #finished = false;

  constructor(text: string) {
    super();
    this.text = text;
  }

  /** Called by `pg` when the query's turn comes. */
  submit(connection: pg.Connection): void {
    this.#connection = connection as unknown as CopyConnection;
    this.#connection.query(this.text);
  }

  /** Defined so that `pg` can wrap it with its query_timeout handling. */
  callback(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    if (!this.#copying) {
      this.#onCopying = () => this.#send(chunk, callback);
      return;
    }
    this.#send(chunk, callback);
  }

  override _final(callback: Callback): void {
    const end = () => {
      this.#onReady = callback;
      this.#connection!.stream.write(COPY_DONE);
    };
    if (this.#copying) end();
    else this.#onCopying = end;
  }

  override _destroy(error: Error | null, callback: Callback): void {
    const connection = this.#connection;
    if (this.#finished || !connection) {
      callback(error);
      return;
    }
    // The server ends the COPY: with an ErrorResponse after CopyFail (rolled back), or, when
    // CopyDone went out already, as it would have anyway.
    this.#onFailed = () => callback(error);
    if (this.#onReady) return;
    const fail = () => connection.sendCopyFail(error?.message ?? 'COPY FROM STDIN was cancelled');
    if (this.#copying) fail();
    else this.#onCopying = fail;
  }

  #send(chunk: Buffer, callback: Callback): void {
    if (chunk.length === 0) {
      giveBack(chunk);
      callback();
      return;
    }
    const socket = this.#connection!.stream;
    const header = Buffer.allocUnsafe(5);
    header[0] = COPY_DATA;
    header.writeUInt32BE(chunk.length + 4, 1);
    socket.cork();
    socket.write(header);
    socket.write(chunk, (error?: Error | null) => {
      giveBack(chunk);
      callback(error);
    });
    socket.uncork();
  }

  /** `pg`: the server is ready for data. */
  handleCopyInResponse(): void {
    this.#copying = true;
    const next = this.#onCopying;
    this.#onCopying = null;
    if (next) next();
    else if (this.destroyed) {
      // Destroyed before `pg` submitted it: the server must not wait for data forever.
      this.#connection?.sendCopyFail('COPY FROM STDIN was cancelled');
    }
  }

  /** `pg`: CommandComplete ("COPY n"). */
  handleCommandComplete(message: { text?: string }): void {
    const match = /COPY (\d+)/.exec(message.text ?? '');
    if (match) this.rowCount = Number.parseInt(match[1]!, 10);
  }

  /** `pg`: the COPY is over and committed to the session (ReadyForQuery). */
  handleReadyForQuery(): void {
    this.#end(null);
  }

  /** `pg`: an ErrorResponse (or a socket error) ends the COPY. */
  handleError(error: Error): void {
    this.#end(error);
  }

  #end(error: Error | null): void {
    this.callback();
    this.#finished = true;
    this.#connection = null;
    const ready = this.#onReady;
    const failed = this.#onFailed;
    this.#onReady = null;
    this.#onFailed = null;
    if (failed) failed();
    else if (ready) ready(error);
    else if (error) this.destroy(error);
  }
}

/** A drop-in for pg-copy-streams' `from`. */
export function copyFrom(text: string): CopyInStream {
  return new CopyInStream(text);
}
