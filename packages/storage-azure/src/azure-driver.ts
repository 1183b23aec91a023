import { Readable } from 'node:stream';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import {
  BackupError,
  callAbortedError,
  type DriverCallOptions,
  driverCallError,
  forEachConcurrent,
  type GetOptions,
  guardReadStream,
  ignoreNotFound,
  nullIfNotFound,
  type ObjectInfo,
  ObjectKeyPrefix,
  objectInfo,
  type PutOptions,
  readEmptyRange,
  type StorageCapabilities,
  type StorageDriver,
  throwIfCallAborted,
} from '@backupkit/core';
import { containerClientFor } from './azure-client.js';
import { toAzureError } from './azure-errors.js';
import {
  type AzureAccessTier,
  type AzureBlobDriverOptions,
  accessTierOf,
  validateAzureOptions,
} from './azure-options.js';

const MiB = 1024 * 1024;
const DELETE_CONCURRENCY = 16;

/**
 * `StorageDriver` for Azure Blob Storage block blobs. Streamed puts stage blocks and commit
 * the block list last, so a blob appears whole or not at all; reads are ranged (and resume
 * after a dropped connection, the SDK's retriable stream); listings page by prefix. Request
 * retries with exponential backoff are the SDK's (`retry`).
 */
export class AzureBlobStorageDriver implements StorageDriver {
  readonly type = 'azure';
  readonly capabilities: StorageCapabilities = { rangeReads: true, atomicPut: true, storeChecksums: false };
  readonly #container: ContainerClient;
  readonly #keys: ObjectKeyPrefix;
  readonly #tier: AzureAccessTier | undefined;
  readonly #blockSize: number;
  readonly #concurrency: number;

  /** @throws BackupError `invalid_backup_config` for unusable options. */
  constructor(options: AzureBlobDriverOptions) {
    validateAzureOptions(options);
    this.#container = containerClientFor(options);
    this.#keys = new ObjectKeyPrefix(options.path);
    this.#tier = options.accessTier ? accessTierOf(options.accessTier) : undefined;
    this.#blockSize = options.blockSize ?? 8 * MiB;
    this.#concurrency = options.concurrency ?? 4;
  }

  /** The container client in use. */
  get client(): ContainerClient {
    return this.#container;
  }

  describe(key: string): string {
    return `azure://${this.#container.accountName}/${this.#container.containerName}/${this.#keys.toName(key)}`;
  }

