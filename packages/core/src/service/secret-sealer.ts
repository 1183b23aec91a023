import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BackupError } from '../errors.js';
import type { SecretSealer } from './secrets.js';

const PREFIX = 'sealed:v1:';

/**
 * AES-256-GCM sealing of secret strings with the service's secret key (fallback used until a
 * catalog `SecretBox` is passed in). Output: `sealed:v1:<base64 nonce|ciphertext|tag>`.
 */
export function createSecretSealer(key: Buffer): SecretSealer {
  if (key.length !== 32) throw new BackupError('invalid_backup_config', 'The secret key must be 32 bytes');
  return {
    seal(plaintext: string): string {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
    },
    open(sealed: string): string {
      if (!sealed.startsWith(PREFIX))
        throw new BackupError('corrupt_repository', 'A sealed secret is malformed');
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(raw.length - 16));
        return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
          'utf8',
        );
      } catch (error) {
        throw new BackupError('key_mismatch', 'A sealed secret cannot be opened with this secret key', {
          cause: error,
        });
      }
    },
  };
}
