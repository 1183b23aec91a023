import { type Duplex, Readable } from 'node:stream';
import type pg from 'pg';
import { lend } from '../../util/lent-buffers.js';
import { type ReadTakeover, type ReadTakeoverHandle, readTakeoverOf } from './read-takeover-socket.js';

/** PostgreSQL backend message codes this stream looks at. */
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const COPY_OUT_RESPONSE = 0x48; // 'H'
const ERROR_RESPONSE = 0x45; // 'E'
const NOTICE_RESPONSE = 0x4e; // 'N'
const PARAMETER_STATUS = 0x53; // 'S'
const NOTIFICATION_RESPONSE = 0x41; // 'A'

/**
 * The payload is gathered into buffers of GATHER_BYTES, each pushed once less than MIN_READ
 * is left in it. With a read-takeover socket the socket reads straight into the free end of
 * the gather buffer and the framing is stripped there, so the payload is never copied in
 * user space; otherwise reads of at least MIN_READ go out as they are and smaller ones are
 * copied in. Pieces are lent out (util/lent-buffers): a consumer that hands a piece back once
 * done with its bytes (the backup engine's chunker, which copies them at once) lets the stream
 * gather into the same buffer again. Fresh buffers per piece were measured in a long-lived
 * server: dead pieces waiting for the collector (up to V8's ~64 MiB of external memory) were
 * 40-70 MiB of a backup's resident memory, and glibc kept much of it after they were freed.
 */
const GATHER_BYTES = 256 * 1024;
const MIN_READ = 64 * 1024;
/** Handed-back gather buffers kept for reuse: a few cover a consumer that keeps up. */
const SPARE_GATHERS = 4;

type DataHandler = (chunk: Buffer) => void;

/**
 * `COPY ... TO STDOUT` as a `pg` submittable (`client.query(new CopyOutStream(sql))`), yielding
 * the COPY payload in large pieces. While the COPY runs it takes the socket's reads over from
 * `pg` and strips the CopyData framing in place: one memmove per row instead of a Buffer
 * object per row, as pg-copy-streams makes. At CopyDone (or an ErrorResponse) it hands the
 * socket and the unread bytes back to `pg`, which then reports the command's row count
 * (`rowCount`) or the error (emitted as 'error').
 *
 * On a socket from `createReadTakeoverSocket` the reads land in the stream's own gather
 * buffers; on any other (TLS) it swaps itself in for pg's 'data' listener.
 */
export class CopyOutStream extends Readable implements ReadTakeover {
  readonly text: string;
  /** Rows copied, from the server's CommandComplete (set once `pg` has processed it). */
  rowCount = 0;
  #socket: Duplex | null = null;
  #takeover: ReadTakeoverHandle | null = null;
  #pgHandler: DataHandler | null = null;
  readonly #onData: DataHandler = (chunk) => this.#onChunk(chunk);
  /** Payload bytes of the current message still to come (0: a header is next), and whether it is COPY data. */
  #remaining = 0;
  #keep = false;
  /** A message header split across socket reads. */
  readonly #header = Buffer.alloc(5);
  #headerHave = 0;
  /** Payload gathered, `#gather[0, #gathered)`. */
  #gather: Buffer | null = null;
  #gathered = 0;
  /** Gather buffers handed back by the consumer. */
  readonly #spare: Buffer[] = [];
  /** Set by #parse at CopyDone or an error: the bytes that are pg's again. */
  #handBack: Buffer | null = null;
  #failed = false;
  #done = false;
  #paused = false;

  constructor(text: string) {
    super({ highWaterMark: GATHER_BYTES });
    this.text = text;
  }

