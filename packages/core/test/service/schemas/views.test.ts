import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  analyticsViewSchema,
  backupFileListSchema,
  catalogRebuildResultSchema,
  executionListSchema,
  executionViewSchema,
  healthViewSchema,
  jobListSchema,
  jobStatusViewSchema,
  jobViewSchema,
  restoreStatusViewSchema,
  restoreViewSchema,
  retentionResultSchema,
  verificationViewSchema,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { fsJob, makeService, makeTree, tempDir } from '../helpers.js';

/**
 * `value` is exactly what `schema` describes: it parses, and parsing drops nothing (the object
 * schemas strip undeclared keys, so a field the service adds without declaring it shows up here).
 * Checked as the service answers and as JSON (what the HTTP adapter sends).
 */
function expectConforms(schema: z.ZodType, value: unknown): void {
  for (const candidate of [value, JSON.parse(JSON.stringify(value))]) {
    const result = schema.safeParse(candidate);
    expect(result.error?.issues).toBeUndefined();
    expect(result.data).toEqual(candidate);
  }
}

describe('every service result is exactly its schema', () => {
  let ctx: Awaited<ReturnType<typeof makeService>>;
  let source: string;
  let target: string;
  const statuses: unknown[] = [];

  beforeAll(async () => {
    ctx = await makeService();
    source = await tempDir('views-src');
    target = await tempDir('views-dst');
    await makeTree(source, 12);
    for (const name of ['execution.started', 'execution.completed', 'execution.failed'] as const) {
      ctx.service.on(name, (event) => statuses.push(['execution', event.status]));
    }
    ctx.service.on('restore.completed', (event) => statuses.push(['restore', event.status]));
    ctx.service.on('verification.completed', (event) => statuses.push(['verification', event.status]));
  });

  afterAll(async () => {
    await ctx.cleanup();
    await Promise.all([source, target].map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('jobs, executions, statuses, backups, verifications, restores, analytics, retention, health', async () => {
    const { service } = ctx;
    const job = await service.createJob(fsJob(source, { retention: { last: 5 } }), { principal: 'admin_1' });
    expectConforms(jobViewSchema, job);
    expectConforms(jobViewSchema, await service.getJob(job.job_id));
    expectConforms(jobViewSchema, await service.updateJob(job.job_id, { description: 'typed' }));
    expectConforms(jobListSchema, await service.listJobs({ limit: 5 }));

    const idle = await service.getJobStatus(job.job_id);
    expect(idle.status).toBe('idle');
    expectConforms(jobStatusViewSchema, idle);

    const run = await service.executeJob(job.job_id, { execution_options: { priority: 'high' } });
    expectConforms(executionViewSchema, run);
    const done = await service.waitFor(run.execution_id, { timeoutMs: 60_000 });
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    expectConforms(jobStatusViewSchema, done);
    expect(done.verification?.status).toBe('passed');
    expectConforms(executionListSchema, await service.listExecutions(job.job_id));

    // A run that fails (its source directory is missing): the error block, with details.
    const broken = await service.createJob(fsJob(path.join(source, 'missing')));
    const failedRun = await service.executeJob(broken.job_id);
    const failed = await service.waitFor(failedRun.execution_id, { timeoutMs: 60_000 });
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('source_unreachable');
    expectConforms(jobStatusViewSchema, failed);
    const [failedExecution] = (await service.listExecutions(broken.job_id)).executions;
    expect(failedExecution?.error?.code).toBe('source_unreachable');
    expectConforms(executionViewSchema, failedExecution);

    const files = await service.listBackups({ job_id: job.job_id });
    expect(files.total).toBeGreaterThan(0);
    expectConforms(backupFileListSchema, files);
    const backupId = done.result!.backup_id;

    const verification = await service.verifyBackup(backupId, { verification_type: 'quick' });
    expectConforms(verificationViewSchema, verification);
    const verified = await service.waitFor(verification.verification_id, { timeoutMs: 60_000 });
    expect(verified.status).toBe('passed');
    expectConforms(verificationViewSchema, verified);
    expectConforms(verificationViewSchema, await service.getVerification(verification.verification_id));

    const restore = await service.createRestore({
      backup_id: backupId,
      destination: { type: 'filesystem', path: target },
    });
    expectConforms(restoreViewSchema, restore);
    const restored = await service.waitFor(restore.restore_id, { timeoutMs: 60_000 });
    expect(restored.status, JSON.stringify(restored.error)).toBe('completed');
    expectConforms(restoreStatusViewSchema, restored);
    expectConforms(restoreStatusViewSchema, await service.getRestoreStatus(restore.restore_id));

    expectConforms(analyticsViewSchema, await service.getAnalytics());
    expectConforms(analyticsViewSchema, await service.getAnalytics({ job_id: job.job_id }));
    expectConforms(retentionResultSchema, await service.applyRetention(job.job_id, { dry_run: true }));
    expectConforms(retentionResultSchema, await service.applyRetention(job.job_id));
    expectConforms(healthViewSchema, await service.health());
    expectConforms(catalogRebuildResultSchema, await service.rebuildCatalog!());

    const schemas = {
      execution: jobStatusViewSchema,
      restore: restoreStatusViewSchema,
      verification: verificationViewSchema,
    };
    expect(statuses.length).toBeGreaterThanOrEqual(5);
    for (const [family, status] of statuses as Array<[keyof typeof schemas, unknown]>) {
      expectConforms(schemas[family], status);
    }
  });
});
