import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BackupError,
  type DriverCallOptions,
  type GetOptions,
  guardReadStream,
  type ObjectInfo,
  ObjectKeyPrefix,
  type PutOptions,
  type StorageCapabilities,
  type StorageDriver,
} from '@backupkit/core';
import {
  type Bucket,
  type File,
  type GetFilesOptions,
  IdempotencyStrategy,
  Storage,
} from '@google-cloud/storage';
import { toGcsError } from './gcs-errors.js';
import { type GcsDriverOptions, validateGcsOptions } from './gcs-options.js';

const MiB = 1024 * 1024;
const DELETE_CONCURRENCY = 16;

function aborted(operation: string, key: string, signal?: AbortSignal): BackupError {
  return new BackupError('aborted', `${operation} of ${key} was cancelled`, {
    cause: signal?.reason,
    details: { key, operation },
  });
}

function hex(base64: string | undefined): string | undefined {
  return base64 ? Buffer.from(base64, 'base64').toString('hex') : undefined;
}

function clientFor(options: GcsDriverOptions): Storage {
  return (
    options.client ??
    new Storage({
      ...(options.projectId ? { projectId: options.projectId } : {}),
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
      ...(options.keyFilename ? { keyFilename: options.keyFilename } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // Every write replaces a whole object, so retrying any request is safe.
      retryOptions: {
        autoRetry: true,
        maxRetries: 5,
        idempotencyStrategy: IdempotencyStrategy.RetryAlways,
        ...options.retryOptions,
      },
    })
  );
}

/**
 * `StorageDriver` for Google Cloud Storage. Puts stream in one request (resumable sessions
 * for large or unknown sizes) and an object appears only when its upload completes; reads are
 * ranged, and whole reads are checked against the stored CRC32C; listings page 1,000 names at
 * a time. Request retries with backoff are the client's (`retryOptions`).
 */
export class GcsStorageDriver implements StorageDriver {
  readonly type = 'gcs';
  readonly capabilities: StorageCapabilities = { rangeReads: true, atomicPut: true, storeChecksums: true };
  readonly #bucket: Bucket;
  readonly #keys: ObjectKeyPrefix;
  readonly #options: GcsDriverOptions;

  /** @throws BackupError `invalid_backup_config` for unusable options. */
  constructor(options: GcsDriverOptions) {
    validateGcsOptions(options);
    this.#options = options;
    this.#bucket = clientFor(options).bucket(options.bucket);
    this.#keys = new ObjectKeyPrefix(options.path);
  }

  /** The bucket handle in use. */
  get bucket(): Bucket {
    return this.#bucket;
  }

  describe(key: string): string {
    return `gs://${this.#bucket.name}/${this.#keys.toName(key)}`;
  }

  #file(key: string): File {
    return this.#bucket.file(this.#keys.toName(key));
  }

  async put(key: string, body: Readable | Uint8Array, options: PutOptions = {}): Promise<void> {
    const file = this.#file(key);
    const { signal, contentLength } = options;
    if (signal?.aborted) throw aborted('put', key, signal);
    const threshold = this.#options.resumableThreshold ?? 8 * MiB;
    const size = body instanceof Uint8Array ? body.length : contentLength;
    const storageClass = this.#options.storageClass?.toUpperCase();
    const target = file.createWriteStream({
      resumable: size === undefined || size >= threshold,
      validation: 'crc32c',
      contentType: 'application/octet-stream',
      ...(storageClass ? { metadata: { storageClass } } : {}),
    });
    try {
      await pipeline(body instanceof Uint8Array ? Readable.from([body]) : body, target, { signal });
    } catch (error) {
      if (signal?.aborted) throw aborted('put', key, signal);
      throw toGcsError(error, 'put', key, this.describe(key));
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const file = this.#file(key);
    const { signal, range } = options;
    if (signal?.aborted) throw aborted('get', key, signal);
    if (range?.length === 0) return this.#emptyIfExists(key, options);
    const source = file.createReadStream(
      range
        ? {
            start: range.offset,
            ...(range.length === undefined ? {} : { end: range.offset + range.length - 1 }),
          }
        : {},
    );
    try {
      await this.#response(source, signal);
    } catch (error) {
      if (signal?.aborted) throw aborted('get', key, signal);
      const mapped = toGcsError(error, 'get', key, this.describe(key));
      if (range && (error as { code?: unknown }).code === 416) return this.#emptyIfExists(key, options);
      throw mapped;
    }
    return guardReadStream(source, {
      signal,
      mapError: (error) => toGcsError(error, 'get', key, this.describe(key)),
      onAbort: () => aborted('get', key, signal),
    });
  }

  /**
   * The client sends the request on the first read and reports a missing object as a
   * stream error: start it now and wait for the status, so `get` itself rejects.
   */
  #response(source: Readable, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal?.reason);
      const settle = (error?: unknown) => {
        signal?.removeEventListener('abort', onAbort);
        source.off('error', settle);
        if (error) reject(error);
        else resolve();
      };
      source.once('response', (response: { statusCode?: number; status?: number }) => {
        const status = response.statusCode ?? response.status ?? 200;
        // On an error status the client reads the body for a message, then fails the stream.
        if (status < 400) settle();
      });
      source.once('error', settle);
      signal?.addEventListener('abort', onAbort, { once: true });
      source.read(0);
    });
  }

  async #emptyIfExists(key: string, options: GetOptions): Promise<Readable> {
    const info = await this.head(key, options);
    if (info === null) throw toGcsError({ code: 404 }, 'get', key, this.describe(key));
    if ((options.range?.offset ?? 0) > info.size) {
      throw new BackupError('invalid_request', `Byte range past the end of ${this.describe(key)}`, {
        details: { key, range: options.range },
      });
    }
    return Readable.from([]);
  }

  async head(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    const file = this.#file(key);
    if (options.signal?.aborted) throw aborted('head', key, options.signal);
    try {
      const [metadata] = await file.getMetadata();
      const md5 = hex(metadata.md5Hash);
      const crc32c = hex(metadata.crc32c);
      return {
        key,
        size: Number(metadata.size ?? 0),
        lastModified: new Date(metadata.updated ?? metadata.timeCreated ?? 0),
        ...(metadata.etag ? { etag: metadata.etag } : {}),
        // Composite objects have no MD5; every object has a CRC32C.
        ...(md5
          ? { checksum: { algorithm: 'md5' as const, value: md5 } }
          : crc32c
            ? { checksum: { algorithm: 'crc32c' as const, value: crc32c } }
            : {}),
      };
    } catch (error) {
      const mapped = toGcsError(error, 'head', key, this.describe(key));
      if (mapped.code === 'not_found') return null;
      throw mapped;
    }
  }

  async *list(prefix: string, options: DriverCallOptions = {}): AsyncIterable<ObjectInfo> {
    const namePrefix = this.#keys.toListPrefix(prefix);
    let query: GetFilesOptions | undefined = { prefix: namePrefix, autoPaginate: false, maxResults: 1_000 };
    while (query) {
      if (options.signal?.aborted) throw aborted('list', prefix, options.signal);
      let files: File[];
      try {
        const [page, next] = await this.#bucket.getFiles(query);
        files = page;
        query = (next ?? undefined) as GetFilesOptions | undefined;
      } catch (error) {
        throw toGcsError(error, 'list', prefix, `gs://${this.#bucket.name}/${namePrefix}`);
      }
      for (const file of files) {
        const key = this.#keys.toKey(file.name);
        if (key === undefined) continue;
        yield {
          key,
          size: Number(file.metadata.size ?? 0),
          lastModified: new Date(file.metadata.updated ?? file.metadata.timeCreated ?? 0),
          ...(file.metadata.etag ? { etag: file.metadata.etag } : {}),
        };
      }
    }
  }

  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    const file = this.#file(key);
    if (options.signal?.aborted) throw aborted('delete', key, options.signal);
    try {
      await file.delete({ ignoreNotFound: true });
    } catch (error) {
      const mapped = toGcsError(error, 'delete', key, this.describe(key));
      if (mapped.code !== 'not_found') throw mapped;
    }
  }

  /** Deletes with up to 16 requests in flight (the JSON API's batch endpoint is not in the client). */
  async deleteMany(keys: readonly string[], options: DriverCallOptions = {}): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < keys.length) await this.delete(keys[next++] as string, options);
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, keys.length) }, worker));
  }
}
