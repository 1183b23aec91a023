import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionView, JobView, NotificationMessage, Notifier, View } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIso, expectKeys, PRINCIPAL } from './contract-fixtures.js';
import { fsJob, makeService, makeTree, tempDir } from './helpers.js';

const JOB_KEYS = [
  'job_id',
  'job_name',
  'description',
  'backup_type',
  'source',
  'destination',
  'schedule',
  'retention',
  'compression',
  'encryption',
  'verification',
  'notifications',
  'status',
  'created_at',
  'created_by',
  'last_run',
  'next_run',
];

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; details: Record<string, unknown> }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').not.toBeNull();
  return error as { code: string; details: Record<string, unknown> };
}

/** Keeps what it was sent. */
class RecordingNotifier implements Notifier {
  readonly channel = 'recording';
  readonly messages: NotificationMessage[] = [];
  async send(message: NotificationMessage): Promise<void> {
    this.messages.push(message);
  }
}

/** The management calls of docs/http-api.md: same conventions as the eight core endpoints. */
describe('contract: management calls and listings', () => {
  let ctx: Awaited<ReturnType<typeof makeService>>;
  let source: string;
  let job: JobView;
  const backups: string[] = [];
  const executions: string[] = [];
  let firstRun: ExecutionView;
  const notifier = new RecordingNotifier();

  beforeAll(async () => {
    ctx = await makeService({ notifiers: [notifier] });
    source = await tempDir('contract-mgmt');
    await makeTree(source, 8);
    job = await ctx.service.createJob(
      fsJob(source, {
        schedule: { frequency: 'weekly', time: '03:30', day_of_week: 1, timezone: 'Europe/Paris' },
      }),
      { principal: PRINCIPAL },
    );
    for (let run = 0; run < 3; run++) {
      await writeFile(path.join(source, `run-${run}.txt`), `run ${run}\n`.repeat(2000));
      const started = await ctx.service.executeJob(job.job_id as string, run === 0 ? {} : undefined);
      executions.push(started.execution_id);
      if (run === 0) firstRun = started;
      const status = await ctx.service.waitFor(started.execution_id, { timeoutMs: 60_000 });
      expect(status.status, JSON.stringify(status.error)).toBe('completed');
      backups.push(status.result!.backup_id as string);
    }
  });

  afterAll(async () => {
    await ctx.cleanup();
    await rm(source, { recursive: true, force: true });
  });

  it('getJob and listJobs return the createJob shape; the weekly next_run is Monday 03:30 Paris', async () => {
    const fetched = await ctx.service.getJob(job.job_id as string);
    expectKeys(fetched, JOB_KEYS);
    expect(fetched.created_by).toBe(PRINCIPAL);
    expectIso(fetched.last_run);
    const next = new Date(fetched.next_run as string);
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(next);
    expect(parts).toBe('Mon 03:30');
    const listing = await ctx.service.listJobs();
    expect(listing).toMatchObject({ total: 1, limit: 50, offset: 0 });
    expectKeys((listing.jobs as View[])[0], JOB_KEYS);
  });

  it('updateJob recomputes next_run, pauses and resumes; created_by cannot be patched', async () => {
    const moved = await ctx.service.updateJob(job.job_id as string, { schedule: { day_of_week: 3 } });
    expectKeys(moved, JOB_KEYS);
    expect(new Date(moved.next_run as string).getUTCDay()).toBe(3);
    const paused = await ctx.service.updateJob(job.job_id as string, { status: 'paused' });
    expect(paused).toMatchObject({ status: 'paused', next_run: null });
    const resumed = await ctx.service.updateJob(job.job_id as string, { status: 'active' });
    expectIso(resumed.next_run);
    // @ts-expect-error: created_by is not a job setting; a plain JavaScript caller still gets a clear issue.
    const impersonate = await failure(ctx.service.updateJob(job.job_id, { created_by: 'mallory' }));
    expect(impersonate).toMatchObject({
      code: 'validation_failed',
      details: { issues: ['Unknown field: created_by'] },
    });
    expect((await ctx.service.getJob(job.job_id as string)).created_by).toBe(PRINCIPAL);
  });

  it('executeJob with an empty body fills the documented defaults', () => {
    expect(firstRun.execution_options).toEqual({
      priority: 'normal',
      force_full_backup: false,
      skip_verification: false,
      notify_on_completion: true,
    });
    expect(firstRun.custom_parameters).toEqual({});
    expect(firstRun.executed_by).toBeNull();
  });

  it('listExecutions pages the runs, newest first; executed_by is null without a principal', async () => {
    const page = await ctx.service.listExecutions(job.job_id as string, { limit: '2', offset: '0' });
    expect(page).toMatchObject({ total: 3, limit: 2, offset: 0 });
    const items = page.executions as View[];
    expect(items.map((e) => e.execution_id)).toEqual([executions[2], executions[1]]);
    for (const item of items) {
      expectKeys(item, ['execution_id', 'job_id', 'status', 'progress', 'started_at', 'executed_by']);
      expect(item.executed_by).toBeNull();
      expect(item.progress).toBe(100);
    }
    const ended = await failure(ctx.service.cancelExecution(executions[0]!));
    expect(ended).toMatchObject({ code: 'conflict', details: { execution_id: executions[0] } });
  });

  it('listBackups pages, filters by type and dates, and echoes the filters', async () => {
    const first = await ctx.service.listBackups({ limit: 2 });
    expect(first).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect((first.files as View[]).map((f) => f.backup_id)).toEqual([backups[2], backups[1]]);
    const rest = await ctx.service.listBackups({ limit: '2', offset: '2' });
    expect((rest.files as View[]).map((f) => f.backup_id)).toEqual([backups[0]]);
    // The job is incremental; force_full_backup was never used.
    const full = await ctx.service.listBackups({ backup_type: 'full' });
    expect(full).toMatchObject({ total: 0, files: [], filters: { backup_type: 'full' } });
    const incremental = await ctx.service.listBackups({ job_id: job.job_id, backup_type: 'incremental' });
    expect(incremental.total).toBe(3);
    const future = await ctx.service.listBackups({ date_from: '2999-01-01' });
    expect(future).toMatchObject({ total: 0, filters: { date_from: '2999-01-01' } });
    const past = await ctx.service.listBackups({ date_to: '2000-01-01T00:00:00Z' });
    expect(past.total).toBe(0);
    const bad = await failure(ctx.service.listBackups({ date_from: 'yesterday', limit: 0 }));
    expect(bad.code).toBe('validation_failed');
    expect((bad.details.issues as string[]).length).toBe(2);
  });

  it('getVerification returns the verifyBackup shape with the outcome', async () => {
    const started = await ctx.service.verifyBackup(backups[1]!, { verification_type: 'quick' });
    const done = await ctx.service.waitFor(started.verification_id, { timeoutMs: 60_000 });
    const fetched = await ctx.service.getVerification(started.verification_id);
    expect(fetched).toEqual(done);
    expectKeys(fetched, [
      'verification_id',
      'backup_id',
      'verification_type',
      'status',
      'progress',
      'started_at',
      'estimated_completion',
      'checksum_verification',
      'integrity_check',
      'test_restore',
      'test_restore_options',
    ]);
    expect(fetched).toMatchObject({ backup_id: backups[1], status: 'passed', progress: 100 });
    // The backup's listing records the verification time.
    const file = ((await ctx.service.listBackups({ limit: 500 })).files as View[]).find(
      (f) => f.backup_id === backups[1],
    );
    expectIso(file?.verified_at);
  });

  it('a run that skips verification still reports the verification block (not_verified)', async () => {
    await writeFile(path.join(source, 'skip.txt'), 'skip\n'.repeat(100));
    const run = await ctx.service.executeJob(job.job_id as string, {
      execution_options: { skip_verification: true },
    });
    const status = await ctx.service.waitFor(run.execution_id, { timeoutMs: 60_000 });
    expect(status.verification).toEqual({
      status: 'not_verified',
      checksum_verified: false,
      integrity_verified: false,
      test_restore_verified: false,
      verified_at: null,
    });
    backups.push(status.result!.backup_id as string);
    executions.push(run.execution_id);
  });

  it('createRestore takes created_by from the principal, never from the body', async () => {
    const target = await tempDir('contract-mgmt-restore');
    try {
      const body = {
        backup_id: backups[2]!,
        destination: { type: 'filesystem', path: target },
        restore_options: { verify_after_restore: false },
        notifications: { on_success: true, recipients: ['ops@delivery.com'] },
        created_by: 'someone_else',
      };
      const withPrincipal = await ctx.service.createRestore(body, { principal: PRINCIPAL });
      expect(withPrincipal.created_by).toBe(PRINCIPAL);
      const done = await ctx.service.waitFor(withPrincipal.restore_id, { timeoutMs: 60_000 });
      expect(done.status, JSON.stringify(done.error)).toBe('completed');
      expect((done.result as View).tables_restored).toBe(0);
      expect((done.result as View).records_restored as number).toBeGreaterThan(0);
      expect(done.verification).toMatchObject({ status: 'skipped', verified_at: null });
      // The restore's own notifications block is honoured (the job has none).
      await expect
        .poll(() => notifier.messages.map((m) => [m.kind, m.outcome, m.backup_id, m.recipients]))
        .toEqual([['restore', 'success', backups[2], ['ops@delivery.com']]]);
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  });

  it('applyRetention (dry run) and health answer with their documented fields', async () => {
    const plan = await ctx.service.applyRetention(job.job_id as string, { dry_run: true });
    expectKeys(plan, ['job_id', 'dry_run', 'keep', 'forget', 'deleted']);
    expect(plan).toMatchObject({ job_id: job.job_id, dry_run: true, deleted: [] });
    const health = await ctx.service.health();
    expect(health.status).toBe('ok');
    expectIso(health.time);
  });

  it('analytics with a window that holds nothing: zeros and empty breakdowns', async () => {
    const empty = await ctx.service.getAnalytics({ date_from: '2001-01-01', date_to: '2001-01-31' });
    expect(empty.overview).toMatchObject({ total_backups: 0, successful_backups: 0, total_storage_used: 0 });
    expect(empty.job_breakdown).toEqual([]);
    expect(empty.time_series).toEqual([]);
    const all = await ctx.service.getAnalytics({ job_id: job.job_id });
    expect(all.overview).toMatchObject({ total_backups: 4, successful_backups: 4, failed_backups: 0 });
    expect((all.job_breakdown as View[])[0]).toMatchObject({
      job_id: job.job_id,
      backups: 4,
      success_rate: 1,
    });
  });

  it('deleteJob hides the job but its backups stay listed', async () => {
    await ctx.service.deleteJob(job.job_id as string);
    expect((await failure(ctx.service.getJob(job.job_id as string))).code).toBe('job_not_found');
    expect((await ctx.service.listJobs()).total).toBe(0);
    expect((await ctx.service.listBackups()).total).toBe(4);
  });
});
