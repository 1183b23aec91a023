import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  type BackupService,
  type CallContext,
  type CatalogRepository,
  createMemoryCatalog,
  createSqliteCatalog,
  isBackupError,
  type View,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsJob, makeService, makeTree, tempDir } from './helpers.js';

const A: CallContext = { principal: 'user_a', roles: ['operator'] };
const B: CallContext = { principal: 'user_b', roles: ['operator', 'viewer'] };
const ADMIN: CallContext = { principal: 'root_1', roles: ['operator', 'admin'] };
/** Roles but no principal: a scoped call that sees nothing. */
const NOBODY: CallContext = { principal: null, roles: ['operator'] };

/** The rejection of `promise` as `{ error, message, details }`. */
async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isBackupError(error), `expected a BackupError, got ${String(error)}`).toBe(true);
  return (error as { toJSON(): Record<string, unknown> }).toJSON();
}

/**
 * Expects `call(hidden)` to fail exactly as `call(unknown)` does (same code, message, details but
 * the id): what a principal may not see is indistinguishable from what does not exist.
 */
async function expectHidden(
  call: (id: string) => Promise<unknown>,
  hidden: string,
  unknown: string,
  code: string,
): Promise<void> {
  const seen = await rejection(call(hidden));
  const missing = await rejection(call(unknown));
  expect(seen.error).toBe(code);
  expect(JSON.stringify(seen).replaceAll(hidden, '<id>')).toBe(
    JSON.stringify(missing).replaceAll(unknown, '<id>'),
  );
}

const catalogs: Array<[string, (dir: string) => CatalogRepository]> = [
  ['memory', () => createMemoryCatalog()],
  ['sqlite', (dir) => createSqliteCatalog({ path: path.join(dir, 'catalog.db') })],
];

