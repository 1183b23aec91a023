import { randomBytes } from 'node:crypto';
import { BackupError, isBackupError } from '../errors.js';
import type { KeyProvider, WrappedKey } from '../keys/key-provider.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { DATA_KEY_ID, type DataKey, deriveDataKey, newDataKeyMaterial } from './data-key.js';
import { dataKeyKey, dataKeyWrappingKey, KEYS_PREFIX } from './layout.js';
import { readObject } from './object-io.js';

/**
 * One data key wrapped under one master key: `keys/<id>.json` (written with the data key), or
 * `keys/<id>.<wrapping id>.json` (the same data key wrapped under a further master key, by
 * {@link KeyStore.wrapUnder}). Immutable once written.
 */
export interface DataKeyRecord {
  format: 1;
  id: string;
  key_id: string;
  /** How chunk payloads are encrypted with it. */
  algorithm: 'AES-256-GCM';
  wrapped: WrappedKey;
  created_at: string;
}

/** What {@link KeyStore.wrapUnder} did with each data key. */
export interface WrapUnderResult {
  /** Data keys now also wrapped under the new master key. */
  added: string[];
  /** Data keys that already were. */
  already: string[];
  /** Data keys none of the configured master keys opens (left as they are). */
  unopened: string[];
}

const MAX_KEY_RECORD_BYTES = 64 * 1024;
/** `<data key id>.json` or `<data key id>.<wrapping id>.json` under `keys/`. */
const RECORD_NAME = /^([0-9a-f]{32})(?:\.([0-9a-f]{16}))?\.json$/;

/**
 * The repository's data keys. Each wrapping is a separate immutable object with a random name,
 * so two processes initialising the same repository at once both keep their keys (nothing is
 * ever overwritten); readers find the right one through the id in each object's header, and
 * open it with whichever of its wrappings a configured master key opens.
 */
export class KeyStore {
  readonly #driver: StorageDriver;
  readonly #provider: KeyProvider | undefined;
  /** Wrappings by data key id, the original first. */
  #records = new Map<string, DataKeyRecord[]>();
  readonly #unwrapped = new Map<string, Promise<DataKey>>();

  constructor(driver: StorageDriver, provider: KeyProvider | undefined) {
    this.#driver = driver;
    this.#provider = provider;
  }

  /** Re-reads `keys/`. */
  async refresh(): Promise<void> {
    this.#records = await this.#readRecords(KEYS_PREFIX);
  }

