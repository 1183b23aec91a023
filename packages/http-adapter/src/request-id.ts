import { randomUUID } from 'node:crypto';
import type { HttpRequest } from './types.js';

/** What a caller's `X-Request-Id` may be to be logged as it is: a plain token, nothing that could forge a log line. */
const PLAIN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id for logs and the `X-Request-Id` answer: the caller's when plain, else a new one. */
export function requestIdOf(request: HttpRequest): string {
  const raw = request.headers['x-request-id'];
  const given = Array.isArray(raw) ? raw[0] : raw;
  return given !== undefined && PLAIN.test(given) ? given : randomUUID();
}
