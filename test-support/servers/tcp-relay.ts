import net from 'node:net';
import { freePort } from './free-port.js';

/** Something a test can take away mid-operation and bring back on the same port. */
export interface Interruptible {
  /** Drops every connection at once and refuses new ones, as a dead server would. */
  kill(): Promise<void>;
  /** Accepts connections again on the same port. */
  restart(): Promise<void>;
}

/**
 * A TCP relay on 127.0.0.1 in front of a server: clients connect to the relay's port. Killing
 * the relay resets every connection and refuses new ones — to the client, exactly a server
 * that died — while the server behind it keeps its state, so a test can check afterwards what
 * an interrupted upload left behind (fauxqs and the GCS emulator keep objects only in memory
 * and would forget everything if their process were killed instead).
 */
export class TcpRelay implements Interruptible {
  readonly #targetPort: number;
  readonly #port: number;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;

  private constructor(port: number, targetPort: number) {
    this.#port = port;
    this.#targetPort = targetPort;
  }

  static async start(targetPort: number): Promise<TcpRelay> {
    const relay = new TcpRelay(await freePort(), targetPort);
    await relay.restart();
    return relay;
  }

  get port(): number {
    return this.#port;
  }

  async restart(): Promise<void> {
    if (this.#server) return;
    const server = net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: this.#targetPort });
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
  }

  async kill(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
