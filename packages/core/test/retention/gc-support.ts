import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type {
  BackupSource,
  DriverCallOptions,
  GetOptions,
  ObjectInfo,
  PutOptions,
  RestoreTarget,
  StorageDriver,
} from '@backupkit/core';

/** A backup source over in-memory files (test data), optionally pausing before its second entry. */
export function memorySource(files: Map<string, Buffer>, gate?: Promise<void>): BackupSource {
  return {
    type: 'memory',
    describe: () => ({ type: 'memory' }),
    async open() {
      const names = [...files.keys()];
      async function* entries() {
        for (const [index, name] of names.entries()) {
          if (gate && index === 1) await gate;
          const content = files.get(name) ?? Buffer.alloc(0);
          yield {
            name,
            kind: 'file',
            metadata: {},
            estimatedBytes: content.length,
            open: async () => Readable.from([content]),
          };
        }
        // A backup of one entry pauses after it (before its commit): gated, a backup always
        // waits, holding its lock, whatever the number of entries.
        if (gate && names.length < 2) await gate;
      }
      return {
        entries: entries(),
        estimatedBytes: [...files.values()].reduce((s, b) => s + b.length, 0),
        metadata: {},
        parallelism: 1,
        close: async () => {},
      };
    },
  };
}

/** A restore target that only hashes what it receives, to compare with what was backed up. */
export function hashingTarget(): RestoreTarget & { hashes: Map<string, string> } {
  const hashes = new Map<string, string>();
  return {
    hashes,
    parallelism: 2,
    async prepare() {},
    async restoreEntry(entry, content) {
      const hash = createHash('sha256');
      let bytes = 0;
      if (content) {
        for await (const piece of content) {
          hash.update(piece as Buffer);
          bytes += (piece as Buffer).length;
        }
      }
      hashes.set(entry.name, hash.digest('hex'));
      return { name: entry.name, records: 1, bytes };
    },
    async finish() {
      return {};
    },
    async close() {},
  };
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Passes everything to a real driver, slowing deletes so that garbage collection takes a while. */
export class SlowDeleteDriver implements StorageDriver {
  readonly type: string;
  readonly capabilities;
  readonly #inner: StorageDriver;
  delayMs = 0;

  constructor(inner: StorageDriver) {
    this.#inner = inner;
    this.type = inner.type;
    this.capabilities = inner.capabilities;
  }
  describe(key: string) {
    return this.#inner.describe(key);
  }
  put(key: string, body: Readable | Uint8Array, options?: PutOptions) {
    return this.#inner.put(key, body, options);
  }
  get(key: string, options?: GetOptions) {
    return this.#inner.get(key, options);
  }
  head(key: string, options?: DriverCallOptions): Promise<ObjectInfo | null> {
    return this.#inner.head(key, options);
  }
  list(prefix: string, options?: DriverCallOptions) {
    return this.#inner.list(prefix, options);
  }
  async delete(key: string, options?: DriverCallOptions) {
    if (this.delayMs > 0 && (key.startsWith('data/') || key.startsWith('index/')))
      await new Promise((r) => setTimeout(r, this.delayMs));
    return this.#inner.delete(key, options);
  }
}
