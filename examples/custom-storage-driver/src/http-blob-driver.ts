import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  BackupError,
  type DriverCallOptions,
  driverCallError,
  type GetOptions,
  guardReadStream,
  httpRangeHeader,
  ignoreNotFound,
  isBackupError,
  isTransientNetworkError,
  notFoundError,
  nullIfNotFound,
  type ObjectInfo,
  ObjectKeyPrefix,
  objectInfo,
  type PutOptions,
  readEmptyRange,
  type StorageCapabilities,
  type StorageDriver,
} from '@backupkit/core';

export interface HttpBlobDriverOptions {
  /** The store's base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Key prefix inside the store (the destination's `path`). */
  path?: string;
}

/**
 * 1. Map every failure to a BackupError code: callers (and retries) switch on codes, never
 * messages. Aborts need no case here: `driverCallError` (see `#error`) answers `aborted` once
 * the call's signal fired, whatever the client made of it.
 */
function toStoreError(error: unknown, operation: string, key: string, status?: number): BackupError {
  // By brand, not instanceof: this driver's copy of core may differ from the caller's.
  if (isBackupError(error)) return error;
  const details = { key, operation, ...(status ? { status } : {}) };
  const reason = error instanceof Error ? error.message : String(error);
  if (status === 404) return notFoundError(operation, key);
  if (status === 401 || status === 403)
    return new BackupError('access_denied', `${operation} of ${key} was refused`, { details });
  if (status === 429)
    return new BackupError('throttled', `${operation} of ${key} was throttled`, { details });
  if ((status !== undefined && status >= 500) || isTransientNetworkError(error)) {
    return new BackupError('unavailable', `${operation} of ${key} failed: ${reason}`, {
      cause: error,
      details,
    });
  }
  return new BackupError('storage_error', `${operation} of ${key} failed: ${reason}`, {
    cause: error,
    details,
  });
}

/**
 * A `StorageDriver` for the example HTTP blob store (see blob-server.ts), written only against
 * `@backupkit/core`'s public interface. The store writes temp + rename, so puts are atomic;
 * it honours ranges; it keeps no checksums — the capabilities say exactly that.
 */
export class HttpBlobStorageDriver implements StorageDriver {
  readonly type = 'http-blob';
  readonly capabilities: StorageCapabilities = { rangeReads: true, atomicPut: true, storeChecksums: false };
  readonly #base: string;
  /** 2. Validate keys and apply the destination's path prefix the way every driver does. */
  readonly #keys: ObjectKeyPrefix;

  constructor(options: HttpBlobDriverOptions) {
    this.#base = options.url.replace(/\/+$/, '');
    this.#keys = new ObjectKeyPrefix(options.path);
  }

  describe(key: string): string {
    return `${this.#base}/o/${this.#keys.toName(key)}`;
  }

  #url(key: string): string {
    return `${this.#base}/o/${encodeURIComponent(this.#keys.toName(key))}`;
  }

  /** Every catch block ends here: `aborted` once `signal` fired, else the store's failure mapped. */
  #error(error: unknown, operation: string, key: string, signal: AbortSignal | undefined): BackupError {
    return driverCallError(error, operation, key, signal, (cause) => toStoreError(cause, operation, key));
  }

  /**
   * 3. Stream the body with backpressure: never collect it in memory. node:http and pipeline,
   * not fetch: a web-stream request body (`Readable.toWeb`) copies every piece, and a 200 MiB
   * put grew this process by about as much again before the garbage was collected.
   */
  async put(key: string, body: Readable | Uint8Array, options: PutOptions = {}): Promise<void> {
    const length = body instanceof Uint8Array ? body.length : options.contentLength;
    try {
      const url = this.#url(key);
      const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, {
        method: 'PUT',
        headers: length === undefined ? {} : { 'content-length': String(length) },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const responded = once(request, 'response') as Promise<[IncomingMessage]>;
      responded.catch(() => {}); // an error is the pipeline's to report
      await pipeline(body instanceof Uint8Array ? Readable.from([body]) : body, request);
      const [response] = await responded;
      const text = await readText(response);
      if (response.statusCode !== 201) throw toStoreError(new Error(text), 'put', key, response.statusCode);
    } catch (error) {
      if (body instanceof Readable) body.destroy();
      throw this.#error(error, 'put', key, options.signal);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const url = this.#url(key);
    const { range, signal } = options;
    // No HTTP range names zero bytes: core answers from `head` (empty, or not_found).
    if (range?.length === 0) return readEmptyRange(this, key, options);
    let response: Response;
    try {
      response = await fetch(url, { headers: range ? { range: httpRangeHeader(range) } : {}, signal });
    } catch (error) {
      throw this.#error(error, 'get', key, signal);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw toStoreError(new Error(response.statusText), 'get', key, response.status);
    }
    // 4. Errors while the caller reads the body are BackupErrors too, and the signal still stops it.
    return guardReadStream(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), {
      signal,
      mapError: (error) => this.#error(error, 'get', key, signal),
    });
  }

  async head(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    try {
      const response = await fetch(this.#url(key), { method: 'HEAD', signal: options.signal });
      if (!response.ok) throw toStoreError(new Error(response.statusText), 'head', key, response.status);
      const { headers } = response;
      return objectInfo(key, { size: headers.get('content-length'), lastModified: headers.get('x-mtime') });
    } catch (error) {
      // A missing object is no failure of head: null.
      return nullIfNotFound(this.#error(error, 'head', key, options.signal));
    }
  }

  /** 5. Listings are async iterables that fetch page by page. */
  async *list(prefix: string, options: DriverCallOptions = {}): AsyncIterable<ObjectInfo> {
    const namePrefix = this.#keys.toListPrefix(prefix);
    for (let page = 0; ; page++) {
      let body: { items: { key: string; size: number; mtime: string }[]; more: boolean };
      try {
        const url = `${this.#base}/list?prefix=${encodeURIComponent(namePrefix)}&page=${page}`;
        const response = await fetch(url, { signal: options.signal });
        if (!response.ok) throw toStoreError(new Error(response.statusText), 'list', prefix, response.status);
        body = (await response.json()) as typeof body;
      } catch (error) {
        throw this.#error(error, 'list', prefix, options.signal);
      }
      for (const item of body.items) {
        const key = this.#keys.toKey(item.key);
        if (key !== undefined) yield objectInfo(key, { size: item.size, lastModified: item.mtime });
      }
      if (!body.more) return;
    }
  }

  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    try {
      const response = await fetch(this.#url(key), { method: 'DELETE', signal: options.signal });
      if (!response.ok) throw toStoreError(new Error(response.statusText), 'delete', key, response.status);
    } catch (error) {
      // Deleting a missing object is no failure.
      ignoreNotFound(this.#error(error, 'delete', key, options.signal));
    }
  }
}

async function readText(response: IncomingMessage): Promise<string> {
  let text = '';
  for await (const piece of response) text += String(piece);
  return text;
}
