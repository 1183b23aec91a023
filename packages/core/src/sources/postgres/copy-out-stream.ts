import { type Duplex, Readable } from 'node:stream';
import type pg from 'pg';

/** PostgreSQL backend message codes this stream looks at. */
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const COPY_OUT_RESPONSE = 0x48; // 'H'
const ERROR_RESPONSE = 0x45; // 'E'
const NOTICE_RESPONSE = 0x4e; // 'N'
const PARAMETER_STATUS = 0x53; // 'S'
const NOTIFICATION_RESPONSE = 0x41; // 'A'

/**
 * Socket reads are mostly 8 KiB (the server's writes); pieces smaller than MIN_PIECE are gathered
 * into buffers of GATHER_BYTES, pushed when full, to amortise per-piece stream costs. Filling each
 * buffer before pushing it keeps the extra allocation at one byte per byte gathered.
 */
const MIN_PIECE = 64 * 1024;
const GATHER_BYTES = 256 * 1024;

type DataHandler = (chunk: Buffer) => void;

/**
 * `COPY ... TO STDOUT` as a `pg` submittable (`client.query(new CopyOutStream(sql))`), yielding
 * the COPY payload in large pieces. While the COPY runs it takes the socket over from `pg` and
 * strips the CopyData framing in place (each socket read is a buffer of its own): one memmove
 * per row instead of a Buffer object per row, as pg-copy-streams makes. At CopyDone (or an
 * ErrorResponse) it hands the socket and the unread bytes back to `pg`, which then reports the
 * command's row count (`rowCount`) or the error (emitted as 'error').
 */
export class CopyOutStream extends Readable {
  readonly text: string;
  /** Rows copied, from the server's CommandComplete (set once `pg` has processed it). */
  rowCount = 0;
  #socket: Duplex | null = null;
  #pgHandler: DataHandler | null = null;
  readonly #onData: DataHandler = (chunk) => this.#parse(chunk);
  /** Current message: code and payload bytes still to come (-1: reading a header). */
  #code = 0;
  #remaining = -1;
  /** A message header split across socket reads. */
  readonly #header = Buffer.alloc(5);
  #headerHave = 0;
  /** Small pieces gathered before a push. */
  #gather: Buffer | null = null;
  #gathered = 0;
  #done = false;
  #paused = false;

  constructor(text: string) {
    super({ highWaterMark: 1024 * 1024 });
    this.text = text;
  }

  /** Called by `pg` when the query's turn comes. */
  submit(connection: pg.Connection): void {
    const socket: Duplex = connection.stream;
    const handlers = socket.listeners('data') as DataHandler[];
    if (handlers.length !== 1) {
      this.destroy(new Error('Unexpected socket listeners on the PostgreSQL connection'));
      return;
    }
    this.#pgHandler = handlers[0]!;
    this.#socket = socket;
    socket.removeListener('data', this.#pgHandler);
    socket.on('data', this.#onData);
    connection.query(this.text);
  }

  override _read(): void {
    if (this.#paused && this.#socket && !this.#done) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  #parse(chunk: Buffer): void {
    const length = chunk.length;
    let read = 0;
    let write = 0;
    while (read < length) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, length - read);
        if (this.#code === COPY_DATA) {
          if (write !== read) chunk.copyWithin(write, read, read + n);
          write += n;
        }
        read += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#remaining = -1;
        continue;
      }
      // A header: code (1) + length (4, counting itself).
      const start = read;
      let code: number;
      let size: number;
      if (this.#headerHave === 0 && length - read >= 5) {
        code = chunk[read]!;
        size = chunk.readUInt32BE(read + 1);
        read += 5;
      } else {
        const n = Math.min(5 - this.#headerHave, length - read);
        chunk.copy(this.#header, this.#headerHave, read, read + n);
        this.#headerHave += n;
        read += n;
        if (this.#headerHave < 5) break;
        code = this.#header[0]!;
        size = this.#header.readUInt32BE(1);
      }
      const headerPart = this.#headerHave;
      this.#headerHave = 0;
      if (code === COPY_DATA || code === COPY_OUT_RESPONSE || code === NOTICE_RESPONSE) {
        this.#code = code;
        this.#remaining = size - 4 > 0 ? size - 4 : -1;
      } else if (code === PARAMETER_STATUS || code === NOTIFICATION_RESPONSE) {
        this.#code = code;
        this.#remaining = size - 4 > 0 ? size - 4 : -1;
      } else if (code === COPY_DONE) {
        this.#emit(chunk, write);
        this.#finish(chunk.subarray(read));
        return;
      } else {
        // An error (or anything unexpected) goes back to pg whole, header included, so that
        // pg fails the query with it.
        this.#emit(chunk, write);
        const rest =
          headerPart > 0
            ? Buffer.concat([this.#header.subarray(0, headerPart), chunk.subarray(read)])
            : chunk.subarray(start);
        if (code !== ERROR_RESPONSE) this.destroy(new Error(`Unexpected message ${code} during COPY`));
        this.#finish(rest, false);
        return;
      }
    }
    this.#emit(chunk, write);
  }

  /** Pushes `chunk[0, n)` (the payload compacted to the front), gathering small pieces. */
  #emit(chunk: Buffer, n: number): void {
    if (n === 0) return;
    if (n >= MIN_PIECE && this.#gathered === 0) {
      this.#push(chunk.subarray(0, n));
      return;
    }
    if (this.#gather === null || this.#gathered + n > this.#gather.length) {
      this.#flushGathered();
      if (n >= MIN_PIECE) {
        this.#push(chunk.subarray(0, n));
        return;
      }
      this.#gather = Buffer.allocUnsafe(GATHER_BYTES);
    }
    chunk.copy(this.#gather!, this.#gathered, 0, n);
    this.#gathered += n;
  }

  #flushGathered(): void {
    if (this.#gathered === 0 || !this.#gather) return;
    const piece = this.#gather.subarray(0, this.#gathered);
    this.#gather = null;
    this.#gathered = 0;
    this.#push(piece);
  }

  #push(piece: Buffer): void {
    if (!this.push(piece) && !this.#paused && this.#socket) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  /** Gives the socket back to pg with the bytes that follow the COPY data. */
  #finish(rest: Buffer, ok = true): void {
    this.#flushGathered();
    this.#done = true;
    const socket = this.#socket!;
    const handler = this.#pgHandler!;
    socket.removeListener('data', this.#onData);
    socket.on('data', handler);
    if (rest.length > 0) handler(rest);
    if (ok) this.push(null);
    // Resume on the next tick, after pg's handler (which may pause the socket itself) has run.
    process.nextTick(() => socket.resume());
    this.#paused = false;
  }

  /** pg: the query failed (after we handed the ErrorResponse back). */
  handleError(error: Error): void {
    this.destroy(error);
  }

  /** pg: CommandComplete (`COPY n`). */
  handleCommandComplete(message: { text?: string }): void {
    const match = /COPY (\d+)/.exec(message?.text ?? '');
    if (match) this.rowCount = Number.parseInt(match[1]!, 10);
  }

  handleReadyForQuery(): void {}
}
