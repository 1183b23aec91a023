import { BackupError } from '@backupkit/core';
import {
  type CryptoKey,
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  type KeyObject,
} from 'jose';
import type { Authenticate, Principal } from '../types.js';
import { bearerToken } from './credentials.js';

export interface JwtAuthenticatorOptions {
  /** Shared secret for HS256/384/512. */
  secret?: string | Uint8Array;
  /** A public key (RS/ES/EdDSA) … */
  publicKey?: CryptoKey | KeyObject;
  /** … or a JWKS endpoint (keys cached and rotated by jose). */
  jwksUrl?: string | URL;
  /** Accepted algorithms (default: HS256 with a secret; RS256, ES256, EdDSA otherwise). */
  algorithms?: string[];
  issuer?: string | string[];
  audience?: string | string[];
  /** Claim holding the principal id (default `sub`). */
  principalClaim?: string;
  /** Seconds of clock skew tolerated on `exp` / `nbf` (default 5). */
  clockTolerance?: number;
}

function toPrincipal(payload: JWTPayload, claim: string): Principal | null {
  const id = payload[claim];
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) return null;
  const roles = Array.isArray(payload.roles)
    ? payload.roles.filter((r): r is string => typeof r === 'string')
    : [];
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  return { id, roles, scopes, claims: payload };
}

/**
 * JWT bearer tokens verified with `jose` (signature, `exp`, `nbf`, and `iss` / `aud` when
 * configured). Any verification failure means "no principal" (→ 401), never an exception.
 * @throws BackupError `invalid_request` when no key source is given.
 */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticate {
  let key: Uint8Array | CryptoKey | KeyObject | JWTVerifyGetKey;
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
      return toPrincipal(payload, claim);
    } catch {
      return null;
    }
  };
}
