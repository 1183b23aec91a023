import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackupError, isBackupError } from '../errors.js';
import type {
  DriverCallOptions,
  GetOptions,
  ObjectInfo,
  PutOptions,
  StorageCapabilities,
  StorageDriver,
} from './storage-driver.js';

export interface RetryEvent {
  operation: 'put' | 'get' | 'head' | 'list' | 'delete';
  key: string;
  /** The attempt that failed, 1-based. */
  attempt: number;
  /** How long the wrapper waits before the next attempt. */
  delayMs: number;
  error: BackupError;
}

export interface RetryOptions {
  /** Attempts in all, the first included; default 4. */
  attempts?: number;
  /** First backoff; doubles per attempt, with jitter; default 250 ms. */
  baseDelayMs?: number;
  /** Backoff ceiling; default 8 s. */
  maxDelayMs?: number;
  /** Called before each wait (for logs and metrics). */
  onRetry?: (event: RetryEvent) => void;
}

function isRetryable(error: unknown): error is BackupError {
  // By brand: a custom driver may throw BackupErrors made by its own copy of core.
  return isBackupError(error) && error.retryable;
}

/**
 * Wraps a driver so that calls failing with a retryable `BackupError` (`throttled`,
 * `unavailable`) are tried again with exponential backoff and jitter. Use it for drivers
 * whose client does not retry by itself (a plain HTTP store, a custom driver); the S3, Azure
 * and GCS SDKs already retry their requests.
 *
 * What cannot be replayed is not retried: a `put` whose body is a stream (it was consumed by
 * the failed attempt), and a listing that already yielded objects (it would repeat them).
 * Every wait honours the call's `AbortSignal` (→ `aborted`).
 */
export class RetryingStorageDriver implements StorageDriver {
  readonly #inner: StorageDriver;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onRetry: RetryOptions['onRetry'];

  constructor(inner: StorageDriver, options: RetryOptions = {}) {
    this.#inner = inner;
    this.#attempts = Math.max(1, options.attempts ?? 4);
    this.#baseDelayMs = options.baseDelayMs ?? 250;
    this.#maxDelayMs = options.maxDelayMs ?? 8_000;
    this.#onRetry = options.onRetry;
  }

  get type(): string {
    return this.#inner.type;
  }

  get capabilities(): StorageCapabilities {
    return this.#inner.capabilities;
  }

  describe(key: string): string {
    return this.#inner.describe(key);
  }

  put(key: string, body: Readable | Uint8Array, options?: PutOptions): Promise<void> {
    if (!(body instanceof Uint8Array)) return this.#inner.put(key, body, options);
    return this.#retry('put', key, options?.signal, () => this.#inner.put(key, body, options));
  }

  get(key: string, options?: GetOptions): Promise<Readable> {
    return this.#retry('get', key, options?.signal, () => this.#inner.get(key, options));
  }

  head(key: string, options?: DriverCallOptions): Promise<ObjectInfo | null> {
    return this.#retry('head', key, options?.signal, () => this.#inner.head(key, options));
  }

  delete(key: string, options?: DriverCallOptions): Promise<void> {
    return this.#retry('delete', key, options?.signal, () => this.#inner.delete(key, options));
  }

  /** Batch delete when the inner driver has one, else one retried `delete` per key. */
  async deleteMany(keys: readonly string[], options?: DriverCallOptions): Promise<void> {
    const inner = this.#inner;
    if (inner.deleteMany) {
      const batch = inner.deleteMany.bind(inner);
      await this.#retry('delete', keys[0] ?? '', options?.signal, () => batch(keys, options));
      return;
    }
    for (const key of keys) await this.delete(key, options);
  }

  async *list(prefix: string, options?: DriverCallOptions): AsyncIterable<ObjectInfo> {
    for (let attempt = 1; ; attempt++) {
      let yielded = false;
      try {
        for await (const info of this.#inner.list(prefix, options)) {
          yielded = true;
          yield info;
        }
        return;
      } catch (error) {
        if (yielded) throw error;
        await this.#backoff('list', prefix, attempt, error, options?.signal);
      }
    }
  }

  async close(): Promise<void> {
    await this.#inner.close?.();
  }

  async #retry<T>(
    operation: RetryEvent['operation'],
    key: string,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        await this.#backoff(operation, key, attempt, error, signal);
      }
    }
  }

  /** Waits before the next attempt, or rethrows when `error` is final. */
  async #backoff(
    operation: RetryEvent['operation'],
    key: string,
    attempt: number,
    error: unknown,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (!isRetryable(error) || attempt >= this.#attempts || signal?.aborted) throw error;
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
    // "Equal jitter": at least half the ceiling, so retries of many callers spread out but never stampede.
    const delayMs = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.#onRetry?.({ operation, key, attempt, delayMs, error });
    try {
      await sleep(delayMs, undefined, { signal });
    } catch (abort) {
      throw new BackupError('aborted', `${operation} of ${key} was cancelled while waiting to retry`, {
        cause: abort,
        details: { key, operation },
      });
    }
  }
}

/** `new RetryingStorageDriver(driver, options)`: see there. */
export function withRetries(driver: StorageDriver, options?: RetryOptions): StorageDriver {
  return new RetryingStorageDriver(driver, options);
}
