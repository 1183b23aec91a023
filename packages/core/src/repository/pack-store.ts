import { BackupError, isBackupError } from '../errors.js';
import type { DriverCallOptions, StorageDriver } from '../storage/storage-driver.js';
import type { BlobFetcher } from './blob-fetcher.js';
import type { BlobLocation } from './chunk-index.js';
import type { DataKey } from './data-key.js';
import { type IndexedPack, indexBatches, writeIndex } from './index-format.js';
import { indexedPacks, type LoadedIndex, loadIndex } from './index-loader.js';
import { CHUNK_ID, indexKey, packKey } from './layout.js';
import { isMissingPack, readBlob } from './pack-format.js';
import { PackWriter, type WrittenPack } from './pack-writer.js';

export interface StoredChunkInfo {
  id: string;
  storedBytes: number;
}

/**
 * A repository's chunks as blobs in packs: the chunk index (loaded once, re-read when asked or
 * when a chunk is not where it says), pack writers, and the index objects that commit packs.
 */
export class PackStore {
  readonly #driver: StorageDriver;
  readonly #resolveKey: (dataKeyId: string) => Promise<DataKey>;
  readonly #targetBytes: number;
  /** What this handle writes with (null: in the clear). */
  readonly #writeKey: DataKey | null;
  #index: Promise<LoadedIndex> | null = null;
  /** Counts index reloads, so that concurrent reads missing a chunk reload once, not each. */
  #indexGeneration = 0;

  constructor(
    driver: StorageDriver,
    resolveKey: (dataKeyId: string) => Promise<DataKey>,
    targetBytes: number,
    writeKey: DataKey | null,
  ) {
    this.#driver = driver;
    this.#resolveKey = resolveKey;
    this.#targetBytes = targetBytes;
    this.#writeKey = writeKey;
  }

