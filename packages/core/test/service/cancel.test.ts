import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsJob, makeService, tempDir } from './helpers.js';

describe('cancel, conflicts and the concurrency limit', () => {
  let ctx: Awaited<ReturnType<typeof makeService>>;
  let source: string;
  beforeAll(async () => {
    ctx = await makeService({ maxConcurrentExecutions: 1 });
    source = await tempDir('big');
    await mkdir(path.join(source, 'd'), { recursive: true });
    // Random data does not compress: ~48 MiB keeps a run busy long enough to cancel it.
    for (let i = 0; i < 12; i++)
      await writeFile(path.join(source, 'd', `f${i}.bin`), randomBytes(4 * 1024 * 1024));
  });
  afterAll(async () => {
    await ctx.cleanup();
    await rm(source, { recursive: true, force: true });
  });

  it('cancels a running execution: status cancelled, no backup visible, no snapshot stored', async () => {
    const { service, dataDir } = ctx;
    const job = await service.createJob(fsJob(source, { destination: { type: 'local', path: 'cancel' } }));
    const other = await service.createJob(fsJob(source, { destination: { type: 'local', path: 'other' } }));
    const progressed = new Promise<void>((resolve) => service.once('execution.progress', () => resolve()));
    const run = await service.executeJob(String(job.job_id));
    expect(run.status).toBe('running');

    // A second run of the same job conflicts; another job waits for the single slot.
    await expect(service.executeJob(String(job.job_id))).rejects.toMatchObject({
      code: 'execution_in_progress',
    });
    const queued = await service.executeJob(String(other.job_id));
    expect(queued.status).toBe('queued');

    await progressed;
    const cancelled = await service.cancelExecution(String(run.execution_id));
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { code: 'aborted' } });
    const status = await service.getJobStatus(String(job.job_id));
    expect(status).toMatchObject({ status: 'cancelled', result: null });
    expect((await service.listBackups({ job_id: job.job_id })).total).toBe(0);
    const snapshots = await readdir(path.join(dataDir, 'storage', 'cancel', 'snapshots')).catch(() => []);
    expect(snapshots).toEqual([]);
    await expect(service.cancelExecution(String(run.execution_id))).rejects.toMatchObject({
      code: 'conflict',
    });

    // The queued run got the slot once the cancelled one released it.
    const next = await service.waitFor(String(queued.execution_id));
    expect(next.status).toBe('completed');
    await expect(service.cancelExecution('exec_missing')).rejects.toMatchObject({
      code: 'execution_not_found',
    });
  });
});
