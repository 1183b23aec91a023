import {
  analyticsQuerySchema,
  applyRetentionOptionsSchema,
  type BackupErrorCode,
  type BackupService,
  type CallContext,
  createJobSchema,
  createRestoreSchema,
  executeJobSchema,
  type IdPrefix,
  jobStatusQuerySchema,
  listBackupsQuerySchema,
  listExecutionsQuerySchema,
  listJobsQuerySchema,
  updateJobSchema,
  verifyBackupSchema,
} from '@backupkit/core';
import { z } from 'zod';
import type { Action } from './actions.js';
import type { RateLimitBucket } from './rate-limit.js';
import * as responses from './response-schemas.js';

/** How each path parameter is checked: ids are prefixed, anything else is an unknown id. */
export const PATH_PARAMS: Readonly<
  Record<string, { prefix: IdPrefix; notFound: BackupErrorCode; label: string }>
> = {
  job_id: { prefix: 'job', notFound: 'job_not_found', label: 'Job' },
  execution_id: { prefix: 'exec', notFound: 'execution_not_found', label: 'Execution' },
  backup_id: { prefix: 'backup', notFound: 'backup_not_found', label: 'Backup' },
  restore_id: { prefix: 'restore', notFound: 'restore_not_found', label: 'Restore' },
  verification_id: { prefix: 'verify', notFound: 'verification_not_found', label: 'Verification' },
};

export const emptyQuerySchema = z.strictObject({});
export { jobStatusQuerySchema };
export const emptyBodySchema = z.strictObject({});

/** What a route's `invoke` gets: the query and body as the route's schemas parsed them. */
export interface Invocation<Body = unknown, Query = unknown> {
  params: Record<string, string>;
  /** The query, parsed by the route's `query` schema (numbers coerced, defaults filled). */
  query: Query;
  /**
   * The body, parsed by the route's `body` schema (an absent optional body as `{}` parsed);
   * undefined for routes without one. The service takes it as it is, without parsing it again.
   */
  body: Body;
  /** The query strings and the JSON body as they arrived. */
  raw: { query: Record<string, string>; body: unknown };
  context: CallContext;
}

/**
 * One endpoint. `Body`, `Query` and `Result` tie the schemas to `invoke`: it receives what
 * `body` and `query` parse to and answers what `response` documents.
 */
export interface RouteSpec<Body = unknown, Query = unknown, Result = unknown> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the mount prefix, OpenAPI style: `/jobs/{job_id}/execute`. */
  pattern: string;
  action: Action;
  summary: string;
  /** Mutating calls are audited. */
  mutating: boolean;
  rateLimit?: RateLimitBucket;
  query: z.ZodType<Query>;
  /** Request body schema (the service's own); absent for calls without a body. */
  body?: z.ZodType<Body>;
  /** Whether an absent body is fine (the schema then sees `{}`). */
  bodyOptional?: boolean;
  status: number;
  /** The documented success body (core's schema of what the service answers). */
  response?: z.ZodType<Result>;
  resourceType: string;
  /** The resource id known from the path, or from the result for creations. */
  targetFrom?: string;
  invoke(service: BackupService, call: Invocation<Body, Query>): Promise<Result>;
}

/** Checks one route's types (see `RouteSpec`) and erases them for the route table. */
function route<Body = undefined, Query = unknown, Result = unknown>(
  spec: RouteSpec<Body, Query, Result>,
): RouteSpec {
  return spec;
}

const id = (call: { params: Record<string, string> }, name: string): string => call.params[name]!;

