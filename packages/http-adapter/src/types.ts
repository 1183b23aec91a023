import type { Readable } from 'node:stream';
import type { BackupService, CatalogRepository, Clock, LoggerLike } from '@backupkit/core';
import type { Action } from './actions.js';
import type { RateLimitOptions } from './rate-limit.js';

export type HeaderValue = string | string[] | undefined;

/** A framework-neutral request. `path` is relative to the mount prefix (`/jobs/job_1/status`). */
export interface HttpRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | undefined>;
  /** Header names in lower case (as Node gives them). */
  headers: Record<string, HeaderValue>;
  /** An already-parsed body (a host app's JSON parser ran first). */
  body?: unknown;
  /** The raw body: bytes, text, or the request stream (read with the size limit). */
  rawBody?: Uint8Array | string | Readable;
  /** Where the API is mounted (`/backup`), for the OpenAPI document. */
  basePath?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** A JSON value; undefined for 204. */
  body?: unknown;
  /** Sent as it is instead of `body` (metrics text, the analytics page's files). */
  raw?: string | Uint8Array;
}

/** Who is calling, as the `authenticate` hook found out. */
export interface Principal {
  /** Fills `created_by` / `executed_by`; keys the rate limits and the audit log. */
  id: string;
  /**
   * Built-in roles the handler enforces: `admin` (every action on every principal's objects),
   * `operator` (every action on its own objects), `viewer` (read-only actions on its own
   * objects). None, or only names the handler does not know: an `operator`. Other names are
   * for the host's `authorize` hook.
   */
  roles?: readonly string[];
  scopes?: readonly string[];
  /** Verified token claims, if any. */
  claims?: Readonly<Record<string, unknown>>;
}

/** Returns the principal, or null for missing / bad credentials (→ 401). */
export type Authenticate = (request: HttpRequest) => Principal | null | Promise<Principal | null>;

/** What a call acts on: `{ type: 'job', id: 'job_…' }`; `id` is null for collections. */
export interface Resource {
  type: string;
  id: string | null;
}

/** The validated input of a call, as the `authorize` hook sees it. */
export interface AuthorizeRequest {
  /** The parsed JSON body, validated by the route's schema; undefined when none was sent. */
  body: unknown;
  /** The validated query parameters. */
  query: Record<string, string>;
}

/**
 * Whether `principal` may do `action` on `resource` with this input (false → 403, nothing
 * done). Called after the built-in role check allowed the call and the body and query were
 * validated, before rate limiting and the service. It can only narrow what roles allow.
 */
export type Authorize = (
  principal: Principal,
  action: Action,
  resource: Resource,
  request: AuthorizeRequest,
) => boolean | Promise<boolean>;

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface BackupHandlerOptions {
  service: BackupService;
  /**
   * Where audit entries and the shared rate-limit counters live (the service's catalog).
   * `init()` (idempotent) is called once before the first use.
   */
  catalog: Pick<CatalogRepository, 'appendAudit' | 'incrementRateCounter'> &
    Partial<Pick<CatalogRepository, 'init'>>;
  /**
   * Required. To make every endpoint public, pass one that returns a principal for every
   * request, knowingly.
   */
  authenticate: Authenticate;
  /**
   * A further check after the built-in roles (see `Principal.roles`) allowed the call.
   * Default: what the roles allow.
   */
  authorize?: Authorize;
  /** Actions that need no credentials, e.g. `['health', 'openapi']`. Default: none. */
  publicActions?: readonly Action[];
  /** Per-principal limits, one bucket per mutating call; defaults in `DEFAULT_RATE_LIMITS`. */
  rateLimits?: RateLimitOptions;
  /** Largest accepted body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Deepest accepted nesting of objects / arrays in a body (default 32). */
  maxJsonDepth?: number;
  clock?: Clock;
  /**
   * Request and error lines, each with its `request_id` (the caller's `X-Request-Id` when it
   * is a plain token, else a new one; answered in `X-Request-Id`); never bodies, tokens or
   * passwords. Pino, console, or any `(message, fields)` logger.
   */
  logger?: LoggerLike;
  /**
   * Serves `GET /metrics` (Prometheus text) from this registry: the one given to the service's
   * `metrics` option (prom-client's `register` for the default). Behind `authenticate` like the
   * API, for the `roles` named (default `['admin']`: the figures cover every principal's jobs);
   * add `'metrics'` to `publicActions` to let a scraper in without credentials. Default: off.
   */
  metrics?: MetricsEndpointOptions;
  /**
   * Serves the read-only analytics page at `GET /ui` (default off). The page's files hold no
   * data and are served without credentials; the page asks for a token and calls the API with
   * it (`Authorization: Bearer`), so every figure it shows passes the API's own auth.
   */
  ui?: boolean;
  /** Further strings never to let out (key material, signing secrets); masked in every response, log line and audit entry. */
  secrets?: readonly string[];
  /** Mount prefix for the OpenAPI document when the request does not say (default `/backup`). */
  basePath?: string;
}

/** The `metrics` option of the handler. */
export interface MetricsEndpointOptions {
  /** A prom-client `Registry` (structural: the adapter does not depend on prom-client). */
  registry: { metrics(): Promise<string>; readonly contentType: string };
  /** Built-in roles allowed to scrape (default `['admin']`); `authorize` may narrow further. */
  roles?: readonly ('admin' | 'operator' | 'viewer')[];
}
