/**
 * Finds every secret in a string without parsing it into something else, so the string can be
 * masked for views and, when sealed, restored byte for byte. One rule for connection strings,
 * endpoints, error messages and log text alike. Over-masking is safe; under-masking leaks, so
 * where a shape is ambiguous the wider span wins.
 */

export const MASK = '***';

/** A secret's position in the original string (`end` exclusive). */
export interface SecretSpan {
  start: number;
  end: number;
}

/**
 * Query parameter names (percent-decoded, lower-cased before matching) whose values are
 * credentials: database passwords, SAS and presigned-URL signatures, tokens, API keys. SAS `sv`,
 * `se`, `sp`… are kept visible: they say what the signature allows, not how to forge it.
 */
const QUERY_SECRETS = new Set([
  'password',
  'sslpassword',
  'passfile_password',
  'pwd',
  'passwd',
  'pass',
  'sig',
  'signature',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'auth_token',
  'secret',
  'client_secret',
  'api_key',
  'api-key',
  'apikey',
  'x-api-key',
  // The Google APIs' query API key; a query `key` carries no other meaning worth showing.
  'key',
  'account_key',
  'accountkey',
  'sas_token',
  'secret_access_key',
  'session_token',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
  'awsaccesskeyid',
]);

/** `;`-separated settings (ADO.NET, Azure), matched case-insensitively with spaces removed. */
const SETTING_SECRETS = new Set([
  'password',
  'pwd',
  'userpassword',
  'accountkey',
  'sharedaccesssignature',
  'sharedaccesskey',
  'clientsecret',
]);

/** `name=value` assignments in libpq strings and free text. */
const ASSIGNMENT =
  /(?<![\w.-])(password|sslpassword|passwd|pwd|secret|client_secret|token|access_token|refresh_token|api_key|apikey|account_key|accountkey|secret_access_key|session_token|sas_token|private_key|sharedaccesssignature|sharedaccesskey)(\s*=\s*)/gi;

