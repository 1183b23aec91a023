import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  createPostgresRestoreTarget,
  createPostgresSource,
  type DriverCallOptions,
  type GetOptions,
  LocalKeyProvider,
  LocalStorageDriver,
  type Manifest,
  type PutOptions,
  Repository,
  runBackup,
  runRestore,
  type StorageDriver,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  changeDatabase,
  cloneDatabase,
  ensureDataset,
  type ScratchDb,
} from '../../../../bench/scratch-db.js';
import { createTempDatabase } from '../../../../test-support/postgres.js';
import { tempDriver } from '../engine/fixtures.js';

// What format 2 is for, counted on the benchmark dataset (1.2 GB of COPY text): a full backup
// writes a few dozen objects instead of one per chunk, a backup after the realistic change
// asks storage nothing about the chunks it reuses (the index answers), and a restore reads
// neighbouring chunks with one range request.

/** Counts every storage call by method and top-level prefix (`get data/`, `put index/`, …). */
class CountingDriver implements StorageDriver {
  readonly #inner: StorageDriver;
  readonly type: string;
  readonly capabilities: StorageDriver['capabilities'];
  counts = new Map<string, number>();

  constructor(inner: StorageDriver) {
    this.#inner = inner;
    this.type = inner.type;
    this.capabilities = inner.capabilities;
  }
  #count(method: string, key: string): void {
    const name = `${method} ${key.split('/')[0]}${key.includes('/') ? '/' : ''}`;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  of(method: string, prefix = ''): number {
    let n = 0;
    for (const [name, count] of this.counts) if (name.startsWith(`${method} ${prefix}`)) n += count;
    return n;
  }
  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  describe(key: string) {
    return this.#inner.describe(key);
  }
  put(key: string, body: Readable | Uint8Array, options?: PutOptions) {
    this.#count('put', key);
    return this.#inner.put(key, body, options);
  }
  get(key: string, options?: GetOptions) {
    this.#count('get', key);
    return this.#inner.get(key, options);
  }
  head(key: string, options?: DriverCallOptions) {
    this.#count('head', key);
    return this.#inner.head(key, options);
  }
  list(prefix: string, options?: DriverCallOptions) {
    this.#count('list', prefix);
    return this.#inner.list(prefix, options);
  }
  delete(key: string, options?: DriverCallOptions) {
    this.#count('delete', key);
    return this.#inner.delete(key, options);
  }
}

const keys = new LocalKeyProvider({ k1: Buffer.alloc(32, 3) });

describe('storage requests of format 2 on the benchmark dataset (1×)', { timeout: 15 * 60_000 }, () => {
  let copy: ScratchDb;
  let store: { root: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    const dataset = await ensureDataset(1);
    copy = await cloneDatabase(dataset.name, `${dataset.name}_requests`);
    store = await tempDriver();
  }, 10 * 60_000);
  afterAll(async () => {
    await copy?.drop();
    await store?.cleanup();
  });

  const backup = async (driver: CountingDriver, backupId: string, parent: Manifest | null) =>
    runBackup({
      repository: await Repository.open(driver, {
        keyProvider: keys,
        encryption: { enabled: true, keyId: 'k1' },
        create: true,
      }),
      source: createPostgresSource({ connection_string: copy.url, max_parallel_jobs: 2 }),
      context: { signal: new AbortController().signal, parent, full: parent === null },
      jobId: 'job_requests',
      backupId,
      backupType: parent ? 'incremental' : 'full',
      compression: { algorithm: 'zstd' },
    });

  it('a full backup writes at most 40 objects; the next asks nothing per reused chunk; a restore coalesces', async () => {
    const local = new LocalStorageDriver({ root: store.root });
    const first = new CountingDriver(local);
    const full = await backup(first, 'bk_full', null);
    expect(full.totals.logical_bytes).toBeGreaterThan(900_000_000); // bytea tables are read in binary
    expect(full.totals.chunks).toBeGreaterThan(500);
    // Every object written: packs, their index, the manifest, repo.json and the data key.
    expect(first.of('put')).toBeLessThanOrEqual(40);
    // Packs of up to 16 MiB of blobs (a blob that would pass it starts the next pack), so all
    // but the last hold more than 16 MiB less one stored chunk (≤ 4 MiB and a little).
    const MiB = 1024 * 1024;
    const packs = first.of('put', 'data/');
    expect(packs).toBeGreaterThanOrEqual(Math.ceil(full.totals.stored_bytes / (16 * MiB)));
    expect(packs).toBeLessThanOrEqual(Math.ceil(full.totals.stored_bytes / (12 * MiB)));
    expect(first.of('head')).toBe(0);

    await changeDatabase(copy.url, 'realistic');
    const second = new CountingDriver(local);
    const next = await backup(second, 'bk_next', full);
    const reused = next.totals.chunks - next.totals.new_chunks;
    expect(reused).toBeGreaterThan(full.totals.chunks / 2);
    // The index answers every dedup question: no read or head of pack data at all.
    expect(second.of('get', 'data/') + second.of('head', 'data/')).toBe(0);
    expect(second.of('head')).toBe(0);
    expect(second.total).toBeLessThan(30);

    const target = await createTempDatabase('bk_requests_restore');
    try {
      const reading = new CountingDriver(local);
      const repository = await Repository.open(reading, { keyProvider: keys });
      await runRestore({
        repository,
        manifest: next,
        target: createPostgresRestoreTarget(
          { connection_string: target.url, create_missing_tables: true },
          { parallel_restore: true, max_parallel_jobs: 2 },
        ),
      });
      // Neighbouring blobs of a pack come in one range request: far fewer reads than chunks.
      expect(reading.of('get', 'data/')).toBeLessThan(next.totals.chunks / 2);
    } finally {
      await target.drop();
    }
    await rm(store.root, { recursive: true, force: true });
  });
});