  /** Every wrapping of every data key, as last read. */
  records(): DataKeyRecord[] {
    return [...this.#records.values()].flat();
  }

  /** Data key ids wrapped under master key `keyId`, oldest name order. */
  idsFor(keyId: string): string[] {
    return [...this.#records.entries()]
      .filter(([, wrappings]) => wrappings.some((r) => r.key_id === keyId))
      .map(([id]) => id)
      .sort();
  }

  /**
   * The data key new objects are written with under master key `keyId`: the lowest-named one
   * wrapped under it, created when there is none (then re-listed, so concurrent initialisers
   * converge on one key in the common case and never lose one in any case).
   * With `create` false a missing data key is `key_not_found` instead (readers never write).
   * @throws BackupError `key_not_found`, `key_mismatch`.
   */
  async writeKey(keyId: string, create = true): Promise<DataKey> {
    const provider = await this.#providerWith(keyId);
    if (this.idsFor(keyId).length === 0) {
      if (!create) {
        throw new BackupError(
          'key_not_found',
          `The repository has no data key wrapped under master key "${keyId}"`,
          { details: { key_id: keyId } },
        );
      }
      const { id, material } = newDataKeyMaterial();
      const record = await this.#wrap(provider, id, keyId, material);
      material.fill(0);
      await this.#driver.put(dataKeyKey(id), recordBytes(record));
      await this.refresh();
      if (!this.#records.has(id)) this.#records.set(id, [record]);
    }
    return this.resolve(this.idsFor(keyId)[0]!);
  }

  /**
   * Wraps every data key the configured master keys open under master key `keyId` too, so that
   * `keyId` alone opens the repository (rotation without re-encrypting anything). Existing
   * wrappings stay: removing the old master key from the host is what retires it.
   * @throws BackupError `key_not_found` when `keyId` is not configured.
   */
  async wrapUnder(keyId: string): Promise<WrapUnderResult> {
    const provider = await this.#providerWith(keyId);
    await this.refresh();
    const result: WrapUnderResult = { added: [], already: [], unopened: [] };
    for (const [id, wrappings] of [...this.#records.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (wrappings.some((r) => r.key_id === keyId)) {
        result.already.push(id);
        continue;
      }
      let material: Buffer;
      try {
        ({ material } = await this.#unwrapMaterial(id, wrappings));
      } catch (error) {
        if (isBackupError(error, 'key_not_found') || isBackupError(error, 'key_mismatch')) {
          result.unopened.push(id);
          continue;
        }
        throw error;
      }
      try {
        const record = await this.#wrap(provider, id, keyId, material);
        await this.#driver.put(dataKeyWrappingKey(id, randomBytes(8).toString('hex')), recordBytes(record));
        wrappings.push(record);
        result.added.push(id);
      } finally {
        material.fill(0);
      }
    }
    return result;
  }

  /**
   * The unwrapped data key with this id (cached).
   * @throws BackupError `integrity_error` when the repository has no such data key, `key_not_found`
   * when none of its master keys is configured, `key_mismatch`.
   */
  resolve(dataKeyId: string): Promise<DataKey> {
    let pending = this.#unwrapped.get(dataKeyId);
    if (!pending) {
      pending = this.#unwrap(dataKeyId);
      this.#unwrapped.set(dataKeyId, pending);
      // A failed lookup may succeed later (the key file appears, the provider gets the key).
      pending.catch(() => this.#unwrapped.delete(dataKeyId));
    }
    return pending;
  }

  async #unwrap(dataKeyId: string): Promise<DataKey> {
    let wrappings = this.#records.get(dataKeyId);
    if (!wrappings) {
      wrappings = (await this.#readRecords(`${KEYS_PREFIX}${dataKeyId}.`)).get(dataKeyId);
      if (!wrappings) {
        // Object headers are authenticated only after decryption, so an unknown data key id is
        // either a damaged header or a deleted key file: both are damage to the repository.
        throw new BackupError('integrity_error', `Data key ${dataKeyId} is not in the repository`, {
          details: { data_key_id: dataKeyId },
        });
      }
      this.#records.set(dataKeyId, wrappings);
    }
    const { material, keyId } = await this.#unwrapMaterial(dataKeyId, wrappings);
    const key = deriveDataKey(dataKeyId, keyId, material);
    material.fill(0);
    return key;
  }

  /**
   * The data key's bytes, from the first wrapping whose master key is configured and opens it
   * (the caller zeroes them).
   * @throws BackupError `key_not_found` when no wrapping's master key is configured, else the
   *   first wrapping's error (`key_mismatch`).
   */
  async #unwrapMaterial(
    dataKeyId: string,
    wrappings: DataKeyRecord[],
  ): Promise<{ material: Buffer; keyId: string }> {
    const provider = this.#requireProvider(wrappings[0]!.key_id);
    const configured: DataKeyRecord[] = [];
    for (const record of wrappings) if (await provider.hasKey(record.key_id)) configured.push(record);
    // None configured: the first wrapping's lookup says which key is missing.
    const candidates = configured.length > 0 ? configured : wrappings.slice(0, 1);
    let firstError: unknown;
    for (const record of candidates) {
      try {
        const material = await provider.unwrapKey(record.key_id, record.wrapped);
        if (material.length !== 32) {
          material.fill(0);
          throw new BackupError('key_mismatch', `Data key ${dataKeyId} did not unwrap to 32 bytes`, {
            details: { key_id: record.key_id, data_key_id: dataKeyId },
          });
        }
        return { material, keyId: record.key_id };
      } catch (error) {
        firstError ??= error;
      }
    }
    throw firstError;
  }

  async #wrap(provider: KeyProvider, id: string, keyId: string, material: Buffer): Promise<DataKeyRecord> {
    return {
      format: 1,
      id,
      key_id: keyId,
      algorithm: 'AES-256-GCM',
      wrapped: await provider.wrapKey(keyId, material),
      created_at: new Date().toISOString(),
    };
  }

  /** The wrappings listed under `prefix`, by data key id, each id's original first. */
  async #readRecords(prefix: string): Promise<Map<string, DataKeyRecord[]>> {
    const found: { name: string; id: string; wrapping: string }[] = [];
    for await (const info of this.#driver.list(prefix)) {
      const name = info.key.slice(KEYS_PREFIX.length);
      const match = RECORD_NAME.exec(name);
      if (match && DATA_KEY_ID.test(match[1]!)) found.push({ name, id: match[1]!, wrapping: match[2] ?? '' });
    }
    // The original (no wrapping id) sorts first, then further wrappings in name order.
    found.sort((a, b) => a.id.localeCompare(b.id) || a.wrapping.localeCompare(b.wrapping));
    const records = new Map<string, DataKeyRecord[]>();
    for (const { name, id } of found) {
      const record = await this.#readRecord(name, id);
      if (record) records.set(id, [...(records.get(id) ?? []), record]);
    }
    return records;
  }

  async #readRecord(name: string, dataKeyId: string): Promise<DataKeyRecord | null> {
    let bytes: Buffer;
    try {
      bytes = await readObject(this.#driver, `${KEYS_PREFIX}${name}`, MAX_KEY_RECORD_BYTES);
    } catch (error) {
      if (isBackupError(error, 'not_found')) return null;
      throw error;
    }
    try {
      const record = JSON.parse(bytes.toString('utf8')) as DataKeyRecord;
      if (record.id !== dataKeyId || typeof record.key_id !== 'string' || !record.wrapped)
        throw new Error('fields');
      return record;
    } catch (error) {
      throw new BackupError('corrupt_repository', `Data key record ${name} is malformed`, {
        details: { data_key_id: dataKeyId },
        cause: error,
      });
    }
  }

  /** The provider, holding master key `keyId`. @throws BackupError `key_not_found` */
  async #providerWith(keyId: string): Promise<KeyProvider> {
    const provider = this.#requireProvider(keyId);
    if (!(await provider.hasKey(keyId))) {
      throw new BackupError('key_not_found', `No master key with id "${keyId}" is configured`, {
        details: { key_id: keyId },
      });
    }
    return provider;
  }

  #requireProvider(keyId: string): KeyProvider {
    if (!this.#provider) {
      throw new BackupError(
        'key_not_found',
        `Master key "${keyId}" is needed but no key provider is configured`,
        { details: { key_id: keyId } },
      );
    }
    return this.#provider;
  }
}

function recordBytes(record: DataKeyRecord): Buffer {
  return Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
}
