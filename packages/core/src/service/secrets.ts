import { BackupError } from '../errors.js';
import {
  findSecretSpans,
  isSecretField,
  MASK,
  maskSecrets as maskText,
  redactText,
  secretValuesOf,
} from '../security/redaction.js';

/**
 * Secrets in source, destination and restore configs, by the one rule of security/redaction.ts.
 * Before a config reaches the catalog every string that is a secret field (`password`,
 * `secret_access_key`…) or holds a secret span (a connection string's password, an Azure
 * `AccountKey=`, a SAS `sig=`) is sealed; the stored config keeps only its masked form, which
 * is what views show. Only a run unseals them, in memory.
 *
 * Stored form, at every object level: `sealed_secrets: { field: sealed original string }`, or
 * `{ field: { json: sealed JSON } }` for a value that is not a string (an array holding
 * secrets, an object too deep to walk, a non-string secret field). Configs sealed before
 * nested objects were walked hold the top level only, and read the same way.
 */

/** Seals and opens secret strings (implemented by the catalog's `SecretBox`). */
export interface SecretSealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

/** Where sealed secrets live in a stored config object. */
const SEALED_FIELD = 'sealed_secrets';
/** Fields sealed whole even when no secret is recognised in them (their view is still masked). */
const ALWAYS_SEALED = new Set(['connection_string']);
/** Object levels walked field by field; deeper values holding secrets are sealed whole. */
const MAX_DEPTH = 8;
/** Levels a view masks field by field; anything deeper is shown as `***`. */
const MAX_VIEW_DEPTH = 32;

type SealedEntry = string | { json: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `postgresql://user:pass@host/db` → `postgresql://user:***@host/db` (every secret span masked). */
export function maskConnectionString(value: string): string {
  return maskText(value);
}

/** Whether a value holds anything the views would mask. */
function holdsSecrets(value: unknown, key: string | null, depth: number): boolean {
  if (value === null || value === undefined) return false;
  if (key !== null && isSecretField(key)) return true;
  if (typeof value === 'string') return findSecretSpans(value).length > 0;
  if (depth > MAX_VIEW_DEPTH) return true;
  if (Array.isArray(value)) return value.some((item) => holdsSecrets(item, null, depth + 1));
  if (isRecord(value))
    return Object.entries(value).some(
      ([field, item]) => field === SEALED_FIELD || holdsSecrets(item, field, depth + 1),
    );
  return false;
}

/** A copy without `sealed_secrets` keys anywhere: a caller cannot hand in sealed blobs. */
function withoutSealedFields(value: unknown, depth = 0): unknown {
  if (depth > MAX_VIEW_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => withoutSealedFields(item, depth + 1));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    if (key !== SEALED_FIELD) out[key] = withoutSealedFields(item, depth + 1);
  return out;
}

function sealObject(config: Record<string, unknown>, sealer: SecretSealer, depth: number) {
  const out: Record<string, unknown> = {};
  const sealed: Record<string, SealedEntry> = {};
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'string') {
      if (isSecretField(key)) {
        out[key] = MASK;
        sealed[key] = sealer.seal(value);
      } else if (ALWAYS_SEALED.has(key) || findSecretSpans(value).length > 0) {
        out[key] = maskText(value);
        sealed[key] = sealer.seal(value);
      } else {
        out[key] = value;
      }
    } else if (isRecord(value) && depth < MAX_DEPTH && !isSecretField(key)) {
      out[key] = sealObject(value, sealer, depth + 1);
    } else if (holdsSecrets(value, key, depth)) {
      out[key] = maskDeep(value, key, depth);
      sealed[key] = { json: sealer.seal(JSON.stringify(value)) };
    } else {
      out[key] = value;
    }
  }
  if (Object.keys(sealed).length > 0) out[SEALED_FIELD] = sealed;
  return out;
}

/**
 * The config as the catalog stores it: every secret field and every string holding a secret
 * span sealed into `sealed_secrets`, its masked form left in place (what views show). Nested
 * objects are walked; `sealed_secrets` keys the caller sent are dropped.
 */
export function sealConfig(config: Record<string, unknown>, sealer: SecretSealer): Record<string, unknown> {
  return sealObject(withoutSealedFields(config) as Record<string, unknown>, sealer, 0);
}

function openEntry(entry: unknown, sealer: SecretSealer): { value: unknown } | null {
  if (typeof entry === 'string') return { value: sealer.open(entry) };
  if (!isRecord(entry) || typeof entry.json !== 'string') return null;
  const text = sealer.open(entry.json);
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    throw new BackupError('integrity_error', 'A sealed config value is malformed', { cause: error });
  }
}

function unsealObject(config: Record<string, unknown>, sealer: SecretSealer, depth: number) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === SEALED_FIELD) continue;
    out[key] = isRecord(value) && depth < MAX_DEPTH ? unsealObject(value, sealer, depth + 1) : value;
  }
  const sealed = config[SEALED_FIELD];
  if (isRecord(sealed)) {
    for (const [key, entry] of Object.entries(sealed)) {
      const opened = openEntry(entry, sealer);
      if (opened) out[key] = opened.value;
    }
  }
  return out;
}

/**
 * The real config for a run: sealed secrets opened again, in memory only (the exact original).
 * @throws BackupError `key_mismatch` / `unsupported_format` from the sealer; `integrity_error`
 * for a sealed value that is not what it should be.
 */
export function unsealConfig(config: Record<string, unknown>, sealer: SecretSealer): Record<string, unknown> {
  return unsealObject(config, sealer, 0);
}

/** Secret values of a config (for scrubbing error messages): see `secretValuesOf`. */
export function secretValues(config: Record<string, unknown>): string[] {
  return secretValuesOf(config);
}

/**
 * A deep copy fit for views, events and logs: `sealed_secrets` dropped, secret fields shown as
 * `***`, every other string with its secret spans masked.
 */
export function maskSecrets<T>(value: T): T {
  return maskDeep(value, null, 0) as T;
}

function maskDeep(value: unknown, key: string | null, depth: number): unknown {
  if (value === null || value === undefined) return value;
  if (key !== null && isSecretField(key)) return MASK;
  if (typeof value === 'string') return maskText(value);
  if (typeof value !== 'object' || value instanceof Date) return value;
  if (depth > MAX_VIEW_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, null, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value)) {
    if (field !== SEALED_FIELD) out[field] = maskDeep(item, field, depth + 1);
  }
  return out;
}

/**
 * Removes secrets from an error message before it is stored or shown: every listed secret of
 * 4 characters or more, then every secret span.
 */
export function scrubMessage(message: string, secrets: readonly string[] = []): string {
  return redactText(message, secrets, { minSecretLength: 4 });
}
