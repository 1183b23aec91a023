import type { AddressInfo } from 'node:net';
import type { BackupHandlerOptions } from '@backupkit/http-adapter';
import { backupRouter } from '@backupkit/http-adapter/express';
import { backupFrameworkErrors, backupPlugin } from '@backupkit/http-adapter/fastify';
import express from 'express';
import Fastify from 'fastify';

export interface ApiServer {
  framework: 'express' | 'fastify';
  /** Base URL including the mount prefix, e.g. `http://127.0.0.1:1234/backup`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export type StartServer = (options: BackupHandlerOptions) => Promise<ApiServer>;

/** A real Express 5 app on port 0 with the router mounted at /backup. */
export const startExpress: StartServer = async (options) => {
  const app = express();
  const { service, ...rest } = options;
  app.use('/backup', backupRouter(service, rest));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    framework: 'express',
    url: `http://127.0.0.1:${port}/backup`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** A real Fastify 5 app on port 0 with the plugin registered under /backup. */
export const startFastify: StartServer = async (options) => {
  const app = Fastify({ logger: false, frameworkErrors: backupFrameworkErrors });
  await app.register(backupPlugin, { ...options, prefix: '/backup' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    framework: 'fastify',
    url: `http://127.0.0.1:${port}/backup`,
    port,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
};

export const FRAMEWORKS: ReadonlyArray<[string, StartServer]> = [
  ['express', startExpress],
  ['fastify', startFastify],
];

export interface ApiReply {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** One JSON request; `token` goes into `Authorization: Bearer`. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: {
    token?: string;
    body?: unknown;
    rawBody?: string | Buffer;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiReply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}
