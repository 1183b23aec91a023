import type { Authenticate, HttpRequest, Principal } from '../types.js';

/** The token of `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(request: HttpRequest): string | undefined {
  const raw = request.headers.authorization;
  const value = Array.isArray(raw) ? raw[0] : raw;
  const match = value === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

/** Tries each authenticator in turn; the first principal wins. */
export function anyOf(...authenticators: Authenticate[]): Authenticate {
  return async (request) => {
    for (const authenticate of authenticators) {
      const principal: Principal | null = await authenticate(request);
      if (principal) return principal;
    }
    return null;
  };
}
