import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BackupError } from '../errors.js';
import type { KeyProvider, WrappedKey } from './key-provider.js';

const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Master keys held in process memory (from configuration or `BACKUPKIT_KEYS`).
 * Wraps data keys with AES-256-GCM, binding the `key_id` as associated data so a key
 * wrapped under one id cannot be presented as wrapped under another.
 */
export class LocalKeyProvider implements KeyProvider {
  readonly #keys: Map<string, Buffer>;

  /** @throws BackupError `invalid_backup_config` for a malformed id or a key that is not 32 bytes. */
  constructor(keys: Record<string, Uint8Array> | Map<string, Uint8Array>) {
    this.#keys = new Map();
    const pairs = keys instanceof Map ? [...keys.entries()] : Object.entries(keys);
    for (const [id, key] of pairs) {
      if (!KEY_ID.test(id)) {
        throw new BackupError(
          'invalid_backup_config',
          'A key id may contain only letters, digits, ".", "_" and "-"',
          {
            details: { field: 'key_id' },
          },
        );
      }
      if (key.length !== KEY_BYTES) {
        throw new BackupError('invalid_backup_config', `Master key "${id}" must be exactly 32 bytes`, {
          details: { key_id: id },
        });
      }
      this.#keys.set(id, Buffer.from(key));
    }
  }

  /**
   * Parses `key_id:base64key,key2:base64key2` (the `BACKUPKIT_KEYS` format). Whitespace around
   * entries is ignored. Errors never contain key material.
   * @throws BackupError `invalid_backup_config` for a malformed entry, a duplicate id or a key that is not 32 bytes.
   */
  static fromEnv(value: string | undefined): LocalKeyProvider {
    const keys = new Map<string, Uint8Array>();
    const entries = (value ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e.length > 0);
    entries.forEach((entry, index) => {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon).trim() : '';
      const material = colon > 0 ? entry.slice(colon + 1).trim() : '';
      if (!id || !material || !KEY_ID.test(id)) {
        throw new BackupError(
          'invalid_backup_config',
          `Key entry #${index + 1} must look like key_id:base64-of-32-bytes`,
          { details: { entry: index + 1 } },
        );
      }
      if (keys.has(id)) {
        throw new BackupError('invalid_backup_config', `Key id "${id}" is listed twice`, {
          details: { key_id: id },
        });
      }
      const decoded = /^[A-Za-z0-9+/_-]+={0,2}$/.test(material)
        ? Buffer.from(material, 'base64')
        : Buffer.alloc(0);
      if (decoded.length !== KEY_BYTES) {
        throw new BackupError('invalid_backup_config', `Key "${id}" must be base64 of exactly 32 bytes`, {
          details: { key_id: id },
        });
      }
      keys.set(id, decoded);
    });
    return new LocalKeyProvider(keys);
  }

  /** The configured key ids (never the keys). */
  keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  async hasKey(keyId: string): Promise<boolean> {
    return this.#keys.has(keyId);
  }

  /** @throws BackupError `key_not_found` when no master key has this id. */
  async wrapKey(keyId: string, dataKey: Uint8Array): Promise<WrappedKey> {
    const master = this.#master(keyId);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, master, nonce);
    cipher.setAAD(Buffer.from(keyId, 'utf8'));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return {
      algorithm: ALGORITHM,
      data: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64'),
    };
  }

  /**
   * @throws BackupError `key_not_found` when no master key has this id, `key_mismatch` when the
   * wrapped key does not authenticate under it, `unsupported_format` for an unknown algorithm.
   */
  async unwrapKey(keyId: string, wrapped: WrappedKey): Promise<Buffer> {
    const master = this.#master(keyId);
    if (wrapped.algorithm !== ALGORITHM) {
      throw new BackupError(
        'unsupported_format',
        `Unsupported key wrapping algorithm "${wrapped.algorithm}"`,
        {
          details: { key_id: keyId },
        },
      );
    }
    const raw = Buffer.from(wrapped.data, 'base64');
    if (raw.length < NONCE_BYTES + TAG_BYTES + 1) throw mismatch(keyId);
    const nonce = raw.subarray(0, NONCE_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const body = raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv(ALGORITHM, master, nonce);
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch (error) {
      throw mismatch(keyId, error);
    }
  }

  #master(keyId: string): Buffer {
    const key = this.#keys.get(keyId);
    if (!key) {
      throw new BackupError('key_not_found', `No master key with id "${keyId}" is configured`, {
        details: { key_id: keyId },
      });
    }
    return key;
  }
}

function mismatch(keyId: string, cause?: unknown): BackupError {
  return new BackupError('key_mismatch', `The data key does not decrypt with master key "${keyId}"`, {
    details: { key_id: keyId },
    cause,
  });
}
