/** `scheme://user:password@host` → `scheme://user:***@host` (any scheme, anywhere in a string). */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*:)([^\s@/?#]+)@/gi;

const MASK = '***';

/**
 * Replaces URL passwords and every listed secret inside `text`. Secrets shorter than 6
 * characters are not matched (they would mask ordinary words).
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_PASSWORD, `$1${MASK}@`);
  for (const secret of secrets) {
    if (secret.length >= 6 && out.includes(secret)) out = out.split(secret).join(MASK);
  }
  return out;
}

/**
 * A deep copy of a JSON-like value with every string passed through `redactText`. Defence in
 * depth: the service already masks what it returns; this catches anything that slipped.
 */
export function redactValue<T>(value: T, secrets: readonly string[] = []): T {
  return walk(value, secrets) as T;
}

function walk(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item) => walk(item, secrets));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = walk(item, secrets);
    return out;
  }
  return value;
}
