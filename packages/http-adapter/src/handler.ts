import {
  BackupError,
  type CallContext,
  describeIssues,
  isWellFormedId,
  parseInput,
  safeParseInput,
  systemClock,
  toServiceLogger,
} from '@backupkit/core';
import { AuditLog } from './audit.js';
import { AuthFailureCounter } from './auth-failures.js';
import { DEFAULT_BODY_LIMIT, readJsonBody } from './body.js';
import { errorResponse } from './error-status.js';
import { DEFAULT_MAX_JSON_DEPTH } from './json-depth.js';
import { answerMonitoring } from './monitoring-endpoints.js';
import { buildOpenApiDocument } from './openapi.js';
import { RateLimiter, type RateLimitResult } from './rate-limit.js';
import { redactText, redactValue } from './redact.js';
import { requestIdOf } from './request-id.js';
import { effectiveRoles, type Role, rolesAllow } from './roles.js';
import { matchRoute, PATH_PARAMS, type RouteMatch } from './routes.js';
import type { BackupHandlerOptions, HttpRequest, HttpResponse, Principal } from './types.js';

/** The framework-neutral API: one request in, one response out. Never throws. */
export type BackupHandler = (request: HttpRequest) => Promise<HttpResponse>;

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

function header(request: HttpRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Credentials the request carries: masked wherever they could be echoed. */
function requestSecrets(request: HttpRequest): string[] {
  const out: string[] = [];
  const authorization = header(request, 'authorization');
  if (authorization) out.push(authorization, authorization.replace(/^\S+\s+/, ''));
  const apiKey = header(request, 'x-api-key');
  if (apiKey) out.push(apiKey);
  return out;
}

function splitPath(path: string): string[] {
  const segments = path.split('/').slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  try {
    return segments.map((segment) => decodeURIComponent(segment));
  } catch {
    throw new BackupError('invalid_request', 'Malformed path', { details: {} });
  }
}

/** Query values as single strings; a repeated parameter is refused rather than guessed at. */
function singleValued(query: HttpRequest['query']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.length !== 1) {
        throw new BackupError('invalid_request', `Query parameter ${key.slice(0, 100)} is repeated`, {
          details: { parameter: key.slice(0, 100) },
        });
      }
      out[key] = value[0]!;
    } else out[key] = value;
  }
  return out;
}

function checkIds(match: RouteMatch): void {
  for (const [name, value] of Object.entries(match.params)) {
    const rule = PATH_PARAMS[name];
    if (rule && !isWellFormedId(value, rule.prefix)) {
      throw new BackupError(rule.notFound, `${rule.label} not found`, {
        details: { [name]: value.slice(0, 100) },
      });
    }
  }
}

function forbidden(action: string): BackupError {
  return new BackupError('forbidden', `Not allowed: ${action}`, { details: { action } });
}

/** Refuses options that would leave the API open or unbounded, before any request arrives. */
function checkOptions(options: BackupHandlerOptions): number {
  if (typeof options.authenticate !== 'function') {
    throw new BackupError(
      'invalid_request',
      'createBackupHandler needs an authenticate option (to make every endpoint public, pass one that returns a principal)',
      { details: { option: 'authenticate' } },
    );
  }
  const maxJsonDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  if (!Number.isInteger(maxJsonDepth) || maxJsonDepth < 1) {
    throw new BackupError('invalid_request', 'maxJsonDepth must be a positive integer', {
      details: { option: 'maxJsonDepth' },
    });
  }
  return maxJsonDepth;
}

/**
 * Builds the neutral handler: routing, authentication, the built-in roles and the host's
 * authorization, body and query validation with the service's zod schemas, per-principal
 * rate limits counted in the catalog, audit entries for every authenticated mutating call,
 * a catalog count of failed authentications, and the documented error shape.
 * @throws BackupError `invalid_request` without an `authenticate` option, for an invalid
 *   rate-limit configuration, or an invalid `maxJsonDepth`.
 */