  /**
   * The chunk index (loaded once per handle; see {@link loadIndex} in index-loader.ts): every
   * stored chunk's blob location, from the index objects and the headers of unindexed packs.
   */
  loadIndex(options: DriverCallOptions = {}): Promise<LoadedIndex> {
    if (!this.#index) {
      const loading = loadIndex(this.#driver, (id) => this.#resolveKey(id), options);
      this.#index = loading;
      loading.catch(() => {
        if (this.#index === loading) this.#index = null;
      });
    }
    return this.#index;
  }

  /** Re-reads the chunk index from storage (another process may have written or repacked). */
  refreshIndex(options: DriverCallOptions = {}): Promise<LoadedIndex> {
    this.forgetIndex();
    return this.loadIndex(options);
  }

  /** Drops the loaded index: the next use reads it again (after this handle changed storage). */
  forgetIndex(): void {
    this.#index = null;
    this.#indexGeneration++;
  }

  /** Where a chunk is stored, or undefined when no pack holds it. */
  async locateChunk(id: string, options: DriverCallOptions = {}): Promise<BlobLocation | undefined> {
    return (await this.loadIndex(options)).chunks.get(id);
  }

  async hasChunk(id: string, options: DriverCallOptions = {}): Promise<boolean> {
    return (await this.locateChunk(id, options)) !== undefined;
  }

  /** Every stored chunk with its stored size (from the index). */
  async *listChunks(options: DriverCallOptions = {}): AsyncIterable<StoredChunkInfo> {
    const { chunks } = await this.loadIndex(options);
    for (const [id, location] of chunks.entries()) yield { id, storedBytes: location.length };
  }

  /**
   * A writer that appends this run's encoded chunks to packs of the repository's pack size.
   * Its packs are committed by {@link commitPacks} (an index object), before the manifest.
   */
  createPackWriter(options: DriverCallOptions = {}): PackWriter {
    return this.#packWriter(this.#writeKey, options);
  }

  /**
   * A pack writer sealing under data key `dataKeyId` (null: in the clear), whatever this handle
   * writes with: garbage collection repacks blobs into packs of the key they are sealed with.
   * @throws BackupError key errors when the data key does not open.
   */
  async createPackWriterFor(dataKeyId: string | null, options: DriverCallOptions = {}): Promise<PackWriter> {
    return this.#packWriter(dataKeyId === null ? null : await this.#resolveKey(dataKeyId), options);
  }

  #packWriter(key: DataKey | null, options: DriverCallOptions): PackWriter {
    return new PackWriter({
      driver: this.#driver,
      key,
      targetBytes: this.#targetBytes,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /**
   * Writes index objects for `packs` (after the packs, before any manifest using them), each
   * sealed under its packs' data key, and adds them to this handle's index; returns their names.
   */
  async commitPacks(packs: readonly WrittenPack[], options: DriverCallOptions = {}): Promise<string[]> {
    const names = await this.writeIndexes(packs, [], options);
    const loaded = this.#index ? await this.#index.catch(() => null) : null;
    if (loaded) {
      for (const pack of packs) {
        loaded.packs.set(pack.name, { key: packKey(pack.name), size: pack.bytes, lastModified: new Date() });
        loaded.packKeys.set(pack.name, pack.key);
        for (const blob of pack.blobs) loaded.chunks.add(blob.id, { pack: pack.name, ...blob });
      }
      loaded.indexNames.push(...names);
    }
    return names;
  }

  /**
   * Writes index objects for `packs` (grouped by the data key they are sealed with, at most
   * `MAX_BLOBS_PER_INDEX` blobs each), naming `supersedes` as replaced; returns their names.
   */
  async writeIndexes(
    packs: readonly IndexedPack[],
    supersedes: readonly string[],
    options: DriverCallOptions = {},
  ): Promise<string[]> {
    const byKey = new Map<string | null, IndexedPack[]>();
    for (const pack of packs) byKey.set(pack.key, [...(byKey.get(pack.key) ?? []), pack]);
    const names: string[] = [];
    for (const [keyId, group] of byKey) {
      const key = keyId === null ? null : await this.#resolveKey(keyId);
      for (const batch of indexBatches(group)) {
        names.push(
          await writeIndex(this.#driver, { supersedes: [...supersedes], packs: batch }, key, options),
        );
      }
    }
    return names;
  }

  /**
   * Replaces this handle's index objects with one (per data key) once there are `minObjects` or
   * more: each backup adds one, and every load reads them all. The new objects are written
   * before the old ones are deleted; a reader that misses both reads pack headers instead.
   * Skipped (0) when some index object does not open with this process's keys.
   * @returns the number of index objects replaced.
   */
  async consolidateIndex(options: DriverCallOptions & { minObjects?: number } = {}): Promise<number> {
    const call = options.signal ? { signal: options.signal } : {};
    const loaded = await this.loadIndex(call);
    const old = loaded.indexNames;
    if (old.length < (options.minObjects ?? 32) || loaded.unreadable.length > 0) return 0;
    await this.writeIndexes(indexedPacks(loaded), old, call);
    for (const name of old) await this.#driver.delete(indexKey(name), call);
    this.forgetIndex();
    return old.length;
  }

  /**
   * A chunk's stored bytes (its blob, in memory of its own). A chunk the index does not know, or
   * whose pack is gone, gets one re-read of the index (a repack may have moved it) before it
   * counts as missing.
   * @throws BackupError `integrity_error` with `missing: true` when no pack holds it.
   */
  async readStoredChunk(
    id: string,
    options: DriverCallOptions & { fetcher?: BlobFetcher } = {},
  ): Promise<Buffer> {
    if (!CHUNK_ID.test(id)) {
      throw new BackupError('invalid_request', 'A chunk id is 64 lowercase hex characters', {
        details: { chunk_id: id },
      });
    }
    const call = options.signal ? { signal: options.signal } : {};
    for (let attempt = 0; ; attempt++) {
      const generation = this.#indexGeneration;
      const loaded = await this.loadIndex(call);
      const location = loaded.chunks.get(id);
      if (location) {
        try {
          return options.fetcher
            ? await options.fetcher.fetch(location, options.signal)
            : await readBlob(this.#driver, location, { ...call, own: true });
        } catch (error) {
          if (isBackupError(error, 'integrity_error')) {
            throw new BackupError('integrity_error', `Chunk ${id}: ${error.message}`, {
              details: { ...error.details, chunk_id: id },
              cause: error,
            });
          }
          if (!isMissingPack(error)) throw error;
        }
      }
      if (attempt > 0) {
        // Index objects under a key this process cannot open may well hold it: say that instead.
        const unopened = loaded.unreadable[0];
        if (!location && unopened) throw unopened.error;
        throw new BackupError('integrity_error', `Chunk ${id} is missing from the repository`, {
          details: { chunk_id: id, missing: true, ...(location ? { pack: location.pack } : {}) },
        });
      }
      // Not where this handle's index says: re-read it once (a repack may have moved the chunk),
      // unless a concurrent read did so already.
      if (this.#indexGeneration === generation) this.forgetIndex();
    }
  }
}
