import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackupError } from '../errors.js';
import { findSecretSpans, MASK, maskConnectionString, replaceSpans } from '../security/redaction.js';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Binds ciphertexts to this format and purpose: a sealed value cannot be replayed as another kind.
const AAD = Buffer.from('backupkit:secret-box:v1');

/** A string as stored: the masked form plus its sealed secrets (null when it had none). */
export interface SealedConnectionString {
  /** Safe to show: every secret replaced by `***`. */
  masked: string;
  /** `enc:v1:...`: the secrets and where they go, AES-256-GCM sealed. */
  sealed: string | null;
}

interface SealedSpans {
  /** Start offsets in `masked` and the secret that replaces the `***` there. */
  s: Array<[number, string]>;
}

/**
 * AES-256-GCM for secrets at rest in the catalog (connection-string passwords, tokens): values
 * become `enc:v1:<base64url(iv | tag | ciphertext)>`, each with a fresh random IV.
 */
export class SecretBox {
  readonly #key: Buffer;

  /** @throws BackupError('validation_failed') unless `key` is 32 bytes. */
  constructor(key: Uint8Array) {
    if (key.length !== 32) {
      throw new BackupError('validation_failed', 'The secret key must be 32 bytes (AES-256)', {
        details: { key_bytes: key.length },
      });
    }
    this.#key = Buffer.from(key);
  }

  /** `postgresql://user:***@host:5432/db`: every secret of a connection string masked (see security/redaction.ts). */
  static mask(connectionString: string): string {
    return maskConnectionString(connectionString);
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /**
   * @throws BackupError('unsupported_format') when `sealed` is not an `enc:v1:` value;
   * BackupError('key_mismatch') when it was sealed with another key or altered.
   */
  open(sealed: string): string {
    if (!sealed.startsWith(PREFIX))
      throw new BackupError('unsupported_format', 'Not a sealed secret (expected enc:v1:...)');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES)
      throw new BackupError('unsupported_format', 'Sealed secret is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(AAD);
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch (error) {
      // Never include the value or key: only that authentication failed.
      throw new BackupError(
        'key_mismatch',
        'Sealed secret cannot be opened: wrong secret key or altered value',
        { cause: error },
      );
    }
  }

  /**
   * Splits a string (a connection string, an endpoint with a SAS query…) into a masked form and
   * its sealed secrets, by the spans `findSecretSpans` finds.
   */
  sealConnectionString(connectionString: string): SealedConnectionString {
    const spans = findSecretSpans(connectionString);
    if (spans.length === 0) return { masked: connectionString, sealed: null };
    const placed: SealedSpans = { s: [] };
    let shift = 0;
    for (const span of spans) {
      placed.s.push([span.start - shift, connectionString.slice(span.start, span.end)]);
      shift += span.end - span.start - MASK.length;
    }
    return {
      masked: replaceSpans(connectionString, spans, () => MASK),
      sealed: this.seal(JSON.stringify(placed)),
    };
  }

  /**
   * The original connection string, byte for byte.
   * @throws BackupError('key_mismatch' | 'unsupported_format') as `open`; BackupError('integrity_error')
   * when `masked` no longer matches the sealed positions.
   */
  openConnectionString(value: SealedConnectionString): string {
    if (value.sealed === null) return value.masked;
    let placed: SealedSpans;
    try {
      placed = JSON.parse(this.open(value.sealed)) as SealedSpans;
    } catch (error) {
      if (error instanceof BackupError) throw error;
      throw new BackupError('integrity_error', 'Sealed connection secret is malformed', { cause: error });
    }
    const spans = placed.s.map(([start]) => ({ start, end: start + MASK.length }));
    if (spans.some((s) => value.masked.slice(s.start, s.end) !== MASK)) {
      throw new BackupError(
        'integrity_error',
        'The masked connection string does not match its sealed secret',
      );
    }
    return replaceSpans(value.masked, spans, (i) => (placed.s[i] as [number, string])[1]);
  }
}

/**
 * Reads the 32-byte key at `filePath` (64 hex characters), creating it with a random key and
 * mode 0600 (directory 0700) when missing. Safe when several processes start together: the file
 * is written aside and linked into place, so nobody reads a half-written key.
 * @throws BackupError('validation_failed') when the file exists but holds no valid key;
 * BackupError('permission_denied') when it cannot be read or created.
 */
export async function loadOrCreateSecretKey(filePath: string): Promise<Buffer> {
  const existing = await readKey(filePath);
  if (existing) return existing;
  await mkdir(dirname(filePath), { recursive: true, mode: 0o700 });
  const temp = `${filePath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    await link(temp, filePath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  } catch (error) {
    throw new BackupError('permission_denied', 'Cannot create the secret key file', {
      cause: error,
      details: { path: filePath },
    });
  } finally {
    await unlink(temp).catch(() => {});
  }
  const created = await readKey(filePath);
  if (!created)
    throw new BackupError('permission_denied', 'The secret key file vanished after creation', {
      details: { path: filePath },
    });
  return created;
}

async function readKey(filePath: string): Promise<Buffer | null> {
  let text: string;
  try {
    text = (await readFile(filePath, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new BackupError('permission_denied', 'Cannot read the secret key file', {
      cause: error,
      details: { path: filePath },
    });
  }
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new BackupError('validation_failed', 'The secret key file must hold 64 hex characters (32 bytes)', {
      details: { path: filePath },
    });
  }
  return Buffer.from(text, 'hex');
}
