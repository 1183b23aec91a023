import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the server answers every request (status, body, headers). */
export interface UpstreamAnswer {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

/**
 * A real HTTP server that answers every request with an error chosen by the test: stands in
 * for a storage endpoint (or whatever else answers at a URL a job names) that reflects an
 * internal page. `sentinel` is written all over each body so a test can tell whether any of
 * it came back.
 */
export class UpstreamErrorServer {
  readonly sentinel = `UPSTREAM_SENTINEL_${randomBytes(6).toString('hex')}`;
  #server: Server | undefined;
  #answer: UpstreamAnswer;
  /** Requests seen, as `METHOD path`. */
  readonly requests: string[] = [];

  constructor() {
    this.#answer = this.html(500);
  }

  /** A ~3 KB internal HTML page, the sentinel in its title, text and comments. */
  html(status: number): UpstreamAnswer {
    const filler = `<p>${this.sentinel} internal-admin-console db=10.0.0.12 user=ops</p>\n`.repeat(40);
    return {
      status,
      contentType: 'text/html',
      body: `<!DOCTYPE html>\n<html><head><title>${this.sentinel}</title></head><body>\n<!-- ${this.sentinel} -->\n${filler}</body></html>\n`,
    };
  }

  /** An S3/Azure-style XML error document whose `<Message>` (and `<Code>`) carry the sentinel. */
  xml(status: number, code: string): UpstreamAnswer {
    return {
      status,
      contentType: 'application/xml',
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${this.sentinel} ${'x'.repeat(2000)}</Message><Resource>${this.sentinel}</Resource></Error>`,
    };
  }

  /** A JSON API error whose messages carry the sentinel. */
  json(status: number, reason: string): UpstreamAnswer {
    return {
      status,
      contentType: 'application/json',
      body: JSON.stringify({
        error: {
          code: status,
          message: `${this.sentinel} ${'y'.repeat(2000)}`,
          errors: [{ reason, message: this.sentinel, domain: 'global' }],
        },
      }),
    };
  }

  answer(answer: UpstreamAnswer): void {
    this.#answer = answer;
  }

  get url(): string {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('UpstreamErrorServer.start() was not called');
    return `http://127.0.0.1:${address.port}`;
  }

  start = async (): Promise<void> => {
    this.#server = createServer((request, response) => {
      this.requests.push(`${request.method} ${request.url}`);
      request.resume();
      request.on('end', () => {
        const { status, contentType, body, headers } = this.#answer;
        response.writeHead(status, { 'content-type': contentType, ...headers });
        response.end(request.method === 'HEAD' ? undefined : body);
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
  };

  close = async (): Promise<void> => {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
