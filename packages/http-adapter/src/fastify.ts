import type { BackupService } from '@backupkit/core';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createBackupHandler } from './handler.js';
import { serializeBody, splitUrl } from './shim-common.js';
import type { BackupHandlerOptions } from './types.js';

export interface BackupPluginOptions extends Omit<BackupHandlerOptions, 'service'> {
  service: BackupService;
  prefix?: string;
}

/**
 * The backup API as a Fastify plugin: `app.register(backupPlugin, { service, catalog,
 * authenticate, prefix: '/backup' })`. Inside its (encapsulated) prefix it replaces
 * Fastify's body parsers so the neutral handler reads and limits bodies exactly as under
 * Express, and answers every error in the documented shape.
 * @throws BackupError `invalid_request` without `authenticate`, or for invalid limits (see `createBackupHandler`).
 */
export const backupPlugin: FastifyPluginAsync<BackupPluginOptions> = async (fastify, options) => {
  const { prefix: _prefix, ...handlerOptions } = options;
  const handle = createBackupHandler(handlerOptions);
  const basePath = fastify.prefix;

  fastify.removeAllContentTypeParsers();
  // Hand the untouched stream to the neutral handler (it applies the size limit itself).
  fastify.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  fastify.setErrorHandler((error, _request, reply) => {
    const raw = (error as { statusCode?: unknown } | null)?.statusCode;
    const status = typeof raw === 'number' && raw < 500 ? raw : 500;
    const code = status === 413 ? 'payload_too_large' : status < 500 ? 'invalid_request' : 'internal_error';
    reply
      .code(status === 413 ? 413 : status < 500 ? 400 : 500)
      .header('content-type', 'application/json; charset=utf-8')
      .send(
        JSON.stringify({
          error: code,
          message: status < 500 ? 'Invalid request' : 'Internal server error',
          details: {},
        }),
      );
  });

  fastify.route({
    method: ['GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'HEAD', 'OPTIONS'],
    url: '/*',
    handler: async (request, reply) => {
      const url = request.raw.url ?? '/';
      const relative = url.startsWith(basePath) ? url.slice(basePath.length) : url;
      const { path, query } = splitUrl(
        relative.startsWith('/') || relative === '' ? relative : `/${relative}`,
      );
      const stream = request.body ?? request.raw;
      const response = await handle({
        method: request.method,
        path,
        query,
        headers: request.raw.headers,
        basePath,
        rawBody: stream as NodeJS.ReadableStream as import('node:stream').Readable,
      });
      reply.code(response.status).headers(response.headers);
      return reply.send(serializeBody(response));
    },
  });
};

/**
 * Fastify answers URLs it cannot decode (`/backup/jobs/%E0%A4%A`) before any plugin runs.
 * Pass this as the app's `frameworkErrors` option to answer them in the documented shape
 * too: `Fastify({ frameworkErrors: backupFrameworkErrors })`.
 */
export function backupFrameworkErrors(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = error.statusCode === 414 ? 414 : 400;
  reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify({ error: 'invalid_request', message: 'Malformed URL', details: {} }));
}

export { createBackupHandler } from './handler.js';
export type { BackupHandlerOptions } from './types.js';
