/**
 * Finds the secret parts of a connection string without parsing it into something else, so the
 * string can be masked and later restored byte for byte. Handles URLs (`scheme://user:pw@host`,
 * `?password=`), libpq key=value strings (`password=pw`, `password='p w'`) and `;`-separated
 * ones (`Password=pw;`).
 */

export const MASK = '***';

/** A secret's position in the original string. */
export interface SecretSpan {
  start: number;
  end: number;
}

const QUERY_SECRET = /([?&](?:password|sslpassword|passfile_password)=)([^&#]*)/gi;
const LIBPQ_SECRET = /(^|\s)((?:password|sslpassword)\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']\S*)/gi;
const SEMICOLON_SECRET = /(^|;)(\s*(?:password|pwd)\s*=\s*)([^;]*)/gi;

/** Spans of every password in `value`, in order, non-overlapping. */
export function findSecretSpans(value: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value);
  if (scheme) {
    const start = scheme[0].length;
    const rest = value.slice(start);
    // The password ends at the last '@' of the string (an unencoded '@', '/' or '?' in it would
    // otherwise leak its tail), unless that '@' sits in a query value (`?application_name=a@b`).
    // Over-masking is safe; under-masking would leak.
    let at = rest.lastIndexOf('@');
    while (at > 0) {
      const q = rest.lastIndexOf('?', at);
      if (q === -1 || !/^[^/]*=/.test(rest.slice(q + 1, at))) break;
      at = rest.lastIndexOf('@', q);
    }
    if (at > 0) {
      const userinfo = rest.slice(0, at);
      const colon = userinfo.indexOf(':');
      if (colon !== -1 && colon < userinfo.length - 1)
        spans.push({ start: start + colon + 1, end: start + at });
    }
    const after = spans[0]?.end ?? start;
    for (const m of value.slice(after).matchAll(QUERY_SECRET)) {
      const s = after + (m.index ?? 0) + (m[1] as string).length;
      const secret = m[2] as string;
      if (secret.length > 0) spans.push({ start: s, end: s + secret.length });
    }
    return spans;
  }
  const pattern = value.includes(';') && !/\bpassword\s*=\s*'/i.test(value) ? SEMICOLON_SECRET : LIBPQ_SECRET;
  for (const m of value.matchAll(pattern)) {
    const s = (m.index ?? 0) + (m[1] as string).length + (m[2] as string).length;
    const secret = m[3] as string;
    if (secret.length > 0) spans.push({ start: s, end: s + secret.length });
  }
  return spans;
}

/**
 * The connection string with every password replaced by `***`, e.g.
 * `postgresql://user:***@host:5432/db`, `host=h password=*** dbname=d`, `...?sslmode=require&password=***`.
 */
export function maskConnectionString(value: string): string {
  return replaceSpans(value, findSecretSpans(value), () => MASK);
}

export function replaceSpans(
  value: string,
  spans: SecretSpan[],
  replacement: (index: number) => string,
): string {
  let out = '';
  let cursor = 0;
  spans.forEach((span, i) => {
    out += value.slice(cursor, span.start) + replacement(i);
    cursor = span.end;
  });
  return out + value.slice(cursor);
}
