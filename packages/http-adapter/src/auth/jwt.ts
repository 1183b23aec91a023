import type { KeyObject, webcrypto } from 'node:crypto';
import { BackupError } from '@backupkit/core';
// jose's types stay internal: the public declarations must not import jose (ESM-only), which
// a CommonJS TypeScript consumer cannot resolve.
import {
  createRemoteJWKSet,
  type CryptoKey as JoseCryptoKey,
  type KeyObject as JoseKeyObject,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { Authenticate, Principal } from '../types.js';
import { bearerToken } from './credentials.js';

export interface JwtAuthenticatorOptions {
  /** Shared secret for HS256/384/512. */
  secret?: string | Uint8Array;
  /** A public key (RS/ES/EdDSA) … */
  publicKey?: webcrypto.CryptoKey | KeyObject;
  /** … or a JWKS endpoint (keys cached and rotated by jose). */
  jwksUrl?: string | URL;
  /** Accepted algorithms (default: HS256 with a secret; RS256, ES256, EdDSA otherwise). */
  algorithms?: string[];
  issuer?: string | string[];
  audience?: string | string[];
  /** Claim holding the principal id (default `sub`). */
  principalClaim?: string;
  /**
   * Claim holding the principal's roles, an array of names or one name (default `roles`).
   * A `role` string claim is read as well. Built-in roles: `admin`, `operator`, `viewer`.
   */
  rolesClaim?: string;
  /** Seconds of clock skew tolerated on `exp` / `nbf` (default 5). */
  clockTolerance?: number;
}

/** Role names from a claim holding an array of names or a single name. */
function namesIn(value: unknown): string[] {
  const names = Array.isArray(value) ? value : [value];
  return names.filter((name): name is string => typeof name === 'string' && name.length > 0);
}

function toPrincipal(payload: JWTPayload, claim: string, rolesClaim: string): Principal | null {
  const id = payload[claim];
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) return null;
  const roles = [...new Set([...namesIn(payload[rolesClaim]), ...namesIn(payload.role)])];
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  return { id, roles, scopes, claims: payload };
}

/**
 * JWT bearer tokens verified with `jose` (signature, `exp`, `nbf`, and `iss` / `aud` when
 * configured). Any verification failure means "no principal" (→ 401), never an exception.
 * The principal's roles come from the `rolesClaim` and `role` claims: configure `issuer` and
 * `audience` so that a token minted for another application cannot grant them here.
 * @throws BackupError `invalid_request` when no key source is given.
 */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticate {
  let key: Uint8Array | JoseCryptoKey | JoseKeyObject | JWTVerifyGetKey;
  if (options.secret !== undefined) {
    key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  } else if (options.publicKey) {
    key = options.publicKey;
  } else if (options.jwksUrl) {
    key = createRemoteJWKSet(new URL(options.jwksUrl));
  } else {
    throw new BackupError('invalid_request', 'jwtAuthenticator needs a secret, a publicKey or a jwksUrl');
  }
  const algorithms =
    options.algorithms ?? (options.secret !== undefined ? ['HS256'] : ['RS256', 'ES256', 'EdDSA']);
  const claim = options.principalClaim ?? 'sub';
  const rolesClaim = options.rolesClaim ?? 'roles';
  return async (request) => {
    const token = bearerToken(request);
    if (token?.split('.').length !== 3) return null;
    try {
      const verifyOptions = {
        algorithms,
        clockTolerance: options.clockTolerance ?? 5,
        ...(options.issuer ? { issuer: options.issuer } : {}),
        ...(options.audience ? { audience: options.audience } : {}),
      };
      const { payload } =
        typeof key === 'function'
          ? await jwtVerify(token, key, verifyOptions)
          : await jwtVerify(token, key, verifyOptions);
      return toPrincipal(payload, claim, rolesClaim);
    } catch {
      return null;
    }
  };
}
