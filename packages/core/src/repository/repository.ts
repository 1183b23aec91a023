import { createHash } from 'node:crypto';
import { BackupError, isBackupError } from '../errors.js';
import type { KeyProvider } from '../keys/key-provider.js';
import type { DriverCallOptions, StorageDriver } from '../storage/storage-driver.js';
import { BlobFetcher } from './blob-fetcher.js';
import { BlobSequence } from './blob-sequence.js';
import type { ChunkBufferPool } from './chunk-buffer-pool.js';
import { decodeObject, encodeObject, parseObjectHeader } from './chunk-codec.js';
import { type ChunkDecoder, type ChunkReader, createWorkerDecoder } from './chunk-decoder.js';
import { type ChunkEncoder, createInProcessEncoder } from './chunk-encoder.js';
import type { BlobLocation } from './chunk-index.js';
import type { ChunkerParams } from './chunker.js';
import { type CompressionSetting, normalizeCompression } from './compression.js';
import { type DataKey, hmacChunkId } from './data-key.js';
import { GEAR } from './gear-scan.js';
import { type IndexedPack, indexBatches, writeIndex } from './index-format.js';
import { indexedPacks, type LoadedIndex, loadIndex } from './index-loader.js';
import { type DataKeyRecord, KeyStore, type WrapUnderResult } from './key-store.js';
import {
  BACKUP_ID,
  backupIdFromKey,
  CHUNK_ID,
  indexKey,
  packKey,
  REPO_CONFIG_KEY,
  SNAPSHOTS_PREFIX,
  snapshotKey,
} from './layout.js';
import type { CompressionAlgorithm, Manifest } from './manifest.js';
import { decodeManifest, encodeManifest, MAX_MANIFEST_BYTES } from './manifest-codec.js';
import { readObject } from './object-io.js';
import { isMissingPack, readBlob } from './pack-format.js';
import { PackWriter, type WrittenPack } from './pack-writer.js';
import { chunkerParamsOf, newRepoConfig, parseRepoConfig, type RepoConfig } from './repo-config.js';
import { createWorkerEncoder } from './worker-encoder.js';

export interface RepositoryOpenOptions {
  /** Needed whenever encrypted objects are written or read. */
  keyProvider?: KeyProvider;
  /** How this run writes: encrypted under master key `keyId`, or in the clear. */
  encryption?: { enabled: boolean; keyId?: string };
  /**
   * Backups pass true: initialise the repository when `repo.json` is missing, and add a data
   * key for `encryption.keyId` when none is wrapped under it. Readers pass false and never write.
   */
  create?: boolean;
  /** Chunker parameters for a new repository (an existing one keeps its own). */
  chunker?: ChunkerParams;
  /** Pack size for a new repository, 4–64 MiB (default 16 MiB; an existing one keeps its own). */
  packSize?: number;
  signal?: AbortSignal;
}

export interface PutChunkResult {
  /** False when the chunk was already stored and nothing was written. */
  written: boolean;
  /** Bytes stored for the chunk (the existing object's size when skipped). */
  storedBytes: number;
  /** Compression recorded for it (`none` when compressing did not help). */
  compression: CompressionAlgorithm;
}

export interface StoredChunkInfo {
  id: string;
  storedBytes: number;
}

/** Upper bounds that keep a tampered object from exhausting memory. */
const MAX_CHUNK_PLAINTEXT = 64 * 1024 * 1024;

/**
 * A content-addressed chunk store plus snapshot manifests on any `StorageDriver` (layout:
 * `repo.json`, `keys/`, `data/<2 hex>/<64 hex>` packs, `index/<64 hex>`, `snapshots/<backup_id>.json`,
 * `locks/`). Chunks are blobs in pack files; the index says where each is.
 */
export class Repository {
  readonly #driver: StorageDriver;
  readonly #config: RepoConfig;
  readonly #keys: KeyStore;
  readonly #writeKey: DataKey | null;
  #index: Promise<LoadedIndex> | null = null;
  /** Counts index reloads, so that concurrent reads missing a chunk reload once, not each. */
  #indexGeneration = 0;

  private constructor(driver: StorageDriver, config: RepoConfig, keys: KeyStore, writeKey: DataKey | null) {
    this.#driver = driver;
    this.#config = config;
    this.#keys = keys;
    this.#writeKey = writeKey;
  }

