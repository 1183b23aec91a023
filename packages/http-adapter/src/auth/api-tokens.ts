import { createHash, timingSafeEqual } from 'node:crypto';
import { BackupError } from '@backupkit/core';
import type { Authenticate, HttpRequest } from '../types.js';
import { bearerToken } from './credentials.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Parses `token:principal_id` pairs, comma separated (the `BACKUPKIT_API_TOKENS` format).
 * @throws BackupError `invalid_request` for an entry without both parts (the entry itself is
 *   not quoted: it is a secret).
 */
export function parseApiTokens(text: string): Map<string, string> {
  const out = new Map<string, string>();
  text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .forEach((entry, index) => {
      const colon = entry.indexOf(':');
      const token = entry.slice(0, colon);
      const principal = entry.slice(colon + 1);
      if (colon <= 0 || principal.length === 0) {
        throw new BackupError('invalid_request', `API token entry ${index + 1} is not token:principal_id`, {
          details: { entry: index + 1 },
        });
      }
      out.set(token, principal);
    });
  return out;
}

/**
 * Static API tokens, sent as `Authorization: Bearer <token>` or `X-API-Key: <token>`.
 * Tokens are compared by SHA-256 digest in constant time, every token every time, so the
 * timing says nothing about which token (or how much of one) matched.
 */
export function apiTokenAuthenticator(tokens: Map<string, string> | Record<string, string>): Authenticate {
  const entries = [...(tokens instanceof Map ? tokens : new Map(Object.entries(tokens)))].map(
    ([token, principal]) => ({ digest: digest(token), principal }),
  );
  return (request: HttpRequest) => {
    const apiKey = request.headers['x-api-key'];
    const presented = bearerToken(request) ?? (Array.isArray(apiKey) ? apiKey[0] : apiKey);
    if (!presented) return null;
    const candidate = digest(presented);
    let found: string | null = null;
    for (const entry of entries) {
      if (timingSafeEqual(entry.digest, candidate) && found === null) found = entry.principal;
    }
    return found === null ? null : { id: found };
  };
}
