import { Readable } from 'node:stream';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
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

function aborted(operation: string, key: string, signal?: AbortSignal): BackupError {
  return new BackupError('aborted', `${operation} of ${key} was cancelled`, {
    cause: signal?.reason,
    details: { key, operation },
  });
}

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

  #blob(key: string): BlockBlobClient {
    return this.#container.getBlockBlobClient(this.#keys.toName(key));
  }

  async put(key: string, body: Readable | Uint8Array, options: PutOptions = {}): Promise<void> {
    const blob = this.#blob(key);
    const { signal } = options;
    if (signal?.aborted) throw aborted('put', key, signal);
    const common = { abortSignal: signal, ...(this.#tier ? { tier: this.#tier } : {}) };
    // A stalled body keeps the block scheduler waiting after an abort; it listens for 'error', not 'close'.
    const onAbort = () => {
      if (body instanceof Readable) body.destroy(aborted('put', key, signal));
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
      if (signal?.aborted) throw aborted('put', key, signal);
      if (!single && (await this.#lostToConcurrentPut(error, blob, before, signal))) return;
      throw toAzureError(error, 'put', key, this.describe(key));
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
    if (signal?.aborted) throw aborted('get', key, signal);
    if (range?.length === 0) return this.#emptyIfExists(key, options);
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
        mapError: (error) => toAzureError(error, 'get', key, this.describe(key)),
        onAbort: () => aborted('get', key, signal),
      });
    } catch (error) {
      if (signal?.aborted) throw aborted('get', key, signal);
      if (range && (error as { statusCode?: number }).statusCode === 416)
        return this.#emptyIfExists(key, options);
      throw toAzureError(error, 'get', key, this.describe(key));
    }
  }

  /** Zero bytes (an empty range, or one starting at the end) of an object that must exist. */
  async #emptyIfExists(key: string, options: GetOptions): Promise<Readable> {
    const info = await this.head(key, options);
    if (info === null) throw toAzureError({ statusCode: 404 }, 'get', key, this.describe(key));
    if ((options.range?.offset ?? 0) > info.size) {
      throw new BackupError('invalid_request', `Byte range past the end of ${this.describe(key)}`, {
        details: { key, range: options.range },
      });
    }
    return Readable.from([]);
  }

  async head(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    const blob = this.#blob(key);
    try {
      const properties = await blob.getProperties({ abortSignal: options.signal });
      return {
        key,
        size: properties.contentLength ?? 0,
        lastModified: properties.lastModified ?? new Date(0),
        ...(properties.etag ? { etag: properties.etag.replaceAll('"', '') } : {}),
      };
    } catch (error) {
      if (options.signal?.aborted) throw aborted('head', key, options.signal);
      const mapped = toAzureError(error, 'head', key, this.describe(key));
      if (mapped.code === 'not_found') return null;
      throw mapped;
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
        if (options.signal?.aborted) throw aborted('list', prefix, options.signal);
        throw toAzureError(error, 'list', prefix, location);
      }
      if (page.done) return;
      for (const item of page.value.segment.blobItems) {
        const key = this.#keys.toKey(item.name);
        if (key === undefined) continue;
        yield {
          key,
          size: item.properties.contentLength ?? 0,
          lastModified: item.properties.lastModified,
          ...(item.properties.etag ? { etag: item.properties.etag.replaceAll('"', '') } : {}),
        };
      }
    }
  }

  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    const blob = this.#blob(key);
    try {
      await blob.deleteIfExists({ abortSignal: options.signal, deleteSnapshots: 'include' });
    } catch (error) {
      if (options.signal?.aborted) throw aborted('delete', key, options.signal);
      const mapped = toAzureError(error, 'delete', key, this.describe(key));
      if (mapped.code !== 'not_found') throw mapped;
    }
  }

  /** Deletes with up to 16 requests in flight (Azurite has no blob batch API to test one against). */
  async deleteMany(keys: readonly string[], options: DriverCallOptions = {}): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++] as string;
        await this.delete(key, options);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, keys.length) }, worker));
  }
}
