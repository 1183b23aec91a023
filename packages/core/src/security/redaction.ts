import { isSecretField } from './secret-fields.js';
import { findSecretSpans, MASK, replaceSpans } from './secret-spans.js';

/**
 * The one rule for hiding credentials: every view, message, log line, notification and API
 * response goes through these functions, so a secret masked in one place is masked in all.
 */

export { isSecretField } from './secret-fields.js';
export { findSecretSpans, MASK, replaceSpans, type SecretSpan } from './secret-spans.js';

/** Known secrets shorter than this are not replaced inside text (they would mask ordinary words). */
const DEFAULT_MIN_SECRET_LENGTH = 6;
/** Nested objects walked by `secretValuesOf` (configs are shallow; this only bounds hostile input). */
const MAX_DEPTH = 16;

export interface RedactOptions {
  /** Listed secrets shorter than this are left alone (default 6). */
  minSecretLength?: number;
}

/**
 * `text` with every secret span replaced by `***`: `postgresql://u:***@h/db`,
 * `AccountName=a;AccountKey=***`, `…&sig=***`, `Authorization: Bearer ***`.
 */
export function maskSecrets(text: string): string {
  const spans = findSecretSpans(text);
  return spans.length === 0 ? text : replaceSpans(text, spans, () => MASK);
}

/** The connection string with every secret replaced by `***` (same rule as `maskSecrets`). */
export function maskConnectionString(connectionString: string): string {
  return maskSecrets(connectionString);
}

/**
 * Replaces every listed secret inside `text` (longest first), then masks every secret span.
 * Listed secrets shorter than `minSecretLength` (default 6) are not matched.
 */
export function redactText(
  text: string,
  extraSecrets: readonly string[] = [],
  options: RedactOptions = {},
): string {
  const min = Math.max(1, options.minSecretLength ?? DEFAULT_MIN_SECRET_LENGTH);
  let out = text;
  const listed = [...new Set(extraSecrets)].filter((s) => typeof s === 'string' && s.length >= min);
  for (const secret of listed.sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return maskSecrets(out);
}

/**
 * A deep copy of a JSON-like value with every string passed through `redactText` (Dates and
 * other non-plain values kept as they are). Defence in depth for anything leaving the process.
 */
export function redactValue<T>(
  value: T,
  extraSecrets: readonly string[] = [],
  options: RedactOptions = {},
): T {
  return walk(value, (text) => redactText(text, extraSecrets, options)) as T;
}

function walk(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, redact));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = walk(item, redact);
    return out;
  }
  return value;
}

function decodings(raw: string): string[] {
  const out = [raw];
  for (const candidate of [raw, raw.replace(/\+/g, ' ')]) {
    try {
      out.push(decodeURIComponent(candidate));
    } catch {
      // not percent-encoded
    }
  }
  // A libpq quoted value as the server sees it: `'it\'s'` → `it's`.
  if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'"))
    out.push(raw.slice(1, -1).replace(/\\(.)/g, '$1'));
  return out;
}

/**
 * The strings to scrub from error messages about a config: the whole value of every secret
 * field and the text of every secret span in every string (raw, percent-decoded and unquoted),
 * nested objects and arrays included. Empty strings are left out.
 */
export function secretValuesOf(config: unknown): string[] {
  const out = new Set<string>();
  const visit = (value: unknown, key: string | null, depth: number) => {
    if (depth > MAX_DEPTH) return;
    if (typeof value === 'string') {
      if (key !== null && isSecretField(key)) for (const s of decodings(value)) out.add(s);
      for (const span of findSecretSpans(value))
        for (const s of decodings(value.slice(span.start, span.end))) out.add(s);
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, key, depth + 1);
    } else if (value !== null && typeof value === 'object') {
      for (const [field, item] of Object.entries(value)) visit(item, field, depth + 1);
    }
  };
  visit(config, null, 0);
  out.delete('');
  out.delete(MASK);
  return [...out];
}
