import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createPostgresCatalog,
  createScheduler,
  type ExecutionRecord,
  ManualClock,
  type PostgresCatalog,
  type Scheduler,
} from '@backupkit/core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createTempDatabase, type TempDatabase } from '../../../../test-support/postgres.js';
import { completingRun, insertScheduledJob } from './scheduler-support.js';

const dbs: TempDatabase[] = [];
const catalogs: PostgresCatalog[] = [];
let db: TempDatabase;

async function openCatalog(): Promise<PostgresCatalog> {
  const catalog = createPostgresCatalog({ connectionString: db.url, maxConnections: 4 });
  await catalog.init();
  catalogs.push(catalog);
  return catalog;
}

// Each test gets its own database: the killed child runs on real time and must see only its job.
beforeEach(async () => {
  db = await createTempDatabase('bk_sched');
  dbs.push(db);
});
afterAll(async () => {
  await Promise.all(catalogs.map((c) => c.close()));
  await Promise.all(dbs.map((d) => d.drop()));
});

describe('Scheduler: several instances on one PostgreSQL catalog', () => {
  it('3 instances, 50 jobs due the same minute → 50 executions, none duplicated', async () => {
    const clock = new ManualClock('2024-05-01T08:59:30Z');
    const setupCatalog = await openCatalog();
    const jobIds: string[] = [];
    for (let i = 0; i < 50; i++)
      jobIds.push(await insertScheduledJob(setupCatalog, { frequency: 'daily', time: '09:00' }, clock.now()));

    const runs: ExecutionRecord[] = [];
    const instances: Scheduler[] = [];
    for (const name of ['alpha', 'beta', 'gamma']) {
      const catalog = await openCatalog();
      instances.push(
        createScheduler({
          catalog,
          clock,
          instanceId: name,
          pollMs: 1000,
          maxConcurrent: 4,
          runExecution: completingRun(catalog, () => clock.now(), runs),
        }),
      );
    }
    clock.set('2024-05-01T09:00:02Z');
    // All three tick at the same moment, repeatedly, until the queue is empty.
    const claimedBy = new Map<string, string[]>();
    for (let round = 0; round < 30; round++) {
      const ticks = await Promise.all(instances.map((s) => s.tick()));
      ticks.forEach((t, i) => {
        for (const o of t.occurrences.filter((x) => x.result === 'claimed')) {
          claimedBy.set(o.job_id, [...(claimedBy.get(o.job_id) ?? []), String(i)]);
        }
      });
      await Promise.all(instances.map((s) => s.drain()));
      if (runs.length >= 50 && ticks.every((t) => t.started.length === 0)) break;
    }

    const executions = (await setupCatalog.listExecutions({ limit: 500, offset: 0 })).items;
    expect(executions).toHaveLength(50);
    expect(new Set(executions.map((e) => e.job_id))).toEqual(new Set(jobIds));
    expect(
      executions.every((e) => e.status === 'completed' && e.scheduled_for === '2024-05-01T09:00:00.000Z'),
    ).toBe(true);
    expect(runs).toHaveLength(50);
    expect(new Set(runs.map((r) => r.execution_id)).size).toBe(50);
    expect([...claimedBy.values()].every((owners) => owners.length === 1)).toBe(true);
    // The work was shared: more than one instance ran executions.
    expect(new Set(executions.map((e) => e.owner)).size).toBeGreaterThan(1);
    for (const jobId of jobIds.slice(0, 5)) {
      expect(await setupCatalog.getJob(jobId)).toMatchObject({
        last_run: '2024-05-01T09:00:02.000Z',
        next_run: '2024-05-02T09:00:00.000Z',
      });
    }
  });

  it('an instance killed mid-run: its execution is failed once the lease ends, the next occurrence runs normally', async () => {
    const catalog = await openCatalog();
    const leaseMs = 4000;
    // Due a second ago in real time: the child (real clock) claims it at once.
    const realNow = new Date();
    const jobId = await insertScheduledJob(
      catalog,
      { frequency: '* * * * *' },
      new Date(realNow.getTime() - 60_000),
    );
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./fixtures/scheduler-instance.ts', import.meta.url)),
        db.url,
        'victim',
        String(leaseMs),
      ],
      { cwd: fileURLToPath(new URL('../../../../', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const executionId = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child did not start a run: ${stderr}`)), 30_000);
      child.stdout?.on('data', (d: Buffer) => {
        const match = /RUNNING (\S+)/.exec(d.toString());
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const running = await catalog.getExecution(executionId);
    expect(running).toMatchObject({ job_id: jobId, status: 'running', owner: 'victim' });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    // A surviving instance, on a clock it controls (starting from real time).
    const clock = new ManualClock(new Date());
    const runs: ExecutionRecord[] = [];
    const survivor = createScheduler({
      catalog,
      clock,
      instanceId: 'survivor',
      pollMs: 1000,
      leaseMs,
      schedules: true,
      runExecution: completingRun(catalog, () => clock.now(), runs),
    });
    // Read the lease after the kill: the child may have renewed it just before dying.
    const leaseEnd = Date.parse((await catalog.getExecution(executionId))?.lease_expires_at ?? '');
    expect(leaseEnd - clock.now().getTime()).toBeLessThanOrEqual(leaseMs);
    // Within the lease the execution stands; just after it, it is failed.
    clock.set(new Date(leaseEnd - 500));
    expect((await survivor.tick()).expired).toEqual([]);
    clock.set(new Date(leaseEnd + 1));
    expect((await survivor.tick()).expired).toEqual([executionId]);
    expect(await catalog.getExecution(executionId)).toMatchObject({
      status: 'failed',
      error: { code: 'lease_expired' },
    });

    // The job is free again: its next occurrence runs on the survivor.
    const next = (await catalog.getSchedule(jobId))?.next_execution ?? '';
    clock.set(new Date(Date.parse(next) + 1000));
    await survivor.tick();
    await survivor.drain();
    expect(runs.map((r) => [r.job_id, r.scheduled_for])).toEqual([[jobId, next]]);
    expect((await catalog.latestExecution(jobId))?.status).toBe('completed');
  });
});
