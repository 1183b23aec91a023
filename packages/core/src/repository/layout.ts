/** Object keys of the repository format, relative to the driver's root. */
export const REPO_CONFIG_KEY = 'repo.json';
export const KEYS_PREFIX = 'keys/';
/** Pack files: `data/<2 hex>/<64 hex>`, named by the SHA-256 of their bytes. */
export const PACKS_PREFIX = 'data/';
/** Index objects: `index/<64 hex>`, named by the SHA-256 of their bytes. */
export const INDEX_PREFIX = 'index/';
export const SNAPSHOTS_PREFIX = 'snapshots/';
export const LOCKS_PREFIX = 'locks/';

export const CHUNK_ID = /^[0-9a-f]{64}$/;
const PACK_KEY = /^data\/([0-9a-f]{2})\/([0-9a-f]{64})$/;
const INDEX_KEY = /^index\/([0-9a-f]{64})$/;
/** Backup ids become object names: keep them to a safe, portable alphabet. */
export const BACKUP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function packKey(name: string): string {
  return `${PACKS_PREFIX}${name.slice(0, 2)}/${name}`;
}

/** The pack name a key names, or null for anything else under `data/` (temp files, strays). */
export function packNameFromKey(key: string): string | null {
  const match = PACK_KEY.exec(key);
  if (!match || !match[2]!.startsWith(match[1]!)) return null;
  return match[2]!;
}

export function indexKey(name: string): string {
  return `${INDEX_PREFIX}${name}`;
}

/** The index object name a key names, or null for anything else under `index/`. */
export function indexNameFromKey(key: string): string | null {
  return INDEX_KEY.exec(key)?.[1] ?? null;
}

export function snapshotKey(backupId: string): string {
  return `${SNAPSHOTS_PREFIX}${backupId}.json`;
}

export function backupIdFromKey(key: string): string | null {
  if (!key.startsWith(SNAPSHOTS_PREFIX) || !key.endsWith('.json')) return null;
  const id = key.slice(SNAPSHOTS_PREFIX.length, -'.json'.length);
  return BACKUP_ID.test(id) ? id : null;
}

export function dataKeyKey(dataKeyId: string): string {
  return `${KEYS_PREFIX}${dataKeyId}.json`;
}

/**
 * A further wrapping of data key `dataKeyId` under another master key (`key add`):
 * `keys/<data key id>.<wrapping id>.json`, `wrappingId` 16 random hex.
 */
export function dataKeyWrappingKey(dataKeyId: string, wrappingId: string): string {
  return `${KEYS_PREFIX}${dataKeyId}.${wrappingId}.json`;
}
