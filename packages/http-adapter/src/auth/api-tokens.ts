import { createHash, timingSafeEqual } from 'node:crypto';
import { BackupError } from '@backupkit/core';
import { isRole } from '../roles.js';
import type { Authenticate, HttpRequest, Principal } from '../types.js';
import { bearerToken } from './credentials.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Whom a static API token names, and the roles it grants (empty: none named). */
export interface ApiTokenEntry {
  principal: string;
  roles: string[];
}

function refuse(entry: number, what: string): BackupError {
  // The entry itself is never quoted: it holds a token.
  return new BackupError('invalid_request', `API token entry ${entry} ${what}`, { details: { entry } });
}

/**
 * Parses comma-separated `token:principal_id` or `token:principal_id:role[+role…]` entries
 * (the `BACKUPKIT_API_TOKENS` format), e.g. `abc:ops:admin,def:dash:viewer,ghi:team`. Roles
 * are the built-in `admin`, `operator` and `viewer`; an entry without roles is an operator.
 * Tokens cannot contain `:`, principal ids cannot either when roles follow.
 * @throws BackupError `invalid_request` for an entry without both parts, or naming an
 *   unknown role; the message names the entry's number only (the entry holds a secret).
 */
export function parseApiTokens(text: string): Map<string, ApiTokenEntry> {
  const out = new Map<string, ApiTokenEntry>();
  text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .forEach((entry, index) => {
      const number = index + 1;
      const parts = entry.split(':');
      const [token = '', principal = '', roleList] = parts;
      if (parts.length > 3 || token.length === 0 || principal.length === 0) {
        throw refuse(number, 'is not token:principal_id or token:principal_id:role');
      }
      const roles = roleList === undefined ? [] : [...new Set(roleList.split('+'))];
      if (roleList !== undefined && !roles.every(isRole)) {
        throw refuse(number, 'names an unknown role (admin, operator, viewer)');
      }
      out.set(token, { principal, roles });
    });
  return out;
}

type TokenTarget = string | ApiTokenEntry;

/**
 * Static API tokens, sent as `Authorization: Bearer <token>` or `X-API-Key: <token>`.
 * `tokens` maps each token to a principal id, or to `{ principal, roles }` as
 * `parseApiTokens` returns them; the principal carries `roles` only when some are named.
 * Tokens are compared by SHA-256 digest in constant time, every token every time, so the
 * timing says nothing about which token (or how much of one) matched.
 */
export function apiTokenAuthenticator(
  tokens: Map<string, TokenTarget> | Record<string, TokenTarget>,
): Authenticate {
  const entries = [...(tokens instanceof Map ? tokens : new Map(Object.entries(tokens)))].map(
    ([token, target]) => {
      const { principal, roles } = typeof target === 'string' ? { principal: target, roles: [] } : target;
      const found: Principal = roles.length > 0 ? { id: principal, roles: [...roles] } : { id: principal };
      return { digest: digest(token), principal: found };
    },
  );
  return (request: HttpRequest) => {
    const apiKey = request.headers['x-api-key'];
    const presented = bearerToken(request) ?? (Array.isArray(apiKey) ? apiKey[0] : apiKey);
    if (!presented) return null;
    const candidate = digest(presented);
    let found: Principal | null = null;
    for (const entry of entries) {
      if (timingSafeEqual(entry.digest, candidate) && found === null) found = entry.principal;
    }
    // A copy: the handler and hooks must not be able to change the configured roles.
    return found === null ? null : { ...found, ...(found.roles ? { roles: [...found.roles] } : {}) };
  };
}
