import net from 'node:net';
import type { Duplex } from 'node:stream';

/** Whoever takes a socket's reads over: where each read lands and what becomes of the bytes. */
export interface ReadTakeover {
  /** The buffer the next read fills (a read stops at its end). */
  nextBuffer(): Buffer;
  /**
   * `buffer[0, length)` arrived, `buffer` being the last one `nextBuffer` gave (or, for the
   * first read after the takeover, the socket's own). Return false to stop reading until
   * `socket.resume()`.
   */
  onRead(buffer: Buffer, length: number): boolean;
}

/** What a COPY holds while it has a socket's reads. */
export interface ReadTakeoverHandle {
  take(takeover: ReadTakeover): void;
  giveBack(rest: Uint8Array): void;
}

/** Reads outside a takeover (pg's own traffic): small, so one modest buffer, reused. */
const IDLE_READ_BYTES = 64 * 1024;

/** Node takes `onread` in the Socket constructor too; the type library declares it for connect() only. */
type OnReadSocketOptions = net.SocketConstructorOpts & { onread: net.OnReadOpts };

const sockets = new WeakMap<Duplex, ReadTakeoverSocket>();

/**
 * A socket for `pg` whose reads go into buffers it chooses (Node's `onread` option) instead
 * of one freshly allocated buffer per read. Normally it hands `pg` (which listens to 'data')
 * a copy of each read; during a takeover (a COPY ... TO STDOUT) the reads go to the taker,
 * into buffers of its choosing, so the COPY payload is read straight into its output.
 */
class ReadTakeoverSocket implements ReadTakeoverHandle {
  readonly socket: net.Socket;
  readonly #idle = Buffer.allocUnsafeSlow(IDLE_READ_BYTES);
  #takeover: ReadTakeover | null = null;

  constructor() {
    const options: OnReadSocketOptions = {
      onread: {
        buffer: () => (this.#takeover ? this.#takeover.nextBuffer() : this.#idle),
        callback: (length, buffer) => this.#onRead(length, buffer as Buffer),
      },
    };
    this.socket = new net.Socket(options);
    sockets.set(this.socket, this);
  }

  take(takeover: ReadTakeover): void {
    this.#takeover = takeover;
  }

  giveBack(rest: Uint8Array): void {
    this.#takeover = null;
    if (rest.length > 0) this.#deliver(rest);
  }

  #onRead(length: number, buffer: Buffer): boolean {
    if (this.#takeover) return this.#takeover.onRead(buffer, length);
    this.#deliver(buffer.subarray(0, length));
    return true;
  }

  /** pg's parser keeps a partial message's buffer until the next read: it gets a copy of its own. */
  #deliver(bytes: Uint8Array): void {
    this.socket.emit('data', Buffer.from(bytes));
  }
}

/** A plain TCP (or Unix) socket for `pg`'s `stream` option whose reads can be taken over. */
export function createReadTakeoverSocket(): net.Socket {
  return new ReadTakeoverSocket().socket;
}

/** The takeover handle of a socket made by {@link createReadTakeoverSocket}; null for any other. */
export function readTakeoverOf(socket: Duplex): ReadTakeoverHandle | null {
  return sockets.get(socket) ?? null;
}