/** Every endpoint of the API (docs/http-api.md): the eight core calls and the management calls. */
export const ROUTES: readonly RouteSpec[] = [
  route({
    method: 'POST',
    pattern: '/jobs',
    action: 'job.create',
    summary: 'Create a backup job',
    mutating: true,
    rateLimit: 'job_creation',
    query: emptyQuerySchema,
    body: createJobSchema,
    status: 201,
    response: responses.jobResponse,
    resourceType: 'job',
    targetFrom: 'job_id',
    invoke: (s, c) => s.createJob(c.body, c.context),
  }),
  route({
    method: 'GET',
    pattern: '/jobs',
    action: 'job.list',
    summary: 'List backup jobs',
    mutating: false,
    query: listJobsQuerySchema,
    status: 200,
    response: responses.jobListResponse,
    resourceType: 'job',
    invoke: (s, c) => s.listJobs(c.query, c.context),
  }),
  route({
    method: 'GET',
    pattern: '/jobs/{job_id}',
    action: 'job.get',
    summary: 'Get a backup job',
    mutating: false,
    query: emptyQuerySchema,
    status: 200,
    response: responses.jobResponse,
    resourceType: 'job',
    invoke: (s, c) => s.getJob(id(c, 'job_id'), c.context),
  }),
  route({
    method: 'PATCH',
    pattern: '/jobs/{job_id}',
    action: 'job.update',
    summary: 'Update a backup job (any subset of its fields; status active/paused)',
    mutating: true,
    rateLimit: 'job_update',
    query: emptyQuerySchema,
    body: updateJobSchema,
    status: 200,
    response: responses.jobResponse,
    resourceType: 'job',
    invoke: (s, c) => s.updateJob(id(c, 'job_id'), c.body, c.context),
  }),
  route({
    method: 'DELETE',
    pattern: '/jobs/{job_id}',
    action: 'job.delete',
    summary: 'Delete a backup job (its backups stay until retention removes them)',
    mutating: true,
    rateLimit: 'job_deletion',
    query: emptyQuerySchema,
    status: 204,
    resourceType: 'job',
    invoke: (s, c) => s.deleteJob(id(c, 'job_id'), c.context),
  }),
  route({
    method: 'POST',
    pattern: '/jobs/{job_id}/execute',
    action: 'job.execute',
    summary: 'Execute a backup job now (runs in the background)',
    mutating: true,
    rateLimit: 'execution',
    query: emptyQuerySchema,
    body: executeJobSchema,
    bodyOptional: true,
    status: 202,
    response: responses.executionResponse,
    resourceType: 'job',
    invoke: (s, c) => s.executeJob(id(c, 'job_id'), c.body, c.context),
  }),
  route({
    method: 'GET',
    pattern: '/jobs/{job_id}/status',
    action: 'job.status',
    summary: 'Status of the latest execution of a job (or of `execution_id`)',
    mutating: false,
    query: jobStatusQuerySchema,
    status: 200,
    response: responses.jobStatusResponse,
    resourceType: 'job',
    invoke: (s, c) => s.getJobStatus(id(c, 'job_id'), c.query, c.context),
  }),
  route({
    method: 'GET',
    pattern: '/jobs/{job_id}/executions',
    action: 'execution.list',
    summary: 'List the executions of a job',
    mutating: false,
    query: listExecutionsQuerySchema,
    status: 200,
    response: responses.executionListResponse,
    resourceType: 'job',
    invoke: (s, c) => s.listExecutions(id(c, 'job_id'), c.query, c.context),
  }),
  route({
    method: 'POST',
    pattern: '/jobs/{job_id}/retention/apply',
    action: 'retention.apply',
    summary: 'Apply the job’s retention policy now (`dry_run` lists what would be deleted)',
    mutating: true,
    rateLimit: 'retention_apply',
    query: applyRetentionOptionsSchema,
    body: applyRetentionOptionsSchema,
    bodyOptional: true,
    status: 200,
    response: responses.retentionResponse,
    resourceType: 'job',
    invoke: (s, c) => {
      // The body's `dry_run` wins when it was sent; the parsed body defaults it to false, so ask
      // the raw one whether it was.
      const sent = c.raw.body;
      const inBody = typeof sent === 'object' && sent !== null && 'dry_run' in sent;
      const dryRun = inBody ? c.body.dry_run : c.query.dry_run;
      return s.applyRetention(id(c, 'job_id'), { dry_run: dryRun }, c.context);
    },
  }),
  route({
    method: 'POST',
    pattern: '/executions/{execution_id}/cancel',
    action: 'execution.cancel',
    summary: 'Cancel a queued or running execution',
    mutating: true,
    rateLimit: 'execution_cancel',
    query: emptyQuerySchema,
    body: emptyBodySchema,
    bodyOptional: true,
    status: 200,
    response: responses.executionResponse,
    resourceType: 'execution',
    invoke: (s, c) => s.cancelExecution(id(c, 'execution_id'), c.context),
  }),
  route({
    method: 'GET',
    pattern: '/files',
    action: 'backup.list',
    summary: 'List backup files (filters, `limit` default 50 max 500, `offset`)',
    mutating: false,
    query: listBackupsQuerySchema,
    status: 200,
    response: responses.filesResponse,
    resourceType: 'backup',
    invoke: (s, c) => s.listBackups(c.query, c.context),
  }),
  route({
    method: 'POST',
    pattern: '/restores',
    action: 'restore.create',
    summary: 'Create a restore job (runs in the background)',
    mutating: true,
    rateLimit: 'restore_creation',
    query: emptyQuerySchema,
    body: createRestoreSchema,
    status: 202,
    response: responses.restoreResponse,
    resourceType: 'restore',
    targetFrom: 'restore_id',
    invoke: (s, c) => s.createRestore(c.body, c.context),
  }),
  route({
    method: 'GET',
    pattern: '/restores/{restore_id}/status',
    action: 'restore.status',
    summary: 'Status of a restore job',
    mutating: false,
    query: emptyQuerySchema,
    status: 200,
    response: responses.restoreStatusResponse,
    resourceType: 'restore',
    invoke: (s, c) => s.getRestoreStatus(id(c, 'restore_id'), c.context),
  }),
  route({
    method: 'POST',
    pattern: '/backups/{backup_id}/verify',
    action: 'backup.verify',
    summary: 'Verify a backup (runs in the background)',
    mutating: true,
    rateLimit: 'verification',
    query: emptyQuerySchema,
    body: verifyBackupSchema,
    bodyOptional: true,
    status: 202,
    response: responses.verificationResponse,
    resourceType: 'backup',
    invoke: (s, c) => s.verifyBackup(id(c, 'backup_id'), c.body, c.context),
  }),
  route({
    method: 'GET',
    pattern: '/verifications/{verification_id}',
    action: 'verification.get',
    summary: 'Status and result of a verification',
    mutating: false,
    query: emptyQuerySchema,
    status: 200,
    response: responses.verificationResponse,
    resourceType: 'verification',
    invoke: (s, c) => s.getVerification(id(c, 'verification_id'), c.context),
  }),
  route({
    method: 'GET',
    pattern: '/analytics',
    action: 'analytics.get',
    summary: 'Backup service analytics',
    mutating: false,
    query: analyticsQuerySchema,
    status: 200,
    response: responses.analyticsResponse,
    resourceType: 'analytics',
    invoke: (s, c) => s.getAnalytics(c.query, c.context),
  }),
  route({
    method: 'GET',
    pattern: '/health',
    action: 'health',
    summary: 'Health of the service and its catalog',
    mutating: false,
    query: emptyQuerySchema,
    status: 200,
    response: responses.healthResponse,
    resourceType: 'service',
    invoke: (s) => s.health(),
  }),
  route({
    method: 'GET',
    pattern: '/openapi.json',
    action: 'openapi',
    summary: 'This API as an OpenAPI 3.1 document',
    mutating: false,
    query: emptyQuerySchema,
    status: 200,
    resourceType: 'service',
    // Answered by the handler itself (it knows the mount prefix).
    invoke: async () => undefined,
  }),
];

export interface RouteMatch {
  route: RouteSpec;
  params: Record<string, string>;
}

/** The path exists, but not under the request's method. */
export interface MethodMismatch {
  /** The methods the path answers, in route order. */
  allowed: string[];
}

/** `/jobs/{job_id}/status` → segments; `{…}` segments capture. */
const COMPILED = ROUTES.map((route) => ({ route, segments: route.pattern.split('/').slice(1) }));

/**
 * Finds the route for `method` and already-decoded path `segments`.
 * @returns the match, the path's methods when it exists under other methods only, or null.
 */
export function matchRoute(method: string, segments: readonly string[]): RouteMatch | MethodMismatch | null {
  const allowed: string[] = [];
  for (const { route, segments: pattern } of COMPILED) {
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((part, index) => {
      const actual = segments[index]!;
      if (part.startsWith('{')) {
        params[part.slice(1, -1)] = actual;
        return actual.length > 0;
      }
      return part === actual;
    });
    if (!ok) continue;
    if (route.method === method) return { route, params };
    if (!allowed.includes(route.method)) allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : null;
}