export function createBackupHandler(options: BackupHandlerOptions): BackupHandler {
  const maxJsonDepth = checkOptions(options);
  const clock = options.clock ?? systemClock;
  let ready: Promise<void> | null = null;
  // The service opens its catalog lazily; the adapter may write to it first.
  const catalog = {
    appendAudit: async (entry: Parameters<typeof options.catalog.appendAudit>[0]) => {
      await ensureReady();
      return options.catalog.appendAudit(entry);
    },
    incrementRateCounter: async (key: string, windowStart: string) => {
      await ensureReady();
      return options.catalog.incrementRateCounter(key, windowStart);
    },
  };
  const ensureReady = (): Promise<void> => {
    ready ??= Promise.resolve(options.catalog.init?.()).catch((error: unknown) => {
      ready = null;
      throw error;
    });
    return ready;
  };
  const limiter = new RateLimiter(catalog, options.rateLimits ?? {}, clock);
  const secrets = options.secrets ?? [];
  const logger = options.logger ? toServiceLogger(options.logger) : undefined;
  const audit = new AuditLog(catalog, clock, logger, secrets);
  const authFailures = new AuthFailureCounter(catalog, clock, logger);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const publicActions = new Set(options.publicActions ?? []);
  const documents = new Map<string, unknown>();

  async function authenticate(request: HttpRequest, required: boolean): Promise<Principal | null> {
    if (!required && !header(request, 'authorization') && !header(request, 'x-api-key')) return null;
    const principal = await options.authenticate(request);
    if (principal && typeof principal.id === 'string' && principal.id.length > 0) return principal;
    if (!required) return null;
    throw new BackupError('unauthorized', 'Missing or invalid credentials', { details: {} });
  }

  return async function handle(request: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    const requestId = requestIdOf(request);
    const method = request.method.toUpperCase();
    const extraSecrets = requestSecrets(request);
    const allSecrets = [...secrets, ...extraSecrets];
    let match: RouteMatch | null = null;
    let principal: Principal | null = null;
    let result: unknown;
    let limit: RateLimitResult | null = null;
    let response: HttpResponse;
    let failure: BackupError | undefined;
    let allowedMethods: string[] = [];
    // Requests that never got past authentication are not audited (a 401 is counted instead).
    let authenticated = false;

    try {
      const segments = splitPath(request.path);
      allowedMethods = ['GET']; // what a monitoring endpoint answers a wrong method with
      const monitoring = await answerMonitoring(options, {
        method,
        segments,
        request,
        authenticate: (required) => authenticate(request, required),
        secrets: allSecrets,
      });
      if (monitoring) {
        authenticated = true;
        principal = monitoring.principal;
        response = monitoring.response;
      } else {
        const found = matchRoute(method, segments);
        if (found === null) {
          throw new BackupError('not_found', `No endpoint ${method} ${request.path.slice(0, 200)}`, {
            details: { method, path: request.path.slice(0, 200) },
          });
        }
        if (!('route' in found)) {
          allowedMethods = found.allowed;
          const shown = method.slice(0, 20);
          throw new BackupError('method_not_allowed', `Method ${shown} is not allowed here`, {
            details: { method: shown, allowed: found.allowed },
          });
        }
        match = found;
        const { route } = match;
        const resourceId = Object.values(match.params)[0] ?? null;
        principal = await authenticate(request, !publicActions.has(route.action));
        authenticated = true;
        const roles: Role[] | null = principal ? effectiveRoles(principal) : null;
        // Refused before the body is read: a viewer's write costs nothing.
        if (roles && !rolesAllow(roles, route.action)) throw forbidden(route.action);
        checkIds(match);
        const query = singleValued(request.query);
        const queryCheck = safeParseInput(route.query, query);
        if (!queryCheck.success) {
          throw new BackupError('invalid_request', 'Invalid query parameters', {
            details: { issues: describeIssues(queryCheck.error.issues, query) },
          });
        }
        let body: unknown;
        // What the service gets: parsed here once, taken as it is by the service (see parseInput).
        let parsedBody: unknown;
        if (route.body) {
          body = await readJsonBody(request, bodyLimit, maxJsonDepth);
          parsedBody = parseInput(route.body, body === undefined && route.bodyOptional ? {} : body);
        }
        if (principal && options.authorize) {
          const resource = { type: route.resourceType, id: resourceId };
          if (!(await options.authorize(principal, route.action, resource, { body, query }))) {
            throw forbidden(route.action);
          }
        }
        if (route.rateLimit) limit = await limiter.consume(route.rateLimit, principal?.id ?? 'anonymous');

        if (route.action === 'openapi') {
          const basePath = request.basePath ?? options.basePath ?? '/backup';
          if (!documents.has(basePath)) documents.set(basePath, buildOpenApiDocument({ basePath }));
          result = documents.get(basePath);
        } else {
          // Roles always go along, so the service scopes every caller but an admin to its own
          // objects; an anonymous call (a public action) holds none.
          const context: CallContext = { principal: principal?.id ?? null, roles: roles ?? [] };
          result = await route.invoke(options.service, {
            params: match.params,
            query: queryCheck.data,
            body: parsedBody,
            raw: { query, body },
            context,
          });
        }
        response = {
          status: route.status,
          headers: { ...JSON_HEADERS },
          body: route.status === 204 ? undefined : redactValue(result, allSecrets),
        };
      }
    } catch (error) {
      const mapped = errorResponse(error);
      failure = mapped.cause;
      response = {
        status: mapped.status,
        headers: { ...JSON_HEADERS },
        body: redactValue(mapped.body, allSecrets),
      };
      if (mapped.status === 401) response.headers['www-authenticate'] = 'Bearer';
      if (mapped.status === 429)
        response.headers['retry-after'] = String(mapped.body.details.retry_after ?? 60);
      if (mapped.status === 413) response.headers.connection = 'close';
      if (mapped.status === 405) response.headers.allow = allowedMethods.join(', ');
      if (mapped.status >= 500) {
        logger?.error('request failed', {
          request_id: requestId,
          method,
          path: redactText(request.path, allSecrets),
          error: failure.code,
          message: redactText(failure.message, allSecrets),
        });
      }
    }
    if (limit) {
      response.headers['ratelimit-limit'] = String(limit.limit);
      response.headers['ratelimit-remaining'] = String(limit.remaining);
      response.headers['ratelimit-reset'] = String(limit.resetSeconds);
    }

    if (!authenticated && response.status === 401) await authFailures.record();
    if (match?.route.mutating && authenticated) {
      await audit.recordCall(
        { ...match, principal: principal?.id ?? null, method, status: response.status, result, failure },
        extraSecrets,
      );
    }
    response.headers['x-request-id'] = requestId;
    logger?.info('request', {
      request_id: requestId,
      method,
      path: redactText(request.path.slice(0, 300), allSecrets),
      status: response.status,
      principal: principal?.id ?? null,
      ms: Date.now() - started,
    });
    return response;
  };
}