/** Headers whose value is a credential, in `Name: value` form (with optional JSON-ish quotes). */
const HEADER =
  /(?<![\w-])(["']?)(authorization|proxy-authorization|x-api-key|api-key|x-auth-token|x-goog-api-key|ocp-apim-subscription-key|x-amz-security-token|x-ms-copy-source-authorization|cookie|set-cookie)\1\s*:\s*["']?/gi;

/** An authorization scheme kept visible before the credential (`Bearer ***`). */
const AUTH_SCHEME = /^(?:bearer|basic|digest|negotiate|token|sharedkey|sharedkeylite)\s+/i;

/** `Bearer <token>` without a header name (token68 characters, 8 or more). */
const BARE_BEARER = /(?<![\w-])bearer\s+([A-Za-z0-9._~+/-]{8,}=*)/gi;

const SCHEME_AT_START = /^[a-z][a-z0-9+.-]*:\/\//i;
const SCHEME_ANYWHERE = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\//gi;

/** What ends a value in free text: whitespace, quotes and escapes of the text around it (JSON, HTML). */
const TEXT_STOP = /[\s"<>`\\]/;

/**
 * How the whole string reads: one URL, one `;`-separated settings string, one libpq
 * `key=value` string, or free text (an error message, a log line, JSON). Whole values keep
 * spaces and quotes inside secrets; free text stops at them.
 */
type Shape = 'url' | 'settings' | 'libpq' | 'text';

function shapeOf(text: string): Shape {
  if (SCHEME_AT_START.test(text)) return 'url';
  if (/^\s*[A-Za-z][\w .-]*=/.test(text)) {
    return text.includes(';') && !/\bpassword\s*=\s*'/i.test(text) ? 'settings' : 'libpq';
  }
  return 'text';
}

/** Index of the first character in [`from`, `limit`) matching `stop`, or `limit`. */
function stopAt(text: string, from: number, stop: (ch: string) => boolean, limit = text.length): number {
  for (let i = from; i < limit; i++) if (stop(text[i] as string)) return i;
  return limit;
}

const isTextStop = (ch: string) => TEXT_STOP.test(ch);

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * `scheme://user:password@host`: the password ends at the last `@` of the URL (an unencoded
 * `@`, `/` or `?` in it would otherwise leak its tail), unless that `@` sits in a query value
 * (`?application_name=a@b`).
 */
function urlPasswords(text: string, shape: Shape, out: SecretSpan[]): void {
  const schemes = [...text.matchAll(SCHEME_ANYWHERE)];
  schemes.forEach((match, i) => {
    const start = (match.index ?? 0) + match[0].length;
    // A URL in free text ends at whitespace, a quote or the next URL (which keeps the scan linear).
    const end =
      match.index === 0 && shape === 'url'
        ? text.length
        : stopAt(text, start, isTextStop, schemes[i + 1]?.index ?? text.length);
    let at = lastIndexIn(text, '@', start, end);
    while (at > start) {
      const q = lastIndexIn(text, '?', start, at);
      if (q === -1 || !startsWithQueryValue(text, q + 1, at)) break;
      at = lastIndexIn(text, '@', start, q);
    }
    if (at <= start) return;
    const colon = stopAt(text, start, (ch) => ch === ':', at);
    // A '/' before the colon means the '@' is not in the authority (`https://h/a:b@c`).
    if (colon >= at - 1 || text.slice(start, colon).includes('/')) return;
    out.push({ start: colon + 1, end: at });
  });
}

/** Last index of `ch` in text[from, to), or -1. */
function lastIndexIn(text: string, ch: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (text[i] === ch) return i;
  return -1;
}

/** Whether text[from, to) starts like a query value (`name=` before any `/`). */
function startsWithQueryValue(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (text[i] === '=') return true;
    if (text[i] === '/') return false;
  }
  return false;
}

/** `?name=value` / `&name=value` (and a leading `name=value`) with a credential-shaped name. */
function queryParameters(text: string, shape: Shape, out: SecretSpan[]): void {
  const stop =
    shape === 'url'
      ? (ch: string) => ch === '&' || ch === '#'
      : (ch: string) => ch === '&' || ch === '#' || ch === ';' || isTextStop(ch);
  const pattern = /(?:^|[?&])([^&#=?\s"<>`\\;]+)=/g;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (!QUERY_SECRETS.has(decodedName(match[1] as string))) continue;
    const start = match.index + match[0].length;
    const end = stopAt(text, start, stop);
    if (end > start) out.push({ start, end });
    // Parameters inside this value are part of the secret: go on after it (keeps the scan linear).
    pattern.lastIndex = Math.max(end, pattern.lastIndex);
  }
}

/** `Name=value;` settings: the value runs to the next `;`. */
function settings(text: string, shape: Shape, out: SecretSpan[]): void {
  const stop =
    shape === 'text'
      ? (ch: string) => ch === ';' || ch === '\n' || ch === '\r' || (ch !== ' ' && isTextStop(ch))
      : (ch: string) => ch === ';';
  let segment = 0;
  while (segment <= text.length) {
    const next = text.indexOf(';', segment);
    const limit = next === -1 ? text.length : next;
    // Setting names are short: look for the `=` in the first 100 characters only.
    const eq = stopAt(text, segment, (ch) => ch === '=', Math.min(limit, segment + 100));
    const name = text.slice(segment, eq).replace(/\s+/g, '').toLowerCase();
    if (eq < limit && text[eq] === '=' && SETTING_SECRETS.has(name)) {
      const start = stopAt(text, eq + 1, (ch) => !/\s/.test(ch) || ch === '\n', limit);
      const end = stopAt(text, start, stop);
      if (end > start) out.push({ start, end });
    }
    if (next === -1) break;
    segment = next + 1;
  }
}

/** `password=value`, `password = 'quoted \' value'` (libpq) and the same in free text. */
function assignments(text: string, shape: Shape, out: SecretSpan[]): void {
  const stop =
    shape === 'libpq'
      ? (ch: string) => /\s/.test(ch)
      : shape === 'settings'
        ? (ch: string) => ch === ';' || /\s/.test(ch)
        : isTextStop;
  const pattern = new RegExp(ASSIGNMENT.source, ASSIGNMENT.flags);
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const start = match.index + match[0].length;
    let end: number;
    if (text[start] === "'") {
      // A quoted value ends at its closing quote (backslash escapes), or at the end if unclosed.
      end = start + 1;
      while (end < text.length && text[end] !== "'") end += text[end] === '\\' ? 2 : 1;
      end = Math.min(end + 1, text.length);
    } else {
      end = stopAt(text, start, stop);
    }
    if (end > start) out.push({ start, end });
    // Names inside this value are part of the secret: go on after it (keeps the scan linear).
    pattern.lastIndex = Math.max(end, pattern.lastIndex);
  }
}

/** `Authorization: Bearer …`, `X-API-Key: …`, and a bare `Bearer <token>`. */
function headers(text: string, out: SecretSpan[]): void {
  const pattern = new RegExp(HEADER.source, HEADER.flags);
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    let start = match.index + match[0].length;
    const scheme = AUTH_SCHEME.exec(text.slice(start, start + 40));
    if (scheme) start += scheme[0].length;
    const stop = stopAt(text, start, (ch) => ch === '\n' || ch === '\r' || ch === '"' || ch === '\\');
    let end = stop;
    while (end > start && /\s/.test(text[end - 1] as string)) end--;
    if (end > start) out.push({ start, end });
    pattern.lastIndex = Math.max(stop, pattern.lastIndex);
  }
  for (const match of text.matchAll(BARE_BEARER)) {
    const token = match[1] as string;
    const start = (match.index ?? 0) + match[0].length - token.length;
    out.push({ start, end: start + token.length });
  }
}

/** Sorted, with overlapping or touching spans joined (one `***` per secret region). */
function merged(spans: SecretSpan[]): SecretSpan[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SecretSpan[] = [];
  for (const span of sorted) {
    const last = out[out.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else out.push({ ...span });
  }
  return out;
}

/**
 * Spans of every secret in `text`, in order and non-overlapping: URL userinfo passwords,
 * credential-shaped query parameters (names percent-decoded: `?pass%77ord=`), `;` settings
 * (`Password=`, `AccountKey=`, `SharedAccessSignature=`…), libpq `password=` (quoted or not)
 * and HTTP credential headers.
 */
export function findSecretSpans(text: string): SecretSpan[] {
  if (text.length === 0) return [];
  const shape = shapeOf(text);
  const spans: SecretSpan[] = [];
  urlPasswords(text, shape, spans);
  queryParameters(text, shape, spans);
  // A libpq string has no `;` settings; its `password=` is an assignment ending at whitespace.
  if (shape !== 'libpq') settings(text, shape, spans);
  if (shape !== 'url') assignments(text, shape, spans);
  headers(text, spans);
  return merged(spans);
}

/** `text` with each span replaced by `replacement(i)`; spans must be sorted and non-overlapping. */
export function replaceSpans(
  text: string,
  spans: readonly SecretSpan[],
  replacement: (index: number) => string,
): string {
  let out = '';
  let cursor = 0;
  spans.forEach((span, i) => {
    out += text.slice(cursor, span.start) + replacement(i);
    cursor = span.end;
  });
  return out + text.slice(cursor);
}
