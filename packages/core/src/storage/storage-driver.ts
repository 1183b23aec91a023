import type { Readable } from 'node:stream';

/** What a driver can do natively. Core and the conformance suite read these; drivers never fake them. */
export interface StorageCapabilities {
  /** `get` with a byte range reads only that range from the store. */
  rangeReads: boolean;
  /** A `put` becomes visible whole or not at all (temp + rename, multipart commit, block list commit). */
  atomicPut: boolean;
  /** The store keeps a checksum of each object that `head` returns (see `ObjectInfo.checksum`). */
  storeChecksums: boolean;
}

export interface ObjectInfo {
  /** Key relative to the driver's root (never starts with `/`). */
  key: string;
  size: number;
  lastModified: Date;
  etag?: string;
  /** A checksum the store computed itself, e.g. `{ algorithm: 'md5', value: '<hex>' }`. */
  checksum?: { algorithm: 'md5' | 'sha256' | 'crc32c' | 'crc64'; value: string };
}

/**
 * A byte range of an object. One reaching past the end reads up to the end; one starting at or
 * after the end reads nothing (`readEmptyRange` answers that for stores that refuse it).
 */
export interface ByteRange {
  /** First byte, 0-based. */
  offset: number;
  /** Number of bytes; to the end of the object when omitted. */
  length?: number;
}

export interface DriverCallOptions {
  signal?: AbortSignal;
}

export interface PutOptions extends DriverCallOptions {
  /** Byte length when known up front (lets some stores skip multipart). */
  contentLength?: number;
}

export interface GetOptions extends DriverCallOptions {
  range?: ByteRange;
}

/**
 * Where backups live. Keys are `/`-separated paths relative to the driver's root (its
 * directory, bucket + prefix, container + prefix). Implement this to add a store; run
 * `storageDriverConformance` from `@backupkit/core/testing` against it.
 *
 * Errors are `BackupError`s: `not_found` for a missing key on `get`, `access_denied`,
 * `throttled` / `unavailable` (retryable), `aborted`, otherwise `storage_error`.
 */
export interface StorageDriver {
  /** Short name for logs and analytics, e.g. `local`, `s3`. */
  readonly type: string;
  readonly capabilities: StorageCapabilities;
  /**
   * Human-readable location of a key, e.g. `s3://bucket/prefix/key` or an absolute path.
   * Must not contain credentials.
   */
  describe(key: string): string;
  /** Stores `body` under `key`, replacing any object there. Streams: never buffers the body whole. */
  put(key: string, body: Readable | Uint8Array, options?: PutOptions): Promise<void>;
  /** Reads an object (or a byte range of it). Throws `not_found` when the key does not exist. */
  get(key: string, options?: GetOptions): Promise<Readable>;
  /** Size and metadata of an object, or `null` when it does not exist. */
  head(key: string, options?: DriverCallOptions): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix`, in no particular order, page by page underneath. */
  list(prefix: string, options?: DriverCallOptions): AsyncIterable<ObjectInfo>;
  /** Removes an object; deleting a missing key is not an error. */
  delete(key: string, options?: DriverCallOptions): Promise<void>;
  /**
   * Removes many objects, with the store's batch call where it has one (S3 DeleteObjects:
   * 1,000 keys a request); missing keys are not an error. Optional: callers fall back to
   * `delete` per key.
   */
  deleteMany?(keys: readonly string[], options?: DriverCallOptions): Promise<void>;
  /** Releases connections; optional. */
  close?(): Promise<void>;
}

/** Builds a driver for a job's `destination` object (its documented fields plus driver-specific ones). */
export type StorageDriverFactory = (destination: DestinationConfig) => StorageDriver | Promise<StorageDriver>;

/** A job's destination as the API takes it; drivers read the fields they know. */
export interface DestinationConfig {
  type: string;
  path?: string;
  [field: string]: unknown;
}