  /**
   * Opens (or, with `create`, initialises) the repository at the driver's root. With
   * encryption enabled, resolves the data key wrapped under `keyId`, creating one if none is.
   * @throws BackupError `not_found` (no repository and `create` is false), `unsupported_format`,
   * `corrupt_repository`, `invalid_backup_config`, `key_not_found`, `key_mismatch`, storage errors.
   */
  static async open(driver: StorageDriver, options: RepositoryOpenOptions = {}): Promise<Repository> {
    const encryption = options.encryption ?? { enabled: false };
    if (encryption.enabled && !encryption.keyId) {
      throw new BackupError('invalid_backup_config', 'Encryption is enabled but no key_id is given', {
        details: { field: 'encryption.key_id' },
      });
    }
    const call = { signal: options.signal };
    let config: RepoConfig;
    try {
      config = parseRepoConfig(
        await readObject(driver, REPO_CONFIG_KEY, 1024 * 1024, call),
        driver.describe(REPO_CONFIG_KEY),
      );
    } catch (error) {
      if (!isBackupError(error, 'not_found')) throw error;
      if (!options.create) {
        throw new BackupError('not_found', `No backup repository at ${driver.describe(REPO_CONFIG_KEY)}`, {
          details: { location: driver.describe(REPO_CONFIG_KEY) },
        });
      }
      // Concurrent initialisers may both write; re-reading makes every one use what stuck.
      const fresh = newRepoConfig(options.chunker, new Date(), options.packSize);
      await driver.put(REPO_CONFIG_KEY, Buffer.from(`${JSON.stringify(fresh, null, 2)}\n`), call);
      config = parseRepoConfig(
        await readObject(driver, REPO_CONFIG_KEY, 1024 * 1024, call),
        driver.describe(REPO_CONFIG_KEY),
      );
    }
    const keys = new KeyStore(driver, options.keyProvider);
    await keys.refresh();
    const writeKey = encryption.enabled
      ? await keys.writeKey(encryption.keyId!, options.create ?? false)
      : null;
    return new Repository(driver, config, keys, writeKey);
  }

  get driver(): StorageDriver {
    return this.#driver;
  }

  /** Every wrapping of every data key in `keys/` (re-read), oldest first. */
  async dataKeyRecords(): Promise<DataKeyRecord[]> {
    await this.#keys.refresh();
    return this.#keys.records().sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /**
   * Wraps the repository's data keys under master key `keyId` too (those a configured master key
   * opens), so that `keyId` alone opens the repository from now on: master-key rotation without
   * re-encrypting anything. Idempotent.
   * @throws BackupError `key_not_found` when `keyId` is not configured.
   */
  addMasterKey(keyId: string): Promise<WrapUnderResult> {
    return this.#keys.wrapUnder(keyId);
  }

  get id(): string {
    return this.#config.repo_id;
  }

  get config(): Readonly<RepoConfig> {
    return this.#config;
  }

