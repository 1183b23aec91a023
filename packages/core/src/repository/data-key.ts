import { createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * A repository data key, unwrapped, with the subkeys derived from it. Never stored or logged
 * in this form; `keys/<id>.json` holds it wrapped by a master key.
 */
export interface DataKey {
  /** 32 hex chars: the name of `keys/<id>.json` and the 16 bytes in each chunk header. */
  readonly id: string;
  readonly idBytes: Buffer;
  /** The master key id this data key is wrapped under. */
  readonly keyId: string;
  /** AES-256-GCM key for chunk and manifest payloads. */
  readonly encryptionKey: Buffer;
  /** HMAC-SHA-256 key for chunk ids (so ids do not reveal content hashes). */
  readonly idKey: Buffer;
  /**
   * The chunker's gear table for writers under this key: boundaries of the same data differ
   * between keys, so chunk sizes in storage say nothing about known content without the key.
   */
  readonly chunkerGear: Int32Array;
}

export const DATA_KEY_BYTES = 32;
const GEAR_ENTRIES = 256;
export const DATA_KEY_ID = /^[0-9a-f]{32}$/;

/** Derives the subkeys (HKDF-SHA-256) from the raw data key. */
export function deriveDataKey(id: string, keyId: string, material: Uint8Array): DataKey {
  const derive = (info: string, bytes = 32) =>
    Buffer.from(hkdfSync('sha256', material, Buffer.from(id, 'hex'), Buffer.from(info, 'utf8'), bytes));
  const gear = derive('backupkit/v2/chunker-gear', GEAR_ENTRIES * 4);
  return {
    id,
    idBytes: Buffer.from(id, 'hex'),
    keyId,
    encryptionKey: derive('backupkit/v1/encryption'),
    idKey: derive('backupkit/v1/chunk-id'),
    chunkerGear: Int32Array.from({ length: GEAR_ENTRIES }, (_, i) => gear.readInt32LE(i * 4)),
  };
}

export function newDataKeyMaterial(): { id: string; material: Buffer } {
  return { id: randomBytes(16).toString('hex'), material: randomBytes(DATA_KEY_BYTES) };
}

/** Chunk id under a data key: HMAC-SHA-256 hex. */
export function hmacChunkId(key: DataKey, data: Uint8Array): string {
  return createHmac('sha256', key.idKey).update(data).digest('hex');
}
