import { rm } from 'node:fs/promises';
import {
  type BackupService,
  createBackupService,
  createPostgresCatalog,
  filesystemSourceKind,
  ManualClock,
  type PostgresCatalog,
  type SourceKind,
  type View,
} from '@backupkit/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../../../test-support/postgres.js';
import { fsJob, makeTree, TEMP_ACCESS, tempDir, testKeys } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The filesystem source, except that runs of `holdPath` wait in `open()` until cancelled: keeps an
 * instance's slot busy for as long as a test needs, with no timing guesswork.
 */
function holdingSourceKind(holdPath: string): SourceKind {
  const fs = filesystemSourceKind;
  return {
    types: fs.types,
    validateSource: (config) => fs.validateSource(config),
    createRestoreTarget: (destination, options) => fs.createRestoreTarget(destination, options),
    createSource(config) {
      const source = fs.createSource(config);
      if (config.path !== holdPath) return source;
      return {
        type: source.type,
        describe: () => source.describe(),
        open: (context) =>
          new Promise((_, reject) =>
            context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true }),
          ),
      };
    },
  };
}

/** Polls (real time) until `check` holds; the schedule itself runs on the ManualClock. */
async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(50);
  }
}

describe('several service instances on one PostgreSQL catalog', () => {
  const dirs: string[] = [];
  const databases: TempDatabase[] = [];
  let services: BackupService[] = [];
  let catalogs: PostgresCatalog[] = [];
  let localRoot: string;
  let source: string;

  beforeAll(async () => {
    localRoot = await tempDir('multi-storage');
    source = await tempDir('multi-src');
    dirs.push(localRoot, source);
    await makeTree(source, 3);
  });
  afterEach(async () => {
    await Promise.all(services.map((s) => s.stop({ cancelRunning: true })));
    await Promise.all(catalogs.map((c) => c.close()));
    services = [];
    catalogs = [];
  });
  afterAll(async () => {
    for (const db of databases) await db.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  /** `count` instances, each with its own pool on one fresh database and one shared storage root. */
  async function instances(
    count: number,
    clock: ManualClock,
    max: number[],
    sources?: SourceKind[],
  ): Promise<BackupService[]> {
    const db = await createTempDatabase('bk_multi');
    databases.push(db);
    for (let i = 0; i < count; i++) {
      const catalog = createPostgresCatalog({ connectionString: db.url, maxConnections: 4 });
      catalogs.push(catalog);
      services.push(
        createBackupService({
          catalog,
          clock,
          dataDir: await tempDir(`multi-${i}`),
          storage: { localRoot },
          keys: testKeys(),
          secretKey: Buffer.alloc(32, 1),
          instanceId: `instance-${i}`,
          maxConcurrentExecutions: max[i] ?? 2,
          access: TEMP_ACCESS,
          // Real-time ticks, so claims race between instances; schedule times come from the clock.
          schedulerIntervalMs: 40,
          progressIntervalMs: 20,
          ...(sources ? { sources } : {}),
        }),
      );
    }
    // One instance creates the schema before the others open it.
    await services[0]!.health();
    return services;
  }

  it("runs each of 24 occurrences due the same minute exactly once across 3 instances; fails a dead instance's run at lease expiry", async () => {
    const clock = new ManualClock('2024-01-15T12:00:00Z');
    const [a, b, c] = await instances(3, clock, [2, 2, 2]);
    const jobIds: string[] = [];
    for (let i = 0; i < 24; i++) {
      const job = await a!.createJob(
        fsJob(source, {
          job_name: `Job ${i}`,
          destination: { type: 'local', path: `multi-${i}` },
          compression: { enabled: false, algorithm: 'none' },
          encryption: { enabled: false },
          schedule: { frequency: '*/5 * * * *', timezone: 'UTC' },
        }),
      );
      expect(job.next_run).toBe('2024-01-15T12:05:00.000Z');
      jobIds.push(String(job.job_id));
    }
    // An instance that died mid-run of job 0: its lease runs out at 12:04:30.
    const stale = 'exec_staledeadinstance';
    await catalogs[0]!.insertExecution({
      execution_id: stale,
      job_id: jobIds[0]!,
      status: 'running',
      progress: 10,
      bytes_done: 0,
      bytes_total: 0,
      execution_options: {},
      custom_parameters: {},
      executed_by: null,
      trigger: 'manual',
      scheduled_for: null,
      priority: 50,
      owner: 'instance-dead',
      lease_expires_at: '2024-01-15T12:04:30.000Z',
      created_at: '2024-01-15T12:00:00.000Z',
      started_at: '2024-01-15T12:00:00.000Z',
      completed_at: null,
      estimated_completion: null,
      backup_id: null,
      error: null,
    });
    await Promise.all([a!.start(), b!.start(), c!.start()]);
    expect((await catalogs[0]!.getExecution(stale))?.status).toBe('running'); // lease still live

    clock.set('2024-01-15T12:05:00Z');
    const finished = async () => {
      for (const jobId of jobIds) {
        const listed = (await b!.listExecutions(jobId)).executions as View[];
        if (listed.length === 0 || listed.some((e) => e.status === 'queued' || e.status === 'running'))
          return false;
      }
      return true;
    };
    await until(finished);
    await sleep(200); // more ticks of every instance: nothing runs twice

    // The dead instance's run was failed at lease expiry, which freed job 0 for its occurrence.
    expect(await catalogs[0]!.getExecution(stale)).toMatchObject({
      status: 'failed',
      error: { code: 'lease_expired' },
    });
    const owners = new Map<string, number>();
    for (const jobId of jobIds) {
      const listed = ((await c!.listExecutions(jobId)).executions as View[]).filter(
        (e) => e.execution_id !== stale,
      );
      expect(listed, jobId).toHaveLength(1);
      expect(listed[0]).toMatchObject({ status: 'completed', trigger: 'schedule' });
      const record = await catalogs[0]!.getExecution(String(listed[0]!.execution_id));
      owners.set(String(record?.owner), (owners.get(String(record?.owner)) ?? 0) + 1);
      expect((await a!.getJob(jobId)).next_run).toBe('2024-01-15T12:10:00.000Z');
    }
    console.info(`multi-instance: executions per instance ${JSON.stringify(Object.fromEntries(owners))}`);
    expect([...owners.values()].reduce((x, y) => x + y, 0)).toBe(24);
    expect([...owners.keys()].every((o) => /^instance-[012]$/.test(o))).toBe(true);
  });

  it('a manual run queued on a full instance is run by an idle one, highest priority first', async () => {
    const clock = new ManualClock('2024-01-15T12:00:00Z');
    const held = await tempDir('multi-held');
    dirs.push(held);
    // instance-0's only slot stays busy with a run of `held` until it is cancelled.
    const [a, b] = await instances(2, clock, [1, 1], [holdingSourceKind(held)]);
    const busyJob = await a!.createJob(fsJob(held, { destination: { type: 'local', path: 'busy' } }));
    const busy = await a!.executeJob(String(busyJob.job_id));
    expect(busy.status).toBe('running');

    const queued: Record<string, View> = {};
    for (const priority of ['low', 'normal', 'high'] as const) {
      const job = await a!.createJob(fsJob(source, { destination: { type: 'local', path: priority } }));
      queued[priority] = await a!.executeJob(String(job.job_id), { execution_options: { priority } });
      expect(queued[priority]!.status).toBe('queued');
    }
    const dropped = await a!.createJob(fsJob(source, { destination: { type: 'local', path: 'dropped' } }));
    const droppedRun = await a!.executeJob(String(dropped.job_id), {
      execution_options: { priority: 'low' },
    });
    expect(droppedRun.status).toBe('queued');
    const started: string[] = [];
    b!.on('execution.started', (event) => started.push(event.id));
    // Any instance cancels a queued run (it is a catalog row, not one instance's memory).
    expect(await b!.cancelExecution(String(droppedRun.execution_id))).toMatchObject({
      status: 'cancelled',
      error: { code: 'aborted' },
    });
    await b!.start(); // instance-1 is idle: it claims the queue, one at a time (its limit is 1)

    for (const priority of ['high', 'normal', 'low']) {
      const done = await b!.waitFor(String(queued[priority]!.execution_id), { timeoutMs: 60_000 });
      expect(done.status).toBe('completed');
    }
    expect(started).toEqual(['high', 'normal', 'low'].map((p) => queued[p]!.execution_id));
    expect((await b!.getJobStatus(String(dropped.job_id))).status).toBe('cancelled');
    for (const priority of ['low', 'normal', 'high']) {
      const record = await catalogs[1]!.getExecution(String(queued[priority]!.execution_id));
      expect(record?.owner).toBe('instance-1');
    }
    // instance-0 was busy all along; cancelling its run (on its own instance) aborts it.
    expect((await a!.getJobStatus(String(busyJob.job_id))).status).toBe('running');
    await expect(b!.cancelExecution(String(busy.execution_id))).rejects.toMatchObject({ code: 'conflict' });
    expect(await a!.cancelExecution(String(busy.execution_id))).toMatchObject({
      status: 'cancelled',
      error: { code: 'aborted' },
    });
  });

  it('an instance that finds its lease lost (failed at expiry by another) stops and keeps that outcome', async () => {
    const clock = new ManualClock('2024-01-15T12:00:00Z');
    const held = await tempDir('multi-stalled');
    dirs.push(held);
    const [a] = await instances(1, clock, [1], [holdingSourceKind(held)]);
    const job = await a!.createJob(fsJob(held, { destination: { type: 'local', path: 'stalled' } }));
    const run = await a!.executeJob(String(job.job_id));
    expect(run.status).toBe('running');
    // Another instance's sweep decided this run was dead (as if this one had stalled past its lease).
    await catalogs[0]!.updateExecution(String(run.execution_id), {
      status: 'failed',
      completed_at: clock.now().toISOString(),
      lease_expires_at: null,
      error: { code: 'lease_expired', message: 'The instance stopped renewing its lease' },
    });
    clock.advance(30_000); // past a third of the lease: the next renewal re-reads the record
    // The run is aborted (not left running), and its own final write does not overwrite the outcome.
    await until(async () => (await a!.health()).active_work === 0, 10_000);
    const done = await a!.getJobStatus(String(job.job_id));
    expect(done).toMatchObject({ status: 'failed', error: { code: 'lease_expired' } });
  });
});
