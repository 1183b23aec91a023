import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsJob, makeService, makeTree, tempDir, treeDigest } from './helpers.js';

describe('execute → status → list → restore', () => {
  let ctx: Awaited<ReturnType<typeof makeService>>;
  let source: string;
  const dirs: string[] = [];
  beforeEach(async () => {
    ctx = await makeService();
    source = await tempDir('src');
    dirs.push(source);
    await makeTree(source);
  });
  afterEach(async () => {
    await ctx.cleanup();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('backs up, reports the documented status, lists the backup and restores it identically', async () => {
    const { service } = ctx;
    const job = await service.createJob(fsJob(source), { principal: 'admin_1' });
    const events: string[] = [];
    for (const name of ['execution.started', 'execution.progress', 'execution.completed'] as const) {
      service.on(name, () => events.push(name));
    }
    const started = await service.executeJob(String(job.job_id), {}, { principal: 'admin_1' });
    expect(started).toMatchObject({
      job_id: job.job_id,
      status: 'running',
      progress: 0,
      executed_by: 'admin_1',
    });
    expect(String(started.execution_id)).toMatch(/^exec_/);
    expect(started.execution_options).toEqual({
      priority: 'normal',
      force_full_backup: false,
      skip_verification: false,
      notify_on_completion: true,
    });

    const final = await service.waitFor(started.execution_id);
    expect(final.status).toBe('completed');
    const status = await service.getJobStatus(String(job.job_id));
    expect(status).toMatchObject({
      status: 'completed',
      progress: 100,
      error: null,
      execution_id: started.execution_id,
    });
    const result = status.result!;
    expect(String(result.backup_id)).toMatch(/^backup_/);
    expect(String(result.checksum)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.encryption).toBe('AES-256');
    expect(Number(result.file_size)).toBeGreaterThan(0);
    expect(Number(result.compression_ratio)).toBeLessThan(1);
    expect(String(result.file_path)).toContain(path.join(ctx.dataDir, 'storage', 'files', 'snapshots'));
    expect(status.verification).toMatchObject({
      status: 'passed',
      checksum_verified: true,
      integrity_verified: true,
    });
    expect(typeof status.duration).toBe('number');
    expect(events).toContain('execution.started');
    expect(events).toContain('execution.completed');

    const files = await service.listBackups({ job_id: job.job_id });
    expect(files.total).toBe(1);
    expect((files.files as Array<Record<string, unknown>>)[0]).toMatchObject({
      backup_id: result.backup_id,
      job_name: 'Files',
      status: 'completed',
      backup_type: 'incremental',
    });
    expect((await service.getJob(String(job.job_id))).last_run).not.toBeNull();

    const target = await tempDir('restore');
    dirs.push(target);
    const restore = await service.createRestore(
      {
        restore_name: 'back',
        backup_id: result.backup_id,
        destination: { type: 'filesystem', path: target },
      },
      { principal: 'admin_1' },
    );
    expect(restore).toMatchObject({ status: 'queued', started_at: null, created_by: 'admin_1' });
    const restored = await service.waitFor(restore.restore_id);
    expect(restored.status).toBe('completed');
    expect(restored.result).toMatchObject({
      records_restored: expect.any(Number),
      data_size: expect.any(Number),
    });
    expect(restored.verification).toMatchObject({ status: 'passed', data_integrity_verified: true });
    expect(await treeDigest(target)).toEqual(await treeDigest(source));

    // A selection restores only the named subtree.
    const partialTarget = await tempDir('restore-part');
    dirs.push(partialTarget);
    const partial = await service.createRestore({
      backup_id: result.backup_id,
      destination: { type: 'filesystem', path: partialTarget, paths: ['dir1'] },
    });
    expect((await service.waitFor(partial.restore_id)).status).toBe('completed');
    const expected = new Map(
      [...(await treeDigest(source))].filter(([name]) => name.startsWith(`dir1${path.sep}`)),
    );
    expect(expected.size).toBeGreaterThan(0);
    expect(await treeDigest(partialTarget)).toEqual(expected);

    await expect(
      service.createRestore({
        backup_id: 'backup_nope',
        destination: { type: 'filesystem', path: partialTarget },
      }),
    ).rejects.toMatchObject({ code: 'backup_not_found' });
    await expect(
      service.createRestore({
        backup_id: result.backup_id,
        destination: { type: 'database', connection_string: 'postgresql://u:p@h/db' },
      }),
    ).rejects.toMatchObject({ code: 'invalid_backup_config', details: { field: 'destination.type' } });

    const analytics = await service.getAnalytics();
    expect(analytics.overview).toMatchObject({
      total_jobs: 1,
      successful_backups: 1,
      total_restores: 2,
      successful_restores: 2,
    });
  });
});
