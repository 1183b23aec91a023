import {
  BackupError,
  type CallContext,
  describeIssues,
  isWellFormedId,
  parseInput,
  systemClock,
} from '@backupkit/core';
import { AuditLog } from './audit.js';
import { DEFAULT_BODY_LIMIT, readJsonBody } from './body.js';
import { errorResponse } from './error-status.js';
import { buildOpenApiDocument } from './openapi.js';
import { RateLimiter, type RateLimitResult } from './rate-limit.js';
import { redactText, redactValue } from './redact.js';
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

/**
 * Builds the neutral handler: routing, authentication, authorization, body and query
 * validation with the service's zod schemas, per-principal rate limits counted in the
 * catalog, audit entries for every mutating call, and the documented error shape.
 * @throws BackupError `invalid_request` for an invalid rate-limit configuration.
 */
export function createBackupHandler(options: BackupHandlerOptions): BackupHandler {
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
  const audit = new AuditLog(catalog, clock, options.logger, secrets);
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
    const method = request.method.toUpperCase();
    const extraSecrets = requestSecrets(request);
    const allSecrets = [...secrets, ...extraSecrets];
    let match: RouteMatch | null = null;
    let principal: Principal | null = null;
    let result: unknown;
    let limit: RateLimitResult | null = null;
    let response: HttpResponse;
    let failure: BackupError | undefined;

    try {
      const found = matchRoute(method, splitPath(request.path));
      if (found === null || found === 'method') {
        throw new BackupError('not_found', `No endpoint ${method} ${request.path.slice(0, 200)}`, {
          details: { method, path: request.path.slice(0, 200) },
        });
      }
      match = found;
      const { route } = match;
      const resourceId = Object.values(match.params)[0] ?? null;
      principal = await authenticate(request, !publicActions.has(route.action));
      if (principal && options.authorize) {
        const allowed = await options.authorize(principal, route.action, {
          type: route.resourceType,
          id: resourceId,
        });
        if (!allowed) {
          throw new BackupError('forbidden', `Not allowed: ${route.action}`, {
            details: { action: route.action },
          });
        }
      }
      checkIds(match);
      const query = singleValued(request.query);
      const queryCheck = route.query.safeParse(query);
      if (!queryCheck.success) {
        throw new BackupError('invalid_request', 'Invalid query parameters', {
          details: { issues: describeIssues(queryCheck.error.issues, query) },
        });
      }
      let body: unknown;
      if (route.body) {
        body = await readJsonBody(request, bodyLimit);
        parseInput(route.body, body === undefined && route.bodyOptional ? {} : body);
      }
      if (route.rateLimit) limit = await limiter.consume(route.rateLimit, principal?.id ?? 'anonymous');

      if (route.action === 'openapi') {
        const basePath = request.basePath ?? options.basePath ?? '/backup';
        if (!documents.has(basePath)) documents.set(basePath, buildOpenApiDocument({ basePath }));
        result = documents.get(basePath);
      } else {
        const context: CallContext = { principal: principal?.id ?? null };
        result = await route.invoke(options.service, { params: match.params, query, body, context });
      }
      response = {
        status: route.status,
        headers: { ...JSON_HEADERS },
        body: route.status === 204 ? undefined : redactValue(result, allSecrets),
      };
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
      if (mapped.status >= 500) {
        options.logger?.error('request failed', {
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

    if (match?.route.mutating) {
      await audit.recordCall(
        { ...match, principal: principal?.id ?? null, method, status: response.status, result, failure },
        extraSecrets,
      );
    }
    options.logger?.info('request', {
      method,
      path: redactText(request.path.slice(0, 300), allSecrets),
      status: response.status,
      principal: principal?.id ?? null,
      ms: Date.now() - started,
    });
    return response;
  };
}
