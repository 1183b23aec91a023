import { BackupError, isBackupError } from '../errors.js';
import type { KeyProvider, WrappedKey } from '../keys/key-provider.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { DATA_KEY_ID, type DataKey, deriveDataKey, newDataKeyMaterial } from './data-key.js';
import { dataKeyKey, KEYS_PREFIX } from './layout.js';
import { readObject } from './object-io.js';

/** `keys/<id>.json`: one data key wrapped under one master key. Immutable once written. */
export interface DataKeyRecord {
  format: 1;
  id: string;
  key_id: string;
  /** How chunk payloads are encrypted with it. */
  algorithm: 'AES-256-GCM';
  wrapped: WrappedKey;
  created_at: string;
}

const MAX_KEY_RECORD_BYTES = 64 * 1024;

/**
 * The repository's data keys. Each is a separate immutable object with a random name, so two
 * processes initialising the same repository at once both keep their keys (nothing is ever
 * overwritten); readers find the right one through the id in each object's header.
 */
export class KeyStore {
  readonly #driver: StorageDriver;
  readonly #provider: KeyProvider | undefined;
  #records = new Map<string, DataKeyRecord>();
  readonly #unwrapped = new Map<string, Promise<DataKey>>();

  constructor(driver: StorageDriver, provider: KeyProvider | undefined) {
    this.#driver = driver;
    this.#provider = provider;
  }

  /** Re-reads `keys/`. */
  async refresh(): Promise<void> {
    const records = new Map<string, DataKeyRecord>();
    for await (const info of this.#driver.list(KEYS_PREFIX)) {
      const name = info.key.slice(KEYS_PREFIX.length);
      if (!name.endsWith('.json') || !DATA_KEY_ID.test(name.slice(0, -5))) continue;
      const record = await this.#readRecord(name.slice(0, -5));
      if (record) records.set(record.id, record);
    }
    this.#records = records;
  }

  /** Data key ids wrapped under master key `keyId`, oldest name order. */
  idsFor(keyId: string): string[] {
    return [...this.#records.values()]
      .filter((r) => r.key_id === keyId)
      .map((r) => r.id)
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
    const provider = this.#requireProvider(keyId);
    if (!(await provider.hasKey(keyId))) {
      throw new BackupError('key_not_found', `No master key with id "${keyId}" is configured`, {
        details: { key_id: keyId },
      });
    }
    if (this.idsFor(keyId).length === 0) {
      if (!create) {
        throw new BackupError(
          'key_not_found',
          `The repository has no data key wrapped under master key "${keyId}"`,
          {
            details: { key_id: keyId },
          },
        );
      }
      const { id, material } = newDataKeyMaterial();
      const record: DataKeyRecord = {
        format: 1,
        id,
        key_id: keyId,
        algorithm: 'AES-256-GCM',
        wrapped: await provider.wrapKey(keyId, material),
        created_at: new Date().toISOString(),
      };
      material.fill(0);
      await this.#driver.put(dataKeyKey(id), Buffer.from(`${JSON.stringify(record, null, 2)}\n`));
      await this.refresh();
      if (!this.#records.has(id)) this.#records.set(id, record);
    }
    return this.resolve(this.idsFor(keyId)[0]!);
  }

  /**
   * The unwrapped data key with this id (cached).
   * @throws BackupError `integrity_error` when the repository has no such data key, `key_not_found`
   * when its master key is not configured, `key_mismatch`.
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
    let record = this.#records.get(dataKeyId);
    if (!record) {
      record = (await this.#readRecord(dataKeyId)) ?? undefined;
      if (!record) {
        // Object headers are authenticated only after decryption, so an unknown data key id is
        // either a damaged header or a deleted key file: both are damage to the repository.
        throw new BackupError('integrity_error', `Data key ${dataKeyId} is not in the repository`, {
          details: { data_key_id: dataKeyId },
        });
      }
      this.#records.set(dataKeyId, record);
    }
    const provider = this.#requireProvider(record.key_id);
    const material = await provider.unwrapKey(record.key_id, record.wrapped);
    if (material.length !== 32) {
      throw new BackupError('key_mismatch', `Data key ${dataKeyId} did not unwrap to 32 bytes`, {
        details: { key_id: record.key_id, data_key_id: dataKeyId },
      });
    }
    const key = deriveDataKey(dataKeyId, record.key_id, material);
    material.fill(0);
    return key;
  }

  async #readRecord(dataKeyId: string): Promise<DataKeyRecord | null> {
    let bytes: Buffer;
    try {
      bytes = await readObject(this.#driver, dataKeyKey(dataKeyId), MAX_KEY_RECORD_BYTES);
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
      throw new BackupError('corrupt_repository', `Data key record ${dataKeyId} is malformed`, {
        details: { data_key_id: dataKeyId },
        cause: error,
      });
    }
  }

  #requireProvider(keyId: string): KeyProvider {
    if (!this.#provider) {
      throw new BackupError(
        'key_not_found',
        `Master key "${keyId}" is needed but no key provider is configured`,
        {
          details: { key_id: keyId },
        },
      );
    }
    return this.#provider;
  }
}
