import type { Readable } from 'node:stream';
import type { DriverCallOptions, GetOptions, ObjectInfo, PutOptions, StorageDriver } from '@backupkit/core';

/**
 * A driver that passes every call through and tells `onDelete` the stored size of each object
 * deleted (known from the listings it passed on): how `prune` measures its progress without a
 * second garbage collector.
 */
export class DeleteCountingDriver implements StorageDriver {
  readonly #inner: StorageDriver;
  readonly #sizes = new Map<string, number>();
  readonly #onDelete: (bytes: number) => void;

  constructor(inner: StorageDriver, onDelete: (bytes: number) => void) {
    this.#inner = inner;
    this.#onDelete = onDelete;
  }

  get type(): string {
    return this.#inner.type;
  }

  get capabilities(): StorageDriver['capabilities'] {
    return this.#inner.capabilities;
  }

  describe(key: string): string {
    return this.#inner.describe(key);
  }

  put(key: string, body: Readable | Uint8Array, options?: PutOptions): Promise<void> {
    return this.#inner.put(key, body, options);
  }

  get(key: string, options?: GetOptions): Promise<Readable> {
    return this.#inner.get(key, options);
  }

  head(key: string, options?: DriverCallOptions): Promise<ObjectInfo | null> {
    return this.#inner.head(key, options);
  }

  async *list(prefix: string, options?: DriverCallOptions): AsyncIterable<ObjectInfo> {
    for await (const info of this.#inner.list(prefix, options)) {
      this.#sizes.set(info.key, info.size);
      yield info;
    }
  }

  async delete(key: string, options?: DriverCallOptions): Promise<void> {
    await this.#inner.delete(key, options);
    this.#onDelete(this.#sizes.get(key) ?? 0);
  }

  async close(): Promise<void> {
    await this.#inner.close?.();
  }
}
