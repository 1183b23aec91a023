import { BackupError, isBackupError } from '../errors.js';
import type { DriverCallOptions, ObjectInfo, StorageDriver } from '../storage/storage-driver.js';
import { forEachConcurrent } from '../util/concurrency.js';
import { ChunkIndex } from './chunk-index.js';
import type { DataKey } from './data-key.js';
import { type IndexedPack, readIndex } from './index-format.js';
import { INDEX_PREFIX, indexNameFromKey, PACKS_PREFIX, packNameFromKey } from './layout.js';
import { type PackBlob, readPackHeader } from './pack-format.js';

/** What the repository's storage says about where chunks are, as of one load. */
export interface LoadedIndex {
  chunks: ChunkIndex;
  /** Every pack under `data/`, by name. */
  packs: Map<string, ObjectInfo>;
  /** The data key id each indexed pack is sealed with (null: in the clear). */
  packKeys: Map<string, string | null>;
  /** Index objects read whole. */
  indexNames: string[];
  /** Index objects that failed their checks (damaged, renamed): their packs were read from headers. */
  damagedIndexes: Array<{ name: string; error: BackupError }>;
  /** Packs no readable index covers (a crashed run's, or a damaged index's), read from their headers. */
  unindexedPacks: IndexedPack[];
  /** Packs in no readable index whose header does not read either: their chunks are unknown. */
  damagedPacks: Array<{ name: string; error: BackupError }>;
  /** Objects sealed under a data key this process cannot open (another master key's writers). */
  unreadable: Array<{ key: string; error: BackupError }>;
}

const READS_AT_ONCE = 8;

/**
 * Loads the chunk index: lists `data/` and `index/`, reads every index object, keeps the
 * locations whose pack exists, and reads the header of each pack no readable index covers, so
 * a crashed run's packs are reused and a lost or damaged index object costs nothing but reads.
 * Never writes.
 */
export async function loadIndex(
  driver: StorageDriver,
  resolveKey: (dataKeyId: string) => Promise<DataKey>,
  options: DriverCallOptions = {},
): Promise<LoadedIndex> {
  const packs = new Map<string, ObjectInfo>();
  for await (const info of driver.list(PACKS_PREFIX, options)) {
    const name = packNameFromKey(info.key);
    if (name) packs.set(name, info);
  }
  const indexNames: string[] = [];
  for await (const info of driver.list(INDEX_PREFIX, options)) {
    const name = indexNameFromKey(info.key);
    if (name) indexNames.push(name);
  }
  indexNames.sort();

  const loaded: LoadedIndex = {
    chunks: new ChunkIndex(),
    packs,
    packKeys: new Map(),
    indexNames: [],
    damagedIndexes: [],
    unindexedPacks: [],
    damagedPacks: [],
    unreadable: [],
  };
  const covered = new Set<string>();
  const addPack = (pack: IndexedPack) => {
    covered.add(pack.name);
    loaded.packKeys.set(pack.name, pack.key);
    for (const blob of pack.blobs) loaded.chunks.add(blob.id, { pack: pack.name, ...blob });
  };
  await forEachConcurrent(indexNames, READS_AT_ONCE, async (name) => {
    try {
      const content = await readIndex(driver, name, resolveKey, options);
      loaded.indexNames.push(name);
      for (const pack of content.packs) if (packs.has(pack.name)) addPack(pack);
    } catch (error) {
      if (isKeyError(error)) loaded.unreadable.push({ key: `index/${name}`, error });
      else if (isBackupError(error, 'integrity_error')) loaded.damagedIndexes.push({ name, error });
      else if (!isBackupError(error, 'not_found')) throw error; // removed while we listed
    }
  });
  loaded.indexNames.sort();

  const uncovered = [...packs.keys()].filter((name) => !covered.has(name)).sort();
  await forEachConcurrent(uncovered, READS_AT_ONCE, async (name) => {
    try {
      const pack = {
        name,
        ...(await readPackHeader(driver, name, packs.get(name)!.size, resolveKey, options)),
      };
      loaded.unindexedPacks.push(pack);
      addPack(pack);
    } catch (error) {
      if (isKeyError(error)) loaded.unreadable.push({ key: `data/${name}`, error });
      else if (isBackupError(error, 'integrity_error')) loaded.damagedPacks.push({ name, error });
      else if (isBackupError(error, 'not_found')) packs.delete(name);
      else throw error;
    }
  });
  return loaded;
}

function isKeyError(error: unknown): error is BackupError {
  return isBackupError(error, 'key_not_found') || isBackupError(error, 'key_mismatch');
}

/**
 * Every listed pack with the blobs the loaded index places in it, in offset order (a chunk
 * stored twice counts in the pack the index chose). Unreadable packs are left out.
 */
export function indexedPacks(loaded: LoadedIndex): IndexedPack[] {
  const blobsOf = new Map<string, PackBlob[]>();
  for (const [id, location] of loaded.chunks.entries()) {
    const blobs = blobsOf.get(location.pack) ?? [];
    blobs.push({ id, offset: location.offset, length: location.length, size: location.size });
    blobsOf.set(location.pack, blobs);
  }
  const damaged = new Set(loaded.damagedPacks.map((d) => d.name));
  return [...loaded.packs.keys()]
    .filter((name) => !damaged.has(name) && !loaded.unreadable.some((u) => u.key === `data/${name}`))
    .map((name) => {
      // Sealing an index under the wrong key (or none) would expose what the pack hides.
      const key = loaded.packKeys.get(name);
      if (key === undefined) {
        throw new BackupError('internal_error', `Pack ${name} is indexed without its data key`, {
          details: { pack: name },
        });
      }
      return { name, key, blobs: (blobsOf.get(name) ?? []).sort((a, b) => a.offset - b.offset) };
    });
}
