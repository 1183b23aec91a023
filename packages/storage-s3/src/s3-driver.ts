import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  BackupError,
  type DriverCallOptions,
  driverCallError,
  type GetOptions,
  guardReadStream,
  httpRangeHeader,
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
import { toS3Error } from './s3-errors.js';
import { DEFAULT_PART_SIZE, type S3DriverOptions, validateS3Options, writeParams } from './s3-options.js';

const DELETE_BATCH = 1_000;

/**
 * `StorageDriver` for Amazon S3 and S3-compatible stores. Puts stream through multipart
 * uploads (memory ≈ partSize × queueSize), an object appears only when its upload completes;
 * reads are ranged; listings page 1,000 keys at a time; `deleteMany` uses DeleteObjects.
 * Request retries with backoff are the SDK's (`maxAttempts`).
 */
export class S3StorageDriver implements StorageDriver {
  readonly type = 's3';
  readonly capabilities: StorageCapabilities = { rangeReads: true, atomicPut: true, storeChecksums: false };
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #options: S3DriverOptions;
  readonly #keys: ObjectKeyPrefix;

  /** @throws BackupError `invalid_backup_config` for unusable options. */
  constructor(options: S3DriverOptions) {
    validateS3Options(options);
    this.#options = options;
    this.#keys = new ObjectKeyPrefix(options.path);
    this.#ownsClient = options.client === undefined;
    this.#client =
      options.client ??
      new S3Client({
        ...options.clientConfig,
        ...(options.region ? { region: options.region } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
        maxAttempts: options.maxAttempts ?? options.clientConfig?.maxAttempts ?? 5,
      });
  }

  /** The client in use (to share it, or for operations the driver does not cover). */
  get client(): S3Client {
    return this.#client;
  }

  describe(key: string): string {
    return `s3://${this.#options.bucket}/${this.#keys.toName(key)}`;
  }

  /** `operation` on `key` (at `at`) failed: `aborted` once `signal` fired, else `toS3Error`. */
  #error(error: unknown, operation: string, key: string, signal?: AbortSignal, at = this.describe(key)) {
    return driverCallError(error, operation, key, signal, (cause) => toS3Error(cause, operation, key, at));
  }

  async put(key: string, body: Readable | Uint8Array, options: PutOptions = {}): Promise<void> {
    const name = this.#keys.toName(key);
    const { signal } = options;
    throwIfCallAborted('put', key, signal);
    const params = { Bucket: this.#options.bucket, Key: name, ...writeParams(this.#options) };
    const partSize = this.#options.partSize ?? DEFAULT_PART_SIZE;
    try {
      if (body instanceof Uint8Array && body.length < partSize) {
        await this.#client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: body.length }), {
          abortSignal: signal,
        });
        return;
      }
      await this.#multipart(params, body, partSize, signal);
    } catch (error) {
      throw this.#error(error, 'put', key, signal);
    }
  }

  async #multipart(
    params: { Bucket: string; Key: string },
    body: Readable | Uint8Array,
    partSize: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const controller = new AbortController();
    // Destroying a stalled body is what lets the upload notice the abort and drop its parts.
    const onAbort = () => {
      controller.abort(signal?.reason);
      if (body instanceof Readable) body.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const upload = new Upload({
        client: this.#client,
        params: { ...params, Body: body },
        partSize,
        queueSize: this.#options.queueSize ?? 4,
        leavePartsOnError: false,
        abortController: controller,
      });
      await upload.done();
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const name = this.#keys.toName(key);
    const { signal, range } = options;
    throwIfCallAborted('get', key, signal);
    if (range?.length === 0) return readEmptyRange(this, key, options);
    try {
      const response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#options.bucket,
          Key: name,
          ...(range ? { Range: httpRangeHeader(range) } : {}),
        }),
        { abortSignal: signal },
      );
      if (!(response.Body instanceof Readable)) {
        throw new BackupError('storage_error', `get of ${this.describe(key)} returned no stream body`);
      }
      return guardReadStream(response.Body, {
        signal,
        mapError: (error) => this.#error(error, 'get', key, signal),
      });
    } catch (error) {
      if (range && !signal?.aborted && (error as { name?: string }).name === 'InvalidRange')
        return readEmptyRange(this, key, options);
      throw this.#error(error, 'get', key, signal);
    }
  }

  async head(key: string, options: DriverCallOptions = {}): Promise<ObjectInfo | null> {
    const name = this.#keys.toName(key);
    try {
      const response = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#options.bucket, Key: name }),
        {
          abortSignal: options.signal,
        },
      );
      return objectInfo(key, {
        size: response.ContentLength,
        lastModified: response.LastModified,
        etag: response.ETag,
      });
    } catch (error) {
      return nullIfNotFound(this.#error(error, 'head', key, options.signal));
    }
  }

  async *list(prefix: string, options: DriverCallOptions = {}): AsyncIterable<ObjectInfo> {
    const namePrefix = this.#keys.toListPrefix(prefix);
    const location = `s3://${this.#options.bucket}/${namePrefix}`;
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.#listPage(namePrefix, token, options.signal);
      } catch (error) {
        throw this.#error(error, 'list', prefix, options.signal, location);
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key === undefined ? undefined : this.#keys.toKey(object.Key);
        if (key === undefined) continue;
        yield objectInfo(key, { size: object.Size, lastModified: object.LastModified, etag: object.ETag });
      }
      const next = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (next !== undefined && next === token) {
        // A store that hands back the token it was given would make this loop forever.
        throw new BackupError('storage_error', `list of ${location} did not advance`, {
          details: { key: prefix, operation: 'list', keysInPage: page.KeyCount },
        });
      }
      token = next;
    } while (token);
  }

  #listPage(
    namePrefix: string,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ListObjectsV2CommandOutput> {
    return this.#client.send(
      new ListObjectsV2Command({
        Bucket: this.#options.bucket,
        Prefix: namePrefix,
        MaxKeys: 1_000,
        ...(token ? { ContinuationToken: token } : {}),
      }),
      { abortSignal: signal },
    );
  }

  async delete(key: string, options: DriverCallOptions = {}): Promise<void> {
    const name = this.#keys.toName(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#options.bucket, Key: name }), {
        abortSignal: options.signal,
      });
    } catch (error) {
      ignoreNotFound(this.#error(error, 'delete', key, options.signal));
    }
  }

  /** DeleteObjects, 1,000 keys per request. @throws BackupError naming the first key the store refused. */
  async deleteMany(keys: readonly string[], options: DriverCallOptions = {}): Promise<void> {
    const names = keys.map((key) => this.#keys.toName(key));
    for (let start = 0; start < names.length; start += DELETE_BATCH) {
      const batch = names.slice(start, start + DELETE_BATCH);
      let failed: { Key?: string; Code?: string; Message?: string } | undefined;
      try {
        const response = await this.#client.send(
          new DeleteObjectsCommand({
            Bucket: this.#options.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
          { abortSignal: options.signal },
        );
        failed = response.Errors?.find((entry) => entry.Code !== 'NoSuchKey');
      } catch (error) {
        const first = batch[0] ?? '';
        throw this.#error(error, 'delete', first, options.signal, `s3://${this.#options.bucket}/${first}`);
      }
      if (failed) {
        const key = (failed.Key && this.#keys.toKey(failed.Key)) ?? failed.Key ?? '';
        throw toS3Error(
          { name: failed.Code, message: failed.Message },
          'delete',
          key,
          `s3://${this.#options.bucket}/${failed.Key ?? ''}`,
        );
      }
    }
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }
}
