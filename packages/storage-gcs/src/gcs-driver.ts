import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type DriverCallOptions,
  driverCallError,
  forEachConcurrent,
  type GetOptions,
  guardReadStream,
  ignoreNotFound,
  lastByteOf,
  nullIfNotFound,
  type ObjectFacts,
  type ObjectInfo,
  ObjectKeyPrefix,
  objectInfo,
  type PutOptions,
  readEmptyRange,
  type StorageCapabilities,
  type StorageDriver,
  throwIfCallAborted,
} from '@backupkit/core';
import {
  type Bucket,
  type File,
  type FileMetadata,
  type GetFilesOptions,
  IdempotencyStrategy,
  Storage,
} from '@google-cloud/storage';
import { toGcsError } from './gcs-errors.js';
import { type GcsDriverOptions, validateGcsOptions } from './gcs-options.js';

const MiB = 1024 * 1024;
const DELETE_CONCURRENCY = 16;

function hex(base64: string | undefined): string | undefined {
  return base64 ? Buffer.from(base64, 'base64').toString('hex') : undefined;
}

/** Size, time and ETag of an object's metadata (the time of its last update, else of its creation). */
function facts(metadata: FileMetadata): ObjectFacts {
  return { size: metadata.size, lastModified: metadata.updated ?? metadata.timeCreated, etag: metadata.etag };
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

  /** `operation` on `key` (at `at`) failed: `aborted` once `signal` fired, else `toGcsError`. */
  #error(error: unknown, operation: string, key: string, signal?: AbortSignal, at = this.describe(key)) {
    return driverCallError(error, operation, key, signal, (cause) => toGcsError(cause, operation, key, at));
  }

  #file(key: string): File {
    return this.#bucket.file(this.#keys.toName(key));
  }

  async put(key: string, body: Readable | Uint8Array, options: PutOptions = {}): Promise<void> {
    const file = this.#file(key);
    const { signal, contentLength } = options;
    throwIfCallAborted('put', key, signal);
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
      throw this.#error(error, 'put', key, signal);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const file = this.#file(key);
    const { signal, range } = options;
    throwIfCallAborted('get', key, signal);
    if (range?.length === 0) return readEmptyRange(this, key, options);
    const end = range && lastByteOf(range);
    const source = file.createReadStream(
      range ? { start: range.offset, ...(end === undefined ? {} : { end }) } : {},
    );
    try {
      await this.#response(source, signal);
    } catch (error) {
      if (range && !signal?.aborted && (error as { code?: unknown }).code === 416)
        return readEmptyRange(this, key, options);
      throw this.#error(error, 'get', key, signal);
    }
    return guardReadStream(source, { signal, mapError: (error) => this.#error(error, 'get', key, signal) });
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

  async head(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    const file = this.#file(key);
    throwIfCallAborted('head', key, options.signal);
    try {
      const [metadata] = await file.getMetadata();
      const md5 = hex(metadata.md5Hash);
      const crc32c = hex(metadata.crc32c);
      return objectInfo(key, {
        ...facts(metadata),
        // Composite objects have no MD5; every object has a CRC32C.
        checksum: md5
          ? { algorithm: 'md5', value: md5 }
          : crc32c
            ? { algorithm: 'crc32c', value: crc32c }
            : undefined,
      });
    } catch (error) {
      return nullIfNotFound(this.#error(error, 'head', key, options.signal));
    }
  }

  async *list(prefix: string, options: DriverCallOptions = {}): AsyncIterable<ObjectInfo> {
    const namePrefix = this.#keys.toListPrefix(prefix);
    const location = `gs://${this.#bucket.name}/${namePrefix}`;
    let query: GetFilesOptions | undefined = { prefix: namePrefix, autoPaginate: false, maxResults: 1_000 };
    while (query) {
      throwIfCallAborted('list', prefix, options.signal);
      let files: File[];
      try {
        const [page, next] = await this.#bucket.getFiles(query);
        files = page;
        query = (next ?? undefined) as GetFilesOptions | undefined;
      } catch (error) {
        throw this.#error(error, 'list', prefix, options.signal, location);
      }
      for (const file of files) {
        const key = this.#keys.toKey(file.name);
        if (key !== undefined) yield objectInfo(key, facts(file.metadata));
      }
    }
  }

  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    const file = this.#file(key);
    throwIfCallAborted('delete', key, options.signal);
    try {
      await file.delete({ ignoreNotFound: true });
    } catch (error) {
      ignoreNotFound(this.#error(error, 'delete', key, options.signal));
    }
  }

  /** Deletes with up to 16 requests in flight (the JSON API's batch endpoint is not in the client). */
  async deleteMany(keys: readonly string[], options: DriverCallOptions = {}): Promise<void> {
    await forEachConcurrent(keys, DELETE_CONCURRENCY, (key) => this.delete(key, options));
  }
}
