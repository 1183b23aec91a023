import {
  createMemoryCatalog,
  createScheduler,
  EXECUTION_PRIORITY,
  type ExecutionRecord,
  ManualClock,
  scheduledExecution,
} from '@backupkit/core';
import { describe, expect, it } from 'vitest';
import { completingRun, insertScheduledJob } from './scheduler-support.js';

const MINUTE = 60_000;

async function setup(start = '2024-03-09T12:00:00Z') {
  const catalog = createMemoryCatalog();
  await catalog.init();
  const clock = new ManualClock(start);
  return { catalog, clock };
}

describe('Scheduler (memory catalog, manual clock)', () => {
  it('runs a due occurrence once, then waits for the next; keeps next_run / last_run', async () => {
    const { catalog, clock } = await setup();
    const runs: ExecutionRecord[] = [];
    const jobId = await insertScheduledJob(
      catalog,
      { frequency: 'daily', time: '02:30', timezone: 'America/Toronto' },
      clock.now(),
    );
    const scheduler = createScheduler({
      catalog,
      clock,
      instanceId: 'i1',
      pollMs: 1000,
      runExecution: completingRun(catalog, () => clock.now(), runs),
    });

    expect((await scheduler.tick()).occurrences).toEqual([]);
    // Spring forward (2024-03-10): 02:30 does not exist in Toronto; it runs once, at 03:00 EDT = 07:00Z.
    clock.set('2024-03-10T06:59:59Z');
    expect((await scheduler.tick()).occurrences).toEqual([]);
    clock.set('2024-03-10T07:00:01Z');
    const tick = await scheduler.tick();
    expect(tick.occurrences).toMatchObject([
      {
        job_id: jobId,
        scheduled_for: '2024-03-10T07:00:00.000Z',
        result: 'claimed',
        trigger: 'schedule',
        next_run: '2024-03-11T06:30:00.000Z',
      },
    ]);
    await scheduler.drain();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      job_id: jobId,
      trigger: 'schedule',
      scheduled_for: '2024-03-10T07:00:00.000Z',
      owner: 'i1',
    });
    expect((await catalog.getExecution(runs[0]?.execution_id ?? ''))?.status).toBe('completed');
    expect(await catalog.getJob(jobId)).toMatchObject({
      last_run: '2024-03-10T07:00:01.000Z',
      next_run: '2024-03-11T06:30:00.000Z',
    });
    expect(await catalog.getSchedule(jobId)).toMatchObject({
      last_executed: '2024-03-10T07:00:01.000Z',
      next_execution: '2024-03-11T06:30:00.000Z',
    });

    clock.advance(30 * MINUTE);
    expect((await scheduler.tick()).occurrences).toEqual([]);
    expect(runs).toHaveLength(1);

    // A paused job's occurrence is consumed but not run.
    await catalog.updateJob(jobId, { status: 'paused' });
    clock.set('2024-03-11T06:30:05Z');
    expect((await scheduler.tick()).occurrences).toMatchObject([
      { job_id: jobId, result: 'skipped', reason: 'job_paused' },
    ]);
    await scheduler.drain();
    expect(runs).toHaveLength(1);
  });

  it('runs missed occurrences once at start-up, not once per missed occurrence', async () => {
    const { catalog, clock } = await setup('2024-01-01T00:00:00Z');
    const runs: ExecutionRecord[] = [];
    const hourly = await insertScheduledJob(catalog, { frequency: 'hourly', time: '00:05' }, clock.now());
    const daily = await insertScheduledJob(catalog, { frequency: 'daily', time: '02:00' }, clock.now());
    // Every instance was down for five days.
    clock.set('2024-01-06T10:17:00Z');
    const scheduler = createScheduler({
      catalog,
      clock,
      instanceId: 'i1',
      pollMs: 1000,
      runExecution: completingRun(catalog, () => clock.now(), runs),
    });
    await scheduler.start();
    await scheduler.stop();
    expect(runs.map((r) => [r.job_id, r.trigger]).sort()).toEqual(
      [
        [daily, 'startup-catchup'],
        [hourly, 'startup-catchup'],
      ].sort(),
    );
    expect((await catalog.getSchedule(hourly))?.next_execution).toBe('2024-01-06T11:05:00.000Z');
    expect((await catalog.getSchedule(daily))?.next_execution).toBe('2024-01-07T02:00:00.000Z');
  });

  it('never runs two executions of one job at once: an occurrence during a run is skipped', async () => {
    const { catalog, clock } = await setup('2024-01-01T00:00:00Z');
    const jobId = await insertScheduledJob(catalog, { frequency: '*/10 * * * *' }, clock.now());
    let release!: () => void;
    const blocker = new Promise<void>((resolve) => {
      release = resolve;
    });
    const scheduler = createScheduler({
      catalog,
      clock,
      instanceId: 'i1',
      pollMs: 1000,
      leaseMs: 10 * MINUTE,
      runExecution: async (e) => {
        await blocker;
        await catalog.updateExecution(e.execution_id, {
          status: 'completed',
          completed_at: clock.now().toISOString(),
        });
      },
    });
    clock.set('2024-01-01T00:10:00Z');
    expect((await scheduler.tick()).started).toHaveLength(1);
    clock.set('2024-01-01T00:20:00Z');
    const second = await scheduler.tick();
    expect(second.occurrences).toMatchObject([
      { job_id: jobId, result: 'skipped', reason: 'execution_in_progress' },
    ]);
    expect(second.started).toEqual([]);
    release();
    await scheduler.drain();
    const all = await catalog.listExecutions({ job_id: jobId, limit: 10, offset: 0 });
    expect(all.total).toBe(1);
  });

  it('global limit and priority: high runs first, never more than maxConcurrent at once', async () => {
    const { catalog, clock } = await setup();
    const order: string[] = [];
    let active = 0;
    let peak = 0;
    const jobs: Record<string, number> = {
      low: EXECUTION_PRIORITY.low,
      high: EXECUTION_PRIORITY.high,
      normal: EXECUTION_PRIORITY.normal,
      high2: EXECUTION_PRIORITY.high,
    };
    for (const [name, priority] of Object.entries(jobs)) {
      const jobId = await insertScheduledJob(
        catalog,
        { frequency: 'daily', enabled: false },
        clock.now(),
        `job_${name}`,
      );
      const schedule = await catalog.getSchedule(jobId);
      if (!schedule) throw new Error('schedule missing');
      clock.advance(1000); // distinct created_at: equal priorities run oldest first
      await catalog.insertExecution({
        ...scheduledExecution(schedule, 'schedule', clock.now()),
        trigger: 'manual',
        priority,
      });
    }
    const scheduler = createScheduler({
      catalog,
      clock,
      instanceId: 'i1',
      pollMs: 1000,
      maxConcurrent: 2,
      runExecution: async (e) => {
        order.push(e.job_id.replace('job_', ''));
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 20));
        active--;
        await catalog.updateExecution(e.execution_id, {
          status: 'completed',
          completed_at: clock.now().toISOString(),
        });
      },
    });
    for (let i = 0; i < 4; i++) {
      await scheduler.tick();
      await scheduler.drain();
    }
    expect(order).toEqual(['high', 'high2', 'normal', 'low']);
    expect(peak).toBe(2);
  });

  it('reserved slots count against the limit; a freed slot claims the queue without any tick', async () => {
    const { catalog, clock } = await setup();
    const release: Array<() => void> = [];
    const ran: string[] = [];
    const scheduler = createScheduler({
      catalog,
      clock,
      instanceId: 'i1',
      pollMs: 1000,
      maxConcurrent: 1,
      runExecution: async (e) => {
        ran.push(e.job_id);
        await new Promise<void>((r) => release.push(r));
        await catalog.updateExecution(e.execution_id, { status: 'completed', lease_expires_at: null });
      },
    });
    const queue = async (name: string, status: 'queued' | 'running') => {
      const jobId = await insertScheduledJob(
        catalog,
        { frequency: 'daily', enabled: false },
        clock.now(),
        name,
      );
      const schedule = await catalog.getSchedule(jobId);
      if (!schedule) throw new Error('schedule missing');
      const execution = {
        ...scheduledExecution(schedule, 'schedule', clock.now()),
        trigger: 'manual' as const,
      };
      if (status === 'running')
        Object.assign(execution, { status, owner: 'i1', started_at: execution.created_at });
      await catalog.insertExecution(execution);
      return execution;
    };
    expect(scheduler.reserve()).toBe(true);
    expect(scheduler.reserve()).toBe(false); // the only slot is taken
    const first = await queue('job_first', 'running');
    scheduler.runReserved(first);
    await queue('job_waiting', 'queued');
    expect(await scheduler.claimQueued()).toEqual([]); // full
    while (release.length === 0) await new Promise((r) => setTimeout(r, 1));
    release.shift()!();
    // No tick: the freed slot claims the queued one by itself.
    while (release.length === 0) await new Promise((r) => setTimeout(r, 1));
    expect(ran).toEqual(['job_first', 'job_waiting']);
    expect(scheduler.abort('exec_missing')).toBe(false);
    release.shift()!();
    await scheduler.drain();
    expect((await catalog.listExecutions({ status: ['completed'], limit: 10, offset: 0 })).total).toBe(2);
  });

  it('a failing run is recorded failed; stop({ cancelRunning }) cancels a running one', async () => {
    const { catalog, clock } = await setup('2024-01-01T00:00:00Z');
    const failing = await insertScheduledJob(catalog, { frequency: 'hourly' }, clock.now());
    const hanging = await insertScheduledJob(catalog, { frequency: 'hourly', time: '00:00' }, clock.now());
    const scheduler = createScheduler({
      catalog,
      clock,
      instanceId: 'i1',
      pollMs: 1000,
      runExecution: async (e, { signal }) => {
        if (e.job_id === failing) throw new Error('disk on fire');
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
    });
    clock.set('2024-01-01T01:00:00Z');
    await scheduler.tick();
    await scheduler.stop({ cancelRunning: true });
    const status = async (jobId: string) => (await catalog.latestExecution(jobId))?.status;
    expect(await status(failing)).toBe('failed');
    expect((await catalog.latestExecution(failing))?.error).toMatchObject({
      code: 'internal_error',
      message: 'disk on fire',
    });
    expect(await status(hanging)).toBe('cancelled');
  });

  it('expired lease: another instance marks it failed, freeing the job; a live lease is renewed', async () => {
    const { catalog, clock } = await setup('2024-01-01T00:00:00Z');
    const jobId = await insertScheduledJob(catalog, { frequency: 'hourly' }, clock.now());
    const leaseMs = 60_000;
    // Instance A claims and starts the run, then "dies": it never ticks (renews) again.
    const a = createScheduler({
      catalog,
      clock,
      instanceId: 'A',
      pollMs: 1000,
      leaseMs,
      runExecution: () => new Promise(() => {}),
    });
    const bRuns: ExecutionRecord[] = [];
    const b = createScheduler({
      catalog,
      clock,
      instanceId: 'B',
      pollMs: 1000,
      leaseMs,
      runExecution: completingRun(catalog, () => clock.now(), bRuns),
    });
    clock.set('2024-01-01T01:00:00Z');
    const first = await a.tick();
    expect(first.started).toHaveLength(1);
    const id = first.started[0] ?? '';
    clock.advance(leaseMs - 1000);
    expect((await b.tick()).expired).toEqual([]);
    clock.advance(2000);
    expect((await b.tick()).expired).toEqual([id]);
    expect(await catalog.getExecution(id)).toMatchObject({
      status: 'failed',
      error: { code: 'lease_expired' },
    });
    // The next occurrence runs normally on B.
    clock.set('2024-01-01T02:00:00Z');
    await b.tick();
    await b.drain();
    expect(bRuns.map((r) => r.job_id)).toEqual([jobId]);

    // A live instance renews: its lease never lapses while it ticks.
    const c = createScheduler({
      catalog,
      clock,
      instanceId: 'C',
      pollMs: 1000,
      leaseMs,
      runExecution: () => new Promise(() => {}),
    });
    clock.set('2024-01-01T03:00:00Z');
    const cId = (await c.tick()).started[0] ?? '';
    for (let i = 0; i < 10; i++) {
      clock.advance(30_000);
      await c.tick();
      expect((await b.tick()).expired).toEqual([]);
    }
    expect((await catalog.getExecution(cId))?.status).toBe('running');
  });
});
