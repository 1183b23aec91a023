import type { Readable } from 'node:stream';
import { BackupError } from '@backupkit/core';
import { checkJsonTextDepth, checkJsonValueDepth, DEFAULT_MAX_JSON_DEPTH } from './json-depth.js';
import type { HttpRequest } from './types.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

function tooLarge(limit: number): BackupError {
  return new BackupError('payload_too_large', `Request body is larger than ${limit} bytes`, {
    details: { limit },
  });
}

function headerOf(request: HttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads a request stream, keeping at most `limit` bytes. Over the limit it stops keeping
 * data but lets the stream flow on (discarded), so the server can still send its 413 on
 * the same connection instead of the socket being destroyed mid-upload.
 */
function readStream(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > limit) {
        cleanup();
        stream.on('error', () => {});
        stream.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(buffer);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new BackupError('invalid_request', 'The request body could not be read', { cause: error }));
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    if (stream.readableEnded) onEnd();
  });
}

function isJsonType(contentType: string): boolean {
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  return mime === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mime);
}

/**
 * The request's JSON body, or undefined when it has none.
 * @throws BackupError `payload_too_large` over `limit`; `invalid_request` for a wrong
 *   content type, text that is not JSON, or a body nesting deeper than `maxDepth` (checked
 *   on the text before it is parsed, or on the value a host parser already produced).
 */
export async function readJsonBody(
  request: HttpRequest,
  limit: number,
  maxDepth: number = DEFAULT_MAX_JSON_DEPTH,
): Promise<unknown> {
  const declared = Number(headerOf(request, 'content-length') ?? Number.NaN);
  const raw = request.rawBody;
  if (Number.isFinite(declared) && declared > limit) {
    if (raw !== undefined && typeof raw === 'object' && 'resume' in raw) {
      raw.on('error', () => {});
      raw.resume();
    }
    throw tooLarge(limit);
  }
  let bytes: Buffer | undefined;
  if (raw === undefined) {
    if (request.body === undefined) return undefined;
    // A host parser already produced a value; only plain JSON values are accepted.
    if (Buffer.isBuffer(request.body) || typeof request.body === 'string') bytes = Buffer.from(request.body);
    else {
      checkJsonValueDepth(request.body, maxDepth);
      return request.body;
    }
  } else if (typeof raw === 'string' || raw instanceof Uint8Array) {
    bytes = Buffer.from(raw);
    if (bytes.length > limit) throw tooLarge(limit);
  } else {
    bytes = await readStream(raw, limit);
  }
  if (bytes.length === 0) return undefined;
  const contentType = headerOf(request, 'content-type');
  if (contentType === undefined || !isJsonType(contentType)) {
    throw new BackupError('invalid_request', 'Request bodies must be JSON (Content-Type: application/json)', {
      details: { content_type: contentType?.slice(0, 100) ?? null },
    });
  }
  const text = bytes.toString('utf8');
  checkJsonTextDepth(text, maxDepth);
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the input, which may hold a secret: say only where.
    throw new BackupError('invalid_request', 'Request body is not valid JSON', {
      details: { body: 'malformed' },
    });
  }
}
