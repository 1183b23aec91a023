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
export const jobStatusQuerySchema = z.strictObject({
  execution_id: z.string().min(1).max(100).optional(),
});
export const emptyBodySchema = z.strictObject({});

export interface Invocation {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  context: CallContext;
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the mount prefix, OpenAPI style: `/jobs/{job_id}/execute`. */
  pattern: string;
  action: Action;
  summary: string;
  /** Mutating calls are audited. */
  mutating: boolean;
  rateLimit?: RateLimitBucket;
  query: z.ZodType;
  /** Request body schema (the service's own); absent for calls without a body. */
  body?: z.ZodType;
  /** Whether an absent body is fine (the schema then sees `{}`). */
  bodyOptional?: boolean;
  status: number;
  /** The documented success body (OpenAPI only; the service produces it). */
  response?: z.ZodType;
  resourceType: string;
  /** The resource id known from the path, or from the result for creations. */
  targetFrom?: string;
  invoke(service: BackupService, call: Invocation): Promise<unknown>;
}

const id = (call: Invocation, name: string): string => call.params[name]!;

/** The eight documented endpoints (spec) and the management endpoints of API.md. */
export const ROUTES: readonly RouteSpec[] = [
  {
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
  },
  {
    method: 'GET',
    pattern: '/jobs',
    action: 'job.list',
    summary: 'List backup jobs',
    mutating: false,
    query: listJobsQuerySchema,
    status: 200,
    resourceType: 'job',
    invoke: (s, c) => s.listJobs(c.query, c.context),
  },
  {
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
  },
  {
    method: 'PATCH',
    pattern: '/jobs/{job_id}',
    action: 'job.update',
    summary: 'Update a backup job (any subset of its fields; status active/paused)',
    mutating: true,
    query: emptyQuerySchema,
    body: updateJobSchema,
    status: 200,
    response: responses.jobResponse,
    resourceType: 'job',
    invoke: (s, c) => s.updateJob(id(c, 'job_id'), c.body, c.context),
  },
  {
    method: 'DELETE',
    pattern: '/jobs/{job_id}',
    action: 'job.delete',
    summary: 'Delete a backup job (its backups stay until retention removes them)',
    mutating: true,
    query: emptyQuerySchema,
    status: 204,
    resourceType: 'job',
    invoke: (s, c) => s.deleteJob(id(c, 'job_id'), c.context),
  },
  {
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
  },
  {
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
  },
  {
    method: 'GET',
    pattern: '/jobs/{job_id}/executions',
    action: 'execution.list',
    summary: 'List the executions of a job',
    mutating: false,
    query: listExecutionsQuerySchema,
    status: 200,
    resourceType: 'job',
    invoke: (s, c) => s.listExecutions(id(c, 'job_id'), c.query, c.context),
  },
  {
    method: 'POST',
    pattern: '/jobs/{job_id}/retention/apply',
    action: 'retention.apply',
    summary: 'Apply the job’s retention policy now (`dry_run` lists what would be deleted)',
    mutating: true,
    query: applyRetentionOptionsSchema,
    body: applyRetentionOptionsSchema,
    bodyOptional: true,
    status: 200,
    resourceType: 'job',
    invoke: (s, c) => {
      const fromBody = (c.body as { dry_run?: boolean | string } | undefined)?.dry_run;
      const dryRun = fromBody ?? c.query.dry_run ?? false;
      return s.applyRetention(id(c, 'job_id'), { dry_run: dryRun === true || dryRun === 'true' }, c.context);
    },
  },
  {
    method: 'POST',
    pattern: '/executions/{execution_id}/cancel',
    action: 'execution.cancel',
    summary: 'Cancel a queued or running execution',
    mutating: true,
    query: emptyQuerySchema,
    body: emptyBodySchema,
    bodyOptional: true,
    status: 200,
    response: responses.executionResponse,
    resourceType: 'execution',
    invoke: (s, c) => s.cancelExecution(id(c, 'execution_id'), c.context),
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
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
  },
  {
    method: 'GET',
    pattern: '/health',
    action: 'health',
    summary: 'Health of the service and its catalog',
    mutating: false,
    query: emptyQuerySchema,
    status: 200,
    resourceType: 'service',
    invoke: (s) => s.health(),
  },
  {
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
  },
];

export interface RouteMatch {
  route: RouteSpec;
  params: Record<string, string>;
}

/** `/jobs/{job_id}/status` → segments; `{…}` segments capture. */
const COMPILED = ROUTES.map((route) => ({ route, segments: route.pattern.split('/').slice(1) }));

/**
 * Finds the route for `method` and already-decoded path `segments`.
 * @returns the match, `'method'` when the path exists under another method, or null.
 */
export function matchRoute(method: string, segments: readonly string[]): RouteMatch | 'method' | null {
  let pathExists = false;
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
    pathExists = true;
  }
  return pathExists ? 'method' : null;
}
