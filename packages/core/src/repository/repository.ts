import { createHash } from 'node:crypto';
import { BackupError, isBackupError } from '../errors.js';
import type { KeyProvider } from '../keys/key-provider.js';
import type { DriverCallOptions, StorageDriver } from '../storage/storage-driver.js';
import type { BlobFetcher } from './blob-fetcher.js';
import type { ChunkBufferPool } from './chunk-buffer-pool.js';
import { encodeObject } from './chunk-codec.js';
import type { ChunkReader } from './chunk-decoder.js';
import { type ChunkEncoder, createInProcessEncoder } from './chunk-encoder.js';
import type { BlobLocation } from './chunk-index.js';
import { chunkAad, createChunkReader, decodeChunk } from './chunk-reading.js';
import type { ChunkerParams } from './chunker.js';
import { type CompressionSetting, normalizeCompression } from './compression.js';
import { type DataKey, hmacChunkId } from './data-key.js';
import { GEAR } from './gear-scan.js';
import type { IndexedPack } from './index-format.js';
import type { LoadedIndex } from './index-loader.js';
import { type DataKeyRecord, KeyStore, type WrapUnderResult } from './key-store.js';
import {
  BACKUP_ID,
  backupIdFromKey,
  CHUNK_ID,
  REPO_CONFIG_KEY,
  SNAPSHOTS_PREFIX,
  snapshotKey,
} from './layout.js';
import type { CompressionAlgorithm, Manifest } from './manifest.js';
import { decodeManifest, encodeManifest, MAX_MANIFEST_BYTES } from './manifest-codec.js';
import { readObject } from './object-io.js';
import { PackStore, type StoredChunkInfo } from './pack-store.js';
import type { PackWriter, WrittenPack } from './pack-writer.js';
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
  readonly #packs: PackStore;

  private constructor(driver: StorageDriver, config: RepoConfig, keys: KeyStore, writeKey: DataKey | null) {
    this.#driver = driver;
    this.#config = config;
    this.#keys = keys;
    this.#writeKey = writeKey;
    this.#packs = new PackStore(driver, (id) => keys.resolve(id), config.pack.target_size, writeKey);
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

  /** The chunk index: see {@link PackStore.loadIndex}. */
  loadIndex(options: DriverCallOptions = {}): Promise<LoadedIndex> {
    return this.#packs.loadIndex(options);
  }

  /** Re-reads the chunk index from storage (another process may have written or repacked). */
  refreshIndex(options: DriverCallOptions = {}): Promise<LoadedIndex> {
    return this.#packs.refreshIndex(options);
  }

  /** Drops the loaded index: the next use reads it again (after this handle changed storage). */
  forgetIndex(): void {
    this.#packs.forgetIndex();
  }

  /** Where a chunk is stored, or undefined when no pack holds it. */
  locateChunk(id: string, options: DriverCallOptions = {}): Promise<BlobLocation | undefined> {
    assertChunkId(id);
    return this.#packs.locateChunk(id, options);
  }

  async hasChunk(id: string, options: DriverCallOptions = {}): Promise<boolean> {
    return (await this.locateChunk(id, options)) !== undefined;
  }

  /** Every stored chunk with its stored size (from the index). */
  listChunks(options: DriverCallOptions = {}): AsyncIterable<StoredChunkInfo> {
    return this.#packs.listChunks(options);
  }

  /** A writer of this run's encoded chunks into packs: see {@link PackStore.createPackWriter}. */
  createPackWriter(options: DriverCallOptions = {}): PackWriter {
    return this.#packs.createPackWriter(options);
  }

  /** A pack writer sealing under data key `dataKeyId`: see {@link PackStore.createPackWriterFor}. */
  createPackWriterFor(dataKeyId: string | null, options: DriverCallOptions = {}): Promise<PackWriter> {
    return this.#packs.createPackWriterFor(dataKeyId, options);
  }

  /** Index objects for a run's packs, before its manifest: see {@link PackStore.commitPacks}. */
  commitPacks(packs: readonly WrittenPack[], options: DriverCallOptions = {}): Promise<string[]> {
    return this.#packs.commitPacks(packs, options);
  }

  /** Index objects for `packs`: see {@link PackStore.writeIndexes}. */
  writeIndexes(
    packs: readonly IndexedPack[],
    supersedes: readonly string[],
    options: DriverCallOptions = {},
  ): Promise<string[]> {
    return this.#packs.writeIndexes(packs, supersedes, options);
  }

  /** Folds many index objects into one: see {@link PackStore.consolidateIndex}. */
  consolidateIndex(options: DriverCallOptions & { minObjects?: number } = {}): Promise<number> {
    return this.#packs.consolidateIndex(options);
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
    return decodeChunk(id, await this.readStoredChunk(id, options), (dataKeyId) =>
      this.#keys.resolve(dataKeyId),
    );
  }

  /**
   * A reader whose `getChunk` does what {@link getChunk} does, with decryption, decompression
   * and the id check in `workers` worker threads (0 = on the calling thread), blobs read by
   * range with neighbours coalesced, and `sequence` for an entry's chunks. Close it when done.
   */
  createChunkReader(options: { workers?: number } = {}): ChunkReader {
    return createChunkReader(
      {
        driver: this.#driver,
        maxChunkSize: this.chunkerParams.maxSize,
        loadIndex: (o) => this.loadIndex(o),
        readStoredChunk: (id, o) => this.readStoredChunk(id, o),
        resolveKey: (dataKeyId) => this.#keys.resolve(dataKeyId),
      },
      Math.max(0, Math.floor(options.workers ?? 0)),
    );
  }

  /** A chunk's stored bytes: see {@link PackStore.readStoredChunk}. */
  readStoredChunk(id: string, options: DriverCallOptions & { fetcher?: BlobFetcher } = {}): Promise<Buffer> {
    return this.#packs.readStoredChunk(id, options);
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