describe.each(catalogs)('object-level authorization (%s catalog)', (_name, makeCatalog) => {
  let ctx: Awaited<ReturnType<typeof makeService>>;
  let service: BackupService;
  let root: string;
  let catalogDir: string;
  let jobA = '';
  let jobA2 = '';
  let jobB = '';
  let execA = '';
  let execB = '';
  const backupsA: string[] = [];
  let backupA2 = '';
  let backupB = '';
  let restoreA = '';
  let verificationA = '';
  let restores = 0;

  /** A fresh directory under the allowed roots to restore into. */
  const target = async () => {
    const dir = path.join(root, `restore-${restores++}`);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  const run = async (jobId: string, call: CallContext) => {
    const started = await service.executeJob(jobId, {}, call);
    const done = await service.waitFor(String(started.execution_id), { timeoutMs: 60_000 }, call);
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    return { executionId: String(started.execution_id), backupId: String((done.result as View).backup_id) };
  };

  beforeAll(async () => {
    root = await tempDir('ownership');
    const source = path.join(root, 'src');
    await makeTree(source, 6);
    catalogDir = await tempDir('ownership-catalog');
    ctx = await makeService({
      catalog: makeCatalog(catalogDir),
      retentionAfterBackup: false,
      access: { sourceRoots: [root], restoreRoots: [root] },
    });
    service = ctx.service;
    const job = (name: string) =>
      fsJob(source, { job_name: name, destination: { type: 'local', path: name } });
    jobA = String((await service.createJob(job('a-main'), A)).job_id);
    jobA2 = String((await service.createJob(job('a-old'), A)).job_id);
    jobB = String((await service.createJob(job('b-main'), B)).job_id);
    const first = await run(jobA, A);
    execA = first.executionId;
    backupsA.push(first.backupId, (await run(jobA, A)).backupId);
    backupA2 = (await run(jobA2, A)).backupId;
    const second = await run(jobB, B);
    execB = second.executionId;
    backupB = second.backupId;
    const verification = await service.verifyBackup(backupsA[0]!, { verification_type: 'quick' }, A);
    verificationA = String(verification.verification_id);
    expect((await service.waitFor(verificationA, {}, A)).status).toBe('passed');
    const restore = await service.createRestore(
      { backup_id: backupsA[0]!, destination: { type: 'filesystem', path: await target() } },
      A,
    );
    restoreA = String(restore.restore_id);
    expect((await service.waitFor(restoreA, {}, A)).status).toBe('completed');
    // A's second job is deleted: its backup stays A's (and hidden from B).
    await service.deleteJob(jobA2, A);
  });
  afterAll(async () => {
    await ctx.cleanup();
    await rm(root, { recursive: true, force: true });
    await rm(catalogDir, { recursive: true, force: true });
  });

  it("B gets the unknown id's answer from every method on A's objects", async () => {
    await expectHidden((id) => service.getJob(id, B), jobA, 'job_unknown', 'job_not_found');
    await expectHidden(
      (id) => service.updateJob(id, { job_name: 'taken' }, B),
      jobA,
      'job_unknown',
      'job_not_found',
    );
    await expectHidden((id) => service.deleteJob(id, B), jobA, 'job_unknown', 'job_not_found');
    await expectHidden((id) => service.executeJob(id, {}, B), jobA, 'job_unknown', 'job_not_found');
    await expectHidden((id) => service.getJobStatus(id, undefined, B), jobA, 'job_unknown', 'job_not_found');
    await expectHidden((id) => service.listExecutions(id, {}, B), jobA, 'job_unknown', 'job_not_found');
    await expectHidden(
      (id) => service.applyRetention(id, { dry_run: true }, B),
      jobA,
      'job_unknown',
      'job_not_found',
    );
    await expectHidden((id) => service.applyRetention(id, {}, B), jobA, 'job_unknown', 'job_not_found');
    // A's execution, looked up through B's own job or on its own.
    await expectHidden(
      (id) => service.getJobStatus(jobB, { execution_id: id }, B),
      execA,
      'exec_unknown',
      'execution_not_found',
    );
    // A completed execution answers `conflict` to its owner, so B must get the not-found code.
    await expectHidden((id) => service.cancelExecution(id, B), execA, 'exec_unknown', 'execution_not_found');
    await expectHidden((id) => service.waitFor(id, {}, B), execA, 'exec_unknown', 'execution_not_found');
    for (const backupId of [backupsA[0]!, backupA2]) {
      await expectHidden(
        async (id) =>
          service.createRestore(
            { backup_id: id, destination: { type: 'filesystem', path: await target() } },
            B,
          ),
        backupId,
        'backup_unknown',
        'backup_not_found',
      );
      await expectHidden(
        (id) => service.verifyBackup(id, {}, B),
        backupId,
        'backup_unknown',
        'backup_not_found',
      );
    }
    await expectHidden(
      (id) => service.getRestoreStatus(id, B),
      restoreA,
      'restore_unknown',
      'restore_not_found',
    );
    await expectHidden((id) => service.waitFor(id, {}, B), restoreA, 'restore_unknown', 'restore_not_found');
    await expectHidden(
      (id) => service.getVerification(id, B),
      verificationA,
      'verify_unknown',
      'verification_not_found',
    );
    await expectHidden(
      (id) => service.waitFor(id, {}, B),
      verificationA,
      'verify_unknown',
      'verification_not_found',
    );

    // Nothing of A's changed: the job, its runs and its backups are as they were.
    const job = await service.getJob(jobA, A);
    expect(job).toMatchObject({ job_name: 'a-main', status: 'active' });
    expect((await service.listExecutions(jobA, {}, A)).total).toBe(2);
    const backups = await service.listBackups({ job_id: jobA }, A);
    expect((backups.files as View[]).map((f) => f.backup_id).sort()).toEqual([...backupsA].sort());
  });

  it("B's lists and analytics show none of A's objects, and their totals exclude them", async () => {
    const jobs = await service.listJobs({}, B);
    expect((jobs.jobs as View[]).map((j) => j.job_id)).toEqual([jobB]);
    expect(jobs.total).toBe(1);
    const backups = await service.listBackups({}, B);
    expect((backups.files as View[]).map((f) => f.backup_id)).toEqual([backupB]);
    expect(backups.total).toBe(1);
    for (const jobId of [jobA, jobA2]) {
      const page = await service.listBackups({ job_id: jobId }, B);
      expect([page.files, page.total]).toEqual([[], 0]);
    }
    expect((await service.listExecutions(jobB, {}, B)).total).toBe(1);

    const analytics = await service.getAnalytics({}, B);
    expect(analytics.overview).toMatchObject({
      total_jobs: 1,
      active_jobs: 1,
      total_backups: 1,
      successful_backups: 1,
      total_restores: 0,
    });
    expect((analytics.job_breakdown as View[]).map((j) => j.job_id)).toEqual([jobB]);
    const ofA = await service.getAnalytics({ job_id: jobA }, B);
    expect(ofA.overview).toMatchObject({ total_jobs: 0, total_backups: 0, total_storage_used: 0 });
    expect(ofA.job_breakdown).toEqual([]);

    // A sees its own: the deleted job's backup too, and its restore.
    const mine = await service.getAnalytics({}, A);
    expect(mine.overview).toMatchObject({ total_jobs: 1, total_backups: 3, total_restores: 1 });
    expect((mine.job_breakdown as View[]).map((j) => j.job_id).sort()).toEqual([jobA, jobA2].sort());
    expect((await service.listBackups({}, A)).total).toBe(3);
    expect(((await service.listJobs({}, A)).jobs as View[]).map((j) => j.job_id)).toEqual([jobA]);
  });

  it('a scoped call without a principal sees nothing', async () => {
    expect(await service.listJobs({}, NOBODY)).toMatchObject({ jobs: [], total: 0 });
    expect(await service.listBackups({}, NOBODY)).toMatchObject({ files: [], total: 0 });
    const analytics = await service.getAnalytics({}, NOBODY);
    expect(analytics.overview).toMatchObject({ total_jobs: 0, total_backups: 0, total_restores: 0 });
    expect(analytics.job_breakdown).toEqual([]);
    await expectHidden((id) => service.getJob(id, NOBODY), jobA, 'job_unknown', 'job_not_found');
    await expectHidden(
      (id) => service.cancelExecution(id, NOBODY),
      execB,
      'exec_unknown',
      'execution_not_found',
    );
    await expectHidden(
      (id) => service.verifyBackup(id, {}, NOBODY),
      backupB,
      'backup_unknown',
      'backup_not_found',
    );
    await expectHidden(
      (id) => service.getRestoreStatus(id, NOBODY),
      restoreA,
      'restore_unknown',
      'restore_not_found',
    );
    // Its job belongs to nobody, whatever the body claims; an owner does not see it.
    const job = await service.createJob({ ...fsJob(path.join(root, 'src')), created_by: 'user_a' }, NOBODY);
    expect(job.created_by).toBeNull();
    await expectHidden((id) => service.getJob(id, A), String(job.job_id), 'job_unknown', 'job_not_found');
    await service.deleteJob(String(job.job_id));
  });

  it("a scoped principal's created_by body field never overrides its identity", async () => {
    const job = await service.createJob({ ...fsJob(path.join(root, 'src')), created_by: 'user_a' }, B);
    expect(job.created_by).toBe('user_b');
    await expectHidden((id) => service.getJob(id, A), String(job.job_id), 'job_unknown', 'job_not_found');
    await service.deleteJob(String(job.job_id), B);
  });

  it('an admin and a call without roles see and act on everything', async () => {
    for (const call of [ADMIN, {}, { principal: 'host_code' }] as CallContext[]) {
      const jobs = await service.listJobs({}, call);
      expect((jobs.jobs as View[]).map((j) => j.job_id).sort()).toEqual([jobA, jobB].sort());
      expect((await service.listBackups({}, call)).total).toBe(4);
      expect((await service.getAnalytics({}, call)).overview).toMatchObject({
        total_jobs: 2,
        total_backups: 4,
        total_restores: 1,
      });
      expect((await service.getJob(jobA, call)).job_id).toBe(jobA);
      expect((await service.getJobStatus(jobB, { execution_id: execB }, call)).execution_id).toBe(execB);
      expect((await service.listExecutions(jobA, {}, call)).total).toBe(2);
      expect((await service.getRestoreStatus(restoreA, call)).status).toBe('completed');
      expect((await service.getVerification(verificationA, call)).status).toBe('passed');
      expect((await service.applyRetention(jobB, { dry_run: true }, call)).job_id).toBe(jobB);
      expect((await rejection(service.cancelExecution(execA, call))).error).toBe('conflict');
    }
    // The admin acts on A's objects: it restores A's backup (of the deleted job too) and renames A's job.
    const restore = await service.createRestore(
      { backup_id: backupA2, destination: { type: 'filesystem', path: await target() } },
      ADMIN,
    );
    expect((await service.waitFor(String(restore.restore_id), {}, ADMIN)).status).toBe('completed');
    expect((await service.updateJob(jobB, { description: 'checked by admin' }, ADMIN)).description).toBe(
      'checked by admin',
    );
    expect((await service.getJob(jobB, B)).description).toBe('checked by admin');
  });

  it('A still does everything on its own objects, its deleted job included', async () => {
    expect((await service.updateJob(jobA, { description: 'mine' }, A)).description).toBe('mine');
    const status = await service.getJobStatus(jobA, { execution_id: execA }, A);
    expect(status.execution_id).toBe(execA);
    expect((await rejection(service.cancelExecution(execA, A))).error).toBe('conflict');
    const plan = await service.applyRetention(jobA, { dry_run: true }, A);
    expect((plan.keep as View[]).map((k) => k.backup_id).sort()).toEqual([...backupsA].sort());
    expect((await service.getRestoreStatus(restoreA, A)).status).toBe('completed');
    expect((await service.getVerification(verificationA, A)).status).toBe('passed');
    // The deleted job's backup stays A's: verified and restored by A.
    const verification = await service.verifyBackup(backupA2, { verification_type: 'quick' }, A);
    expect((await service.waitFor(String(verification.verification_id), {}, A)).status).toBe('passed');
    const restore = await service.createRestore(
      { backup_id: backupA2, destination: { type: 'filesystem', path: await target() } },
      A,
    );
    expect(restore.created_by).toBe('user_a');
    expect((await service.waitFor(String(restore.restore_id), {}, A)).status).toBe('completed');
    const rerun = await run(jobA, A);
    expect((await service.listExecutions(jobA, {}, A)).total).toBe(3);
    // The job has no retention policy: applying it keeps every backup.
    const applied = await service.applyRetention(jobA, {}, A);
    expect(applied).toMatchObject({ job_id: jobA, dry_run: false, deleted: [] });
    const backups = await service.listBackups({ job_id: jobA }, A);
    expect((backups.files as View[]).map((f) => f.backup_id).sort()).toEqual(
      [...backupsA, rerun.backupId].sort(),
    );
    // B's view did not grow.
    expect((await service.listBackups({}, B)).total).toBe(1);
  });

  it('a restore is also visible to the principal recorded as its creator', async () => {
    // The host's own code records a restore of A's backup for B (a body created_by, no roles).
    const restore = await service.createRestore({
      backup_id: backupsA[1]!,
      destination: { type: 'filesystem', path: await target() },
      created_by: 'user_b',
    });
    expect(restore.created_by).toBe('user_b');
    const done = await service.waitFor(String(restore.restore_id), {}, B);
    expect(done.status).toBe('completed');
    expect((await service.getRestoreStatus(String(restore.restore_id), A)).status).toBe('completed');
    // The backup itself stays hidden from B.
    await expectHidden(
      (id) => service.verifyBackup(id, {}, B),
      backupsA[1]!,
      'backup_unknown',
      'backup_not_found',
    );
  });
});
