import { createHash } from 'node:crypto';
import { BackupError } from '../errors.js';
import type { DriverCallOptions, StorageDriver } from '../storage/storage-driver.js';
import { decodeObject, encodeObject } from './chunk-codec.js';
import type { DataKey } from './data-key.js';
import { CHUNK_ID, indexKey } from './layout.js';
import { metadataCompression } from './manifest-codec.js';
import { readObject } from './object-io.js';
import type { PackBlob } from './pack-format.js';

// An index object maps the blobs of some packs to their places: JSON
// `{"version":1,"supersedes":[index names],"packs":[{"name":…,"key":…,"blobs":[[id,offset,length,size],…]}]}`,
// compressed and stored with the object layout, sealed under the data key its packs are sealed
// with (`key`, the data key id, or null in the clear; one key per index object), and named by
// the SHA-256 of its stored bytes. `supersedes` names index objects this one replaces (garbage
// collection's consolidation): a reader that finds both may ignore the older ones.

export interface IndexedPack {
  name: string;
  /** The data key id its header and blobs are sealed with; null when in the clear. */
  key: string | null;
  blobs: PackBlob[];
}

export interface IndexContent {
  supersedes: string[];
  packs: IndexedPack[];
}

/** Blobs per index object: keeps one object's JSON to a few MiB, however large a repack. */
export const MAX_BLOBS_PER_INDEX = 50_000;
const MAX_INDEX_PLAINTEXT = 256 * 1024 * 1024;
const INDEX_AAD = Buffer.from('backupkit:index', 'utf8');
const PACK_NAME = /^[0-9a-f]{64}$/;
const DATA_KEY_ID = /^[0-9a-f]{32}$/;

/**
 * Writes one index object, sealed under `key` (the key every one of its packs names); returns its name.
 * @throws BackupError `internal_error` when a pack is sealed under another key.
 */
export async function writeIndex(
  driver: StorageDriver,
  content: IndexContent,
  key: DataKey | null,
  options: DriverCallOptions = {},
): Promise<string> {
  const keyId = key?.id ?? null;
  const stranger = content.packs.find((pack) => pack.key !== keyId);
  if (stranger) {
    throw new BackupError(
      'internal_error',
      `Pack ${stranger.name} is sealed under another key than its index`,
      {
        details: { pack: stranger.name },
      },
    );
  }
  const json = {
    version: 1,
    supersedes: content.supersedes,
    packs: content.packs.map((pack) => ({
      name: pack.name,
      key: pack.key,
      blobs: pack.blobs.map((b) => [b.id, b.offset, b.length, b.size]),
    })),
  };
  const plaintext = Buffer.from(JSON.stringify(json), 'utf8');
  const { bytes } = await encodeObject(plaintext, {
    compression: metadataCompression(),
    aad: INDEX_AAD,
    key,
  });
  const name = createHash('sha256').update(bytes).digest('hex');
  await driver.put(indexKey(name), bytes, { ...options, contentLength: bytes.length });
  return name;
}

/**
 * Reads and checks one index object.
 * @throws BackupError `integrity_error` (damaged, renamed or malformed), `not_found`, key errors.
 */
export async function readIndex(
  driver: StorageDriver,
  name: string,
  resolveKey: (dataKeyId: string) => Promise<DataKey>,
  options: DriverCallOptions = {},
): Promise<IndexContent> {
  const label = `Index ${name}`;
  const details = { index: name };
  const stored = await readObject(driver, indexKey(name), MAX_INDEX_PLAINTEXT, options);
  if (createHash('sha256').update(stored).digest('hex') !== name) {
    throw new BackupError('integrity_error', `${label} does not match its name`, { details });
  }
  const plaintext = await decodeObject(stored, {
    aad: INDEX_AAD,
    resolveKey,
    maxPlaintext: MAX_INDEX_PLAINTEXT,
    label,
    details,
  });
  try {
    return parseIndex(JSON.parse(plaintext.toString('utf8')));
  } catch (error) {
    throw new BackupError('integrity_error', `${label} is malformed`, { details, cause: error });
  }
}

function parseIndex(value: unknown): IndexContent {
  const json = value as { version?: unknown; supersedes?: unknown; packs?: unknown };
  if (json?.version !== 1 || !Array.isArray(json.supersedes) || !Array.isArray(json.packs)) {
    throw new Error('not an index of version 1');
  }
  const supersedes = json.supersedes.map((name) => {
    if (typeof name !== 'string' || !PACK_NAME.test(name)) throw new Error('bad superseded index name');
    return name;
  });
  const packs = json.packs.map((raw): IndexedPack => {
    const pack = raw as { name?: unknown; key?: unknown; blobs?: unknown };
    if (typeof pack.name !== 'string' || !PACK_NAME.test(pack.name) || !Array.isArray(pack.blobs)) {
      throw new Error('bad pack entry');
    }
    if (pack.key !== null && (typeof pack.key !== 'string' || !DATA_KEY_ID.test(pack.key))) {
      throw new Error('bad pack key');
    }
    const blobs = pack.blobs.map((blob): PackBlob => {
      const [id, offset, length, size] = blob as unknown[];
      if (typeof id !== 'string' || !CHUNK_ID.test(id) || ![offset, length, size].every(isUint32)) {
        throw new Error('bad blob entry');
      }
      return { id, offset: offset as number, length: length as number, size: size as number };
    });
    return { name: pack.name, key: pack.key, blobs };
  });
  return { supersedes, packs };
}

function isUint32(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** Splits packs into index objects of at most {@link MAX_BLOBS_PER_INDEX} blobs (a pack is never split). */
export function indexBatches(packs: readonly IndexedPack[]): IndexedPack[][] {
  const batches: IndexedPack[][] = [];
  let batch: IndexedPack[] = [];
  let blobs = 0;
  for (const pack of packs) {
    if (batch.length > 0 && blobs + pack.blobs.length > MAX_BLOBS_PER_INDEX) {
      batches.push(batch);
      batch = [];
      blobs = 0;
    }
    batch.push(pack);
    blobs += pack.blobs.length;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
