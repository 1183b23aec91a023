// @backupkit/http-adapter: the documented REST API over one framework-neutral handler.
// Framework shims: `@backupkit/http-adapter/express` and `@backupkit/http-adapter/fastify`.

export { ACTIONS, type Action } from './actions.js';
export { type ApiTokenEntry, apiTokenAuthenticator, parseApiTokens } from './auth/api-tokens.js';
export { anyOf, bearerToken } from './auth/credentials.js';
export { type JwtAuthenticatorOptions, jwtAuthenticator } from './auth/jwt.js';
export { AUTH_FAILURES_COUNTER } from './auth-failures.js';
export { DEFAULT_BODY_LIMIT } from './body.js';
export { ERROR_STATUS, type ErrorBody, errorResponse, statusOf } from './error-status.js';
export { type BackupHandler, createBackupHandler } from './handler.js';
export { DEFAULT_MAX_JSON_DEPTH } from './json-depth.js';
export { buildOpenApiDocument } from './openapi.js';
export {
  DEFAULT_RATE_LIMITS,
  type RateLimitBucket,
  RateLimiter,
  type RateLimitOptions,
  type RateLimitResult,
  type RateLimitRule,
} from './rate-limit.js';
export { redactText, redactValue } from './redact.js';
export * as responseSchemas from './response-schemas.js';
export {
  effectiveRoles,
  isRole,
  READ_ONLY_ACTIONS,
  ROLE_ACTIONS,
  ROLES,
  type Role,
  rolesAllow,
} from './roles.js';
export { ROUTES, type RouteSpec } from './routes.js';
export type * from './types.js';