  /** Called by `pg` when the query's turn comes. */
  submit(connection: pg.Connection): void {
    const socket: Duplex = connection.stream;
    this.#socket = socket;
    this.#takeover = readTakeoverOf(socket);
    if (this.#takeover) {
      this.#takeover.take(this);
    } else {
      const handlers = socket.listeners('data') as DataHandler[];
      if (handlers.length !== 1) {
        this.destroy(new Error('Unexpected socket listeners on the PostgreSQL connection'));
        return;
      }
      this.#pgHandler = handlers[0]!;
      socket.removeListener('data', this.#pgHandler);
      socket.on('data', this.#onData);
    }
    connection.query(this.text);
  }

  override _read(): void {
    if (this.#paused && this.#socket && !this.#done) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  /** ReadTakeover: the next read goes to the free end of the gather buffer. */
  nextBuffer(): Buffer {
    if (this.#gather === null) {
      this.#gather = this.#spare.pop() ?? Buffer.allocUnsafeSlow(GATHER_BYTES);
      this.#gathered = 0;
    }
    return this.#gather.subarray(this.#gathered);
  }

  /** ReadTakeover: bytes read into `buffer` (the gather buffer's end, or the socket's own). */
  onRead(buffer: Buffer, length: number): boolean {
    const n = this.#parse(buffer, length);
    const gather = this.#gather;
    if (
      gather !== null &&
      buffer.buffer === gather.buffer &&
      buffer.byteOffset === gather.byteOffset + this.#gathered
    ) {
      this.#gathered += n;
      if (gather.length - this.#gathered < MIN_READ) this.#flushGathered();
    } else {
      this.#copyIn(buffer, n);
    }
    if (this.#handBack !== null) this.#finish();
    return !this.#paused;
  }

  /** A 'data' event (a buffer of its own) on a socket that is not a read-takeover one. */
  #onChunk(chunk: Buffer): void {
    const n = this.#parse(chunk, chunk.length);
    if (n >= MIN_READ) {
      this.#flushGathered();
      this.#push(chunk.subarray(0, n));
    } else {
      this.#copyIn(chunk, n);
    }
    if (this.#handBack !== null) this.#finish();
  }

  /**
   * Strips the framing from `chunk[0, length)`: the CopyData payload ends up compacted at its
   * front (the count is returned). At CopyDone or an error, sets #handBack and stops.
   * The message state lives in locals while the loop runs: this runs once per row.
   */
  #parse(chunk: Buffer, length: number): number {
    let read = 0;
    let write = 0;
    let remaining = this.#remaining;
    let keep = this.#keep;
    for (;;) {
      if (remaining > 0) {
        const n = Math.min(remaining, length - read);
        if (keep) {
          if (write !== read) chunk.copyWithin(write, read, read + n);
          write += n;
        }
        read += n;
        remaining -= n;
        if (remaining > 0) break;
      }
      if (read === length) break;
      // A header: code (1) + length (4, counting itself).
      const start = read;
      let code: number;
      let size: number;
      if (this.#headerHave === 0 && length - read >= 5) {
        code = chunk[read]!;
        size =
          ((chunk[read + 1]! << 24) |
            (chunk[read + 2]! << 16) |
            (chunk[read + 3]! << 8) |
            chunk[read + 4]!) >>>
          0;
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
      if (code === COPY_DATA) {
        keep = true;
        remaining = size - 4;
      } else if (
        code === COPY_OUT_RESPONSE ||
        code === NOTICE_RESPONSE ||
        code === PARAMETER_STATUS ||
        code === NOTIFICATION_RESPONSE
      ) {
        keep = false;
        remaining = size - 4;
      } else if (code === COPY_DONE) {
        this.#handBack = chunk.subarray(read, length);
        return write;
      } else {
        // An error (or anything unexpected) goes back to pg whole, header included, so that
        // pg fails the query with it.
        const tail = chunk.subarray(headerPart > 0 ? read : start, length);
        this.#handBack = Buffer.concat([this.#header.subarray(0, headerPart), tail]);
        if (code !== ERROR_RESPONSE) this.destroy(new Error(`Unexpected message ${code} during COPY`));
        this.#failed = true;
        return write;
      }
    }
    this.#remaining = remaining;
    this.#keep = keep;
    return write;
  }

  /** Copies `chunk[0, n)` to the end of the gather buffer (pushing it first if it is too full). */
  #copyIn(chunk: Buffer, n: number): void {
    if (n === 0) return;
    if (this.#gather !== null && this.#gathered + n > this.#gather.length) this.#flushGathered();
    const gather = this.nextBuffer();
    chunk.copy(gather, 0, 0, n);
    this.#gathered += n;
  }

  #flushGathered(): void {
    const gather = this.#gather;
    this.#gather = null;
    if (gather === null || this.#gathered === 0) return;
    const piece = gather.subarray(0, this.#gathered);
    this.#gathered = 0;
    lend(piece, () => {
      if (this.#spare.length < SPARE_GATHERS) this.#spare.push(gather);
    });
    this.#push(piece);
  }

  #push(piece: Buffer): void {
    if (!this.push(piece) && !this.#paused && this.#socket) {
      this.#paused = true;
      // A takeover stops reading when onRead returns false; a plain socket is paused.
      if (!this.#takeover) this.#socket.pause();
    }
  }

  /** Gives the socket back to pg with the bytes that follow the COPY data. */
  #finish(): void {
    this.#flushGathered();
    this.#done = true;
    this.#paused = false;
    const rest = this.#handBack!;
    this.#handBack = null;
    const socket = this.#socket!;
    if (this.#takeover) {
      this.#takeover.giveBack(rest);
    } else {
      const handler = this.#pgHandler!;
      socket.removeListener('data', this.#onData);
      socket.on('data', handler);
      if (rest.length > 0) handler(rest);
      // Resume on the next tick, after pg's handler (which may pause the socket itself) has run.
      process.nextTick(() => socket.resume());
    }
    if (!this.#failed) this.push(null);
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
