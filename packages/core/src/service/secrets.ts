import { maskConnectionString as maskCatalogConnectionString } from '../catalog/connection-string-mask.js';

/**
 * Secrets in job and restore configs. Connection strings are sealed before they reach the
 * catalog and masked in every view; only a run unseals them, in memory.
 */

/** Seals and opens secret strings (implemented by the catalog's `SecretBox`). */
export interface SecretSealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

/** Fields whose string values are secrets wherever they appear in a config object. */
const SECRET_FIELDS = new Set([
  'connection_string',
  'password',
  'secret_access_key',
  'session_token',
  'account_key',
  'sas_token',
  'private_key',
  'client_secret',
]);
/** Where sealed secrets live in a stored config: `{ field: sealed blob }`. */
const SEALED_FIELD = 'sealed_secrets';

/** `postgresql://user:pass@host/db` → `postgresql://user:***@host/db` (every password form the catalog knows). */
export function maskConnectionString(value: string): string {
  return maskCatalogConnectionString(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function maskField(key: string, value: string): string {
  return key === 'connection_string' ? maskConnectionString(value) : '***';
}

/**
 * Moves every secret string field into `sealed_secrets` (sealed, for the catalog) and leaves a
 * masked copy in its place (what views show). Other fields are kept as they are.
 */
export function sealConfig(config: Record<string, unknown>, sealer: SecretSealer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const sealed: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === SEALED_FIELD) continue;
    if (SECRET_FIELDS.has(key) && typeof value === 'string') {
      out[key] = maskField(key, value);
      sealed[key] = sealer.seal(value);
    } else {
      out[key] = value;
    }
  }
  if (Object.keys(sealed).length > 0) out[SEALED_FIELD] = sealed;
  return out;
}

/** The real config for a run: sealed secrets opened again, in memory only. */
export function unsealConfig(config: Record<string, unknown>, sealer: SecretSealer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (key !== SEALED_FIELD) out[key] = value;
  const sealed = config[SEALED_FIELD];
  if (isRecord(sealed)) {
    for (const [key, blob] of Object.entries(sealed))
      if (typeof blob === 'string') out[key] = sealer.open(blob);
  }
  return out;
}

/** Secret values of a config (for scrubbing error messages). */
export function secretValues(config: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!SECRET_FIELDS.has(key) || typeof value !== 'string') continue;
    out.push(value);
    const password = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@/]*)@/i.exec(value)?.[1];
    if (password) {
      out.push(password);
      try {
        out.push(decodeURIComponent(password));
      } catch {
        // not percent-encoded
      }
    }
  }
  return out;
}

/** A deep copy fit for views, events and logs: sealed blobs dropped, connection strings masked. */
export function maskSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item)) as T;
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (key === SEALED_FIELD) continue;
    out[key] =
      SECRET_FIELDS.has(key) && typeof field === 'string' ? maskField(key, field) : maskSecrets(field);
  }
  return out as T;
}

/** Removes any secret-looking text from an error message before it is stored or shown. */
export function scrubMessage(message: string, secrets: readonly string[] = []): string {
  let out = message;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s@/:]*):[^\s@/]*@/gi, '$1:***@');
}
