import { rm } from 'node:fs/promises';
import { createMemoryCatalog, ManualClock, type View } from '@backupkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { fsJob, makeService, makeTree, tempDir } from './helpers.js';

describe('schedules', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('two instances on one catalog run a missed occurrence exactly once, at start-up', async () => {
    const catalog = createMemoryCatalog();
    const clock = new ManualClock('2024-01-15T12:00:00Z');
    const a = await makeService({ catalog, clock, instanceId: 'instance-a' });
    const b = await makeService({ catalog, clock, instanceId: 'instance-b' });
    const source = await tempDir('sched-src');
    dirs.push(source);
    await makeTree(source, 6);
    try {
      const job = await a.service.createJob(
        fsJob(source, { schedule: { frequency: '*/5 * * * *', timezone: 'UTC' } }),
      );
      expect(job.next_run).toBe('2024-01-15T12:05:00.000Z');
      clock.advance(60 * 60 * 1000); // every instance was down for an hour: 12 occurrences missed

      await Promise.all([a.service.start(), b.service.start()]);
      const listed = await a.service.listExecutions(String(job.job_id));
      const executions = listed.executions as View[];
      expect(executions).toHaveLength(1);
      expect(executions[0]).toMatchObject({ trigger: 'startup-catchup' });
      const done = await a.service.waitFor(String(executions[0]!.execution_id));
      expect(done.status).toBe('completed');
      expect((await a.service.getJob(String(job.job_id))).next_run).toBe('2024-01-15T13:05:00.000Z');
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});
