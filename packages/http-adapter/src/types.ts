import type { Readable } from 'node:stream';
import type { BackupService, CatalogRepository, Clock } from '@backupkit/core';
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
}

/** Who is calling, as the `authenticate` hook found out. */
export interface Principal {
  /** Fills `created_by` / `executed_by`; keys the rate limits and the audit log. */
  id: string;
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

/** Whether `principal` may do `action` on `resource` (false → 403). */
export type Authorize = (
  principal: Principal,
  action: Action,
  resource: Resource,
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
  authenticate: Authenticate;
  /** Default: every authenticated principal may do everything. */
  authorize?: Authorize;
  /** Actions that need no credentials, e.g. `['health', 'openapi']`. Default: none. */
  publicActions?: readonly Action[];
  /** Per-principal limits; defaults are the spec's (10/50/5/20 per hour). */
  rateLimits?: RateLimitOptions;
  /** Largest accepted body in bytes (default 1 MiB). */
  bodyLimit?: number;
  clock?: Clock;
  /** Request and error lines; never receives bodies, tokens or passwords. */
  logger?: Logger;
  /** Further strings never to let out (key material, signing secrets); masked in every response, log line and audit entry. */
  secrets?: readonly string[];
  /** Mount prefix for the OpenAPI document when the request does not say (default `/backup`). */
  basePath?: string;
}
