import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BackupService } from '@backupkit/core';
import { createBackupHandler } from './handler.js';
import { serializeBody, splitUrl } from './shim-common.js';
import type { BackupHandlerOptions } from './types.js';

/** The subset of Express's request the router reads (structural: express is not a dependency). */
export interface ExpressLikeRequest extends IncomingMessage {
  /** Mount path (`/backup`); `url` is relative to it. */
  baseUrl?: string;
  /** Set by a JSON body parser that ran before this router. */
  body?: unknown;
}

export type ExpressLikeMiddleware = (
  req: ExpressLikeRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * The backup API as Express middleware: `app.use('/backup', backupRouter(service, opts))`.
 * Reads the body itself (no `express.json()` needed; if one ran first its result is used).
 * @throws BackupError `invalid_request` without `authenticate`, or for invalid limits (see `createBackupHandler`).
 */
export function backupRouter(
  service: BackupService,
  options: Omit<BackupHandlerOptions, 'service'>,
): ExpressLikeMiddleware {
  const handle = createBackupHandler({ ...options, service });
  return (req, res, next) => {
    const { path, query } = splitUrl(req.url ?? '/');
    // A body parser that ran first consumed the stream (body-parser 1 also sets `_body`):
    // then only its parsed value is left.
    const parsed =
      (req as { _body?: boolean })._body === true || req.readableEnded || (req.complete && !req.readable);
    handle({
      method: req.method ?? 'GET',
      path,
      query,
      headers: req.headers,
      basePath: req.baseUrl || undefined,
      ...(parsed ? { body: req.body } : { rawBody: req }),
    })
      .then((response) => {
        res.statusCode = response.status;
        for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
        res.end(serializeBody(response));
      })
      .catch(next);
  };
}

export { createBackupHandler } from './handler.js';
export type { BackupHandlerOptions } from './types.js';