  /** `operation` on `key` (at `at`) failed: `aborted` once `signal` fired, else `toAzureError`. */
  #error(error: unknown, operation: string, key: string, signal?: AbortSignal, at = this.describe(key)) {
    return driverCallError(error, operation, key, signal, (cause) => toAzureError(cause, operation, key, at));
  }

  #blob(key: string): BlockBlobClient {
    return this.#container.getBlockBlobClient(this.#keys.toName(key));
  }

  async put(key: string, body: Readable | Uint8Array, options: PutOptions = {}): Promise<void> {
    const blob = this.#blob(key);
    const { signal } = options;
    throwIfCallAborted('put', key, signal);
    const common = { abortSignal: signal, ...(this.#tier ? { tier: this.#tier } : {}) };
    // A stalled body keeps the block scheduler waiting after an abort; it listens for 'error', not 'close'.
    const onAbort = () => {
      if (body instanceof Readable) body.destroy(callAbortedError('put', key, signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const single = body instanceof Uint8Array && body.length <= this.#blockSize;
    // Only staged uploads can lose a race (see #lostToConcurrentPut); a single Put Blob cannot.
    const before = single ? null : await this.#etag(blob, signal);
    try {
      if (single) {
        await blob.upload(body, body.length, common);
      } else if (body instanceof Uint8Array) {
        await blob.uploadData(body, {
          ...common,
          blockSize: this.#blockSize,
          concurrency: this.#concurrency,
        });
      } else {
        await blob.uploadStream(body, this.#blockSize, this.#concurrency, common);
      }
    } catch (error) {
      if (!signal?.aborted && !single && (await this.#lostToConcurrentPut(error, blob, before, signal)))
        return;
      throw this.#error(error, 'put', key, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #etag(blob: BlockBlobClient, signal: AbortSignal | undefined): Promise<string | null> {
    try {
      return (await blob.getProperties({ abortSignal: signal })).etag ?? null;
    } catch {
      return null;
    }
  }

  /**
   * Committing a block list (or a Put Blob) discards every uncommitted block of that blob,
   * so of two puts racing on one key the later commit fails with InvalidBlockList. When
   * another put committed the key while ours was staging, ours is ordered before it (a
   * valid outcome of concurrent writes: theirs replaced ours), so it counts as done.
   */
  async #lostToConcurrentPut(
    error: unknown,
    blob: BlockBlobClient,
    before: string | null,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const shape = error as { code?: string; details?: { errorCode?: string } };
    if ((shape.details?.errorCode ?? shape.code) !== 'InvalidBlockList') return false;
    const now = await this.#etag(blob, signal);
    return now !== null && now !== before;
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const blob = this.#blob(key);
    const { signal, range } = options;
    throwIfCallAborted('get', key, signal);
    if (range?.length === 0) return readEmptyRange(this, key, options);
    try {
      const response = await blob.download(range?.offset ?? 0, range?.length, {
        abortSignal: signal,
        maxRetryRequests: 5,
      });
      const body = response.readableStreamBody;
      if (!body)
        throw new BackupError('storage_error', `get of ${this.describe(key)} returned no stream body`);
      return guardReadStream(body as Readable, {
        signal,
        mapError: (error) => this.#error(error, 'get', key, signal),
      });
    } catch (error) {
      if (range && !signal?.aborted && (error as { statusCode?: number }).statusCode === 416)
        return readEmptyRange(this, key, options);
      throw this.#error(error, 'get', key, signal);
    }
  }

  async head(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    const blob = this.#blob(key);
    try {
      const { contentLength, lastModified, etag } = await blob.getProperties({ abortSignal: options.signal });
      return objectInfo(key, { size: contentLength, lastModified, etag });
    } catch (error) {
      return nullIfNotFound(this.#error(error, 'head', key, options.signal));
    }
  }

  async *list(prefix: string, options: DriverCallOptions = {}): AsyncIterable<ObjectInfo> {
    const namePrefix = this.#keys.toListPrefix(prefix);
    const pages = this.#container
      .listBlobsFlat({ prefix: namePrefix, abortSignal: options.signal })
      .byPage({ maxPageSize: 1_000 });
    const location = `azure://${this.#container.accountName}/${this.#container.containerName}/${namePrefix}`;
    while (true) {
      let page: Awaited<ReturnType<typeof pages.next>>;
      try {
        page = await pages.next();
      } catch (error) {
        throw this.#error(error, 'list', prefix, options.signal, location);
      }
      if (page.done) return;
      for (const { name, properties } of page.value.segment.blobItems) {
        const key = this.#keys.toKey(name);
        if (key === undefined) continue;
        const { contentLength, lastModified, etag } = properties;
        yield objectInfo(key, { size: contentLength, lastModified, etag });
      }
    }
  }

  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    const blob = this.#blob(key);
    try {
      await blob.deleteIfExists({ abortSignal: options.signal, deleteSnapshots: 'include' });
    } catch (error) {
      ignoreNotFound(this.#error(error, 'delete', key, options.signal));
    }
  }

  /** Deletes with up to 16 requests in flight (Azurite has no blob batch API to test one against). */
  async deleteMany(keys: readonly string[], options: DriverCallOptions = {}): Promise<void> {
    await forEachConcurrent(keys, DELETE_CONCURRENCY, (key) => this.delete(key, options));
  }
}