  get chunkerParams(): ChunkerParams {
    return chunkerParamsOf(this.#config);
  }

  /** Whether objects written through this handle are encrypted. */
  get encrypted(): boolean {
    return this.#writeKey !== null;
  }

  /** The master key id new objects are wrapped under, or null without encryption. */
  get keyId(): string | null {
    return this.#writeKey?.keyId ?? null;
  }

  /** The gear table this handle's writes cut with: its data key's, or the public one without encryption. */
  get chunkerGear(): Int32Array {
    return this.#writeKey?.chunkerGear ?? GEAR;
  }

  /** The id a chunk with this plaintext has: HMAC-SHA-256 under the data key, or SHA-256. */
  chunkId(plaintext: Uint8Array): string {
    return this.#writeKey
      ? hmacChunkId(this.#writeKey, plaintext)
      : createHash('sha256').update(plaintext).digest('hex');
  }

  /**
   * How `manifest`'s backup cut and named its chunks: the gear table and the id function of the
   * data key its master key wraps (the one writers under that `key_id` use; public table and
   * SHA-256 without encryption). For recomputing a backup's chunk list from restored data,
   * whatever key this handle writes with.
   * @throws BackupError `key_not_found` (master key not configured or no data key under it), `key_mismatch`.
   */
  async chunkingOf(
    manifest: Pick<Manifest, 'encryption'>,
  ): Promise<{ gear: Int32Array; chunkId: (plaintext: Uint8Array) => string }> {
    const keyId = manifest.encryption.enabled ? manifest.encryption.key_id : undefined;
    if (!keyId)
      return { gear: GEAR, chunkId: (plaintext) => createHash('sha256').update(plaintext).digest('hex') };
    const key = this.#writeKey?.keyId === keyId ? this.#writeKey : await this.#keys.writeKey(keyId, false);
    return { gear: key.chunkerGear, chunkId: (plaintext) => hmacChunkId(key, plaintext) };
  }

  /**
   * The chunk index (loaded once per handle; see {@link loadIndex} in index-loader.ts): every
   * stored chunk's blob location, from the index objects and the headers of unindexed packs.
   */
  loadIndex(options: DriverCallOptions = {}): Promise<LoadedIndex> {
    if (!this.#index) {
      const loading = loadIndex(this.#driver, (id) => this.#keys.resolve(id), options);
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
    assertChunkId(id);
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
    return this.#packWriter(dataKeyId === null ? null : await this.#keys.resolve(dataKeyId), options);
  }

  #packWriter(key: DataKey | null, options: DriverCallOptions): PackWriter {
    return new PackWriter({
      driver: this.#driver,
      key,
      targetBytes: this.#config.pack.target_size,
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
      const key = keyId === null ? null : await this.#keys.resolve(keyId);
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
   * Stores one chunk on its own (a pack of one blob and its index object): for tools and tests;
   * backups batch chunks into packs through {@link createPackWriter}. `id` must be
   * `chunkId(plaintext)`. Skips the write when the chunk is already stored.
   */
  async putChunk(
    id: string,
    plaintext: Uint8Array,
    compression: CompressionSetting,
    options: DriverCallOptions = {},
  ): Promise<PutChunkResult> {
    assertChunkId(id);
    const setting = normalizeCompression(compression);
    const existing = await this.locateChunk(id, options);
    if (existing) return { written: false, storedBytes: existing.length, compression: setting.algorithm };
    const encoded = await encodeObject(plaintext, {
      compression: setting,
      aad: chunkAad(id),
      key: this.#writeKey,
    });
    const writer = this.createPackWriter(options);
    await writer.add(id, encoded.bytes, plaintext.length);
    await this.commitPacks(await writer.finish(), options);
    return { written: true, storedBytes: encoded.bytes.length, compression: encoded.compression };
  }

  /**
   * An encoder for a run's chunks: ids plus compress + encrypt, in `workers` worker threads
   * (0 = on the calling thread). Close it when the run ends.
   * @throws BackupError `invalid_backup_config` for a bad compression setting.
   */
  createChunkEncoder(options: {
    compression: CompressionSetting;
    workers?: number;
    /** Where submitted pooled chunk buffers go back once encoded or dropped. */
    pool?: ChunkBufferPool;
  }): ChunkEncoder {
    const setting = normalizeCompression(options.compression);
    const workers = Math.max(0, Math.floor(options.workers ?? 0));
    return workers > 0
      ? createWorkerEncoder(this.#writeKey, setting, workers, options.pool)
      : createInProcessEncoder(this.#writeKey, setting, options.pool);
  }

  /** The associated data a chunk's stored bytes are bound to (for `ChunkEncoder.encode`). */
  chunkAad(id: string): Buffer {
    assertChunkId(id);
    return chunkAad(id);
  }

  /**
   * Reads, authenticates and decompresses a chunk, then re-checks its id against the plaintext.
   * @throws BackupError `integrity_error` naming the chunk (missing, tampered, swapped, wrong id),
   * `key_not_found` / `key_mismatch`.
   */
  async getChunk(id: string, options: DriverCallOptions = {}): Promise<Buffer> {
    return this.#decodeHere(id, await this.readStoredChunk(id, options));
  }

  /**
   * A reader whose `getChunk` does what {@link getChunk} does, with decryption, decompression
   * and the id check in `workers` worker threads (0 = on the calling thread), and blobs read by
   * range with neighbours coalesced. Close it when done.
   */
  createChunkReader(options: { workers?: number } = {}): ChunkReader {
    const workers = Math.max(0, Math.floor(options.workers ?? 0));
    const fetcher = new BlobFetcher(this.#driver);
    // A slot holds a chunk's plaintext: sized from this repository's largest chunk, up to 16 MiB
    // chunks (larger ones, in repositories configured so, get buffers of their own). The same
    // slot size as a backup's chunk buffers: both lie in the process's one slot memory, and
    // the same geometry makes them touch the same pages.
    const decoder =
      workers === 0
        ? null
        : createWorkerDecoder(workers, MAX_CHUNK_PLAINTEXT, {
            slotBytes: Math.min(this.chunkerParams.maxSize, 16 * 1024 * 1024) + 64,
          });
    // Stored bytes are memory of their own: the decoder hands them to its worker rather than copying.
    const decode = (id: string, stored: Buffer, size?: number) =>
      decoder ? this.#decodeInWorker(decoder, id, stored, size) : this.#decodeHere(id, stored);
    const read = (id: string, signal?: AbortSignal) =>
      this.readStoredChunk(id, { ...(signal ? { signal } : {}), fetcher });
    return {
      getChunk: async (id, o = {}) => decode(id, await read(id, o.signal), o.size),
      sequence: (ids, o = {}) => {
        for (const id of ids) assertChunkId(id);
        const sequence = this.loadIndex(o.signal ? { signal: o.signal } : {}).then(
          (loaded) =>
            new BlobSequence(
              this.#driver,
              ids.map((id) => loaded.chunks.get(id)),
              (index) => read(ids[index]!, o.signal),
              o.signal,
            ),
        );
        sequence.catch(() => {}); // surfaces through get()
        return { get: async (index, size) => decode(ids[index]!, await (await sequence).get(index), size) };
      },
      close: async () => decoder?.close(),
    };
  }

  async #decodeInWorker(decoder: ChunkDecoder, id: string, stored: Buffer, size?: number): Promise<Buffer> {
    const label = `Chunk ${id}`;
    const header = parseObjectHeader(stored, label, { chunk_id: id });
    let key: DataKey | null = null;
    if (header.encrypted) {
      try {
        key = await this.#keys.resolve(header.dataKeyId!);
      } catch (error) {
        if (isBackupError(error, 'integrity_error')) {
          throw new BackupError('integrity_error', `${label} names a data key the repository does not have`, {
            details: { chunk_id: id, data_key_id: header.dataKeyId },
          });
        }
        throw error;
      }
    }
    return decoder.decode(stored, chunkAad(id), id, key, label, true, size);
  }

  async #decodeHere(id: string, stored: Buffer): Promise<Buffer> {
    const details = { chunk_id: id };
    const plaintext = await decodeObject(stored, {
      aad: chunkAad(id),
      resolveKey: (dataKeyId) => this.#keys.resolve(dataKeyId),
      maxPlaintext: MAX_CHUNK_PLAINTEXT,
      label: `Chunk ${id}`,
      details,
    });
    const { dataKeyId } = parseObjectHeader(stored, `Chunk ${id}`, details);
    const actual = dataKeyId
      ? hmacChunkId(await this.#keys.resolve(dataKeyId), plaintext)
      : createHash('sha256').update(plaintext).digest('hex');
    if (actual !== id) {
      throw new BackupError('integrity_error', `Chunk ${id} does not match its content`, { details });
    }
    return plaintext;
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
    assertChunkId(id);
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

  /**
   * Writes the manifest (compressed; encrypted like a chunk when encryption is on, bound to the
   * backup id). Call it last: its presence commits the backup.
   */
  async writeManifest(manifest: Manifest, options: DriverCallOptions = {}): Promise<{ storedBytes: number }> {
    assertBackupId(manifest.backup_id);
    const encoded = await encodeManifest(manifest, this.#writeKey);
    await this.#driver.put(snapshotKey(manifest.backup_id), encoded.bytes, {
      signal: options.signal,
      contentLength: encoded.bytes.length,
    });
    return { storedBytes: encoded.bytes.length };
  }

  /**
   * @throws BackupError `backup_not_found`, `key_not_found` / `key_mismatch`, `integrity_error`
   * (tampered, or a manifest of another backup put in its place).
   */
  async readManifest(backupId: string, options: DriverCallOptions = {}): Promise<Manifest> {
    assertBackupId(backupId);
    let stored: Buffer;
    try {
      stored = await readObject(this.#driver, snapshotKey(backupId), MAX_MANIFEST_BYTES, options);
    } catch (error) {
      if (isBackupError(error, 'not_found')) {
        throw new BackupError('backup_not_found', `Backup ${backupId} is not in the repository`, {
          details: { backup_id: backupId },
        });
      }
      throw error;
    }
    return decodeManifest(stored, backupId, (dataKeyId) => this.#keys.resolve(dataKeyId));
  }

  async hasSnapshot(backupId: string, options: DriverCallOptions = {}): Promise<boolean> {
    assertBackupId(backupId);
    return (await this.#driver.head(snapshotKey(backupId), options)) !== null;
  }

  /** Committed backup ids (one listing of `snapshots/`). */
  async listSnapshotIds(options: DriverCallOptions = {}): Promise<string[]> {
    const ids: string[] = [];
    for await (const info of this.#driver.list(SNAPSHOTS_PREFIX, options)) {
      const id = backupIdFromKey(info.key);
      if (id) ids.push(id);
    }
    return ids.sort();
  }

  async deleteSnapshot(backupId: string, options: DriverCallOptions = {}): Promise<void> {
    assertBackupId(backupId);
    await this.#driver.delete(snapshotKey(backupId), options);
  }
}

function chunkAad(id: string): Buffer {
  return Buffer.from(`backupkit:chunk:${id}`, 'utf8');
}

function assertChunkId(id: string): void {
  if (!CHUNK_ID.test(id)) {
    throw new BackupError('invalid_request', 'A chunk id is 64 lowercase hex characters', {
      details: { chunk_id: id },
    });
  }
}

function assertBackupId(id: string): void {
  if (!BACKUP_ID.test(id)) {
    throw new BackupError('invalid_request', 'Invalid backup id', { details: { backup_id: id } });
  }
}
