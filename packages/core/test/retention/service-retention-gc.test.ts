import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ManualClock, type View } from '@backupkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { storedChunkIds } from '../../../../test-support/chunk-blobs.js';
import { fsJob, makeService, tempDir, testKeys, treeDigest } from '../service/helpers.js';

async function countChunks(root: string): Promise<number> {
  return (await storedChunkIds(root, testKeys())).size;
}

describe('retention through the service: forget, then garbage collection', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('dry run explains, apply forgets and frees the forgotten chunks; what is kept restores', async () => {
    const clock = new ManualClock('2024-03-01T10:00:00Z');
    // Applied by hand here (dry run first); the next test covers retention after each backup.
    const ctx = await makeService({ clock, gcGraceMs: 0, retentionAfterBackup: false });
    cleanups.push(ctx.cleanup);
    const source = await tempDir('ret-gc-src');
    cleanups.push(() => rm(source, { recursive: true, force: true }));
    const job = await ctx.service.createJob(
      fsJob(source, {
        retention: { days: 2 },
        verification: { enabled: false },
        destination: { type: 'local', path: 'retgc' },
      }),
    );
    const jobId = String(job.job_id);
    const backups: string[] = [];
    for (let day = 0; day < 3; day++) {
      // Each day's file is new random content: forgetting a day frees its chunks.
      await rm(path.join(source, `day-${day - 1}.bin`), { force: true });
      await writeFile(path.join(source, `day-${day}.bin`), randomBytes(300_000));
      const run = await ctx.service.executeJob(jobId);
      const status = await ctx.service.waitFor(String(run.execution_id));
      backups.push(String((status.result as View).backup_id));
      clock.advance(24 * 3600 * 1000);
    }
    const chunksDir = path.join(ctx.dataDir, 'storage', 'retgc');
    const before = await countChunks(chunksDir);

    const dry = await ctx.service.applyRetention(jobId, { dry_run: true });
    expect((dry.forget as View[]).map((d) => d.backup_id)).toEqual([backups[0]]);
    expect((dry.keep as View[]).map((d) => [d.backup_id, d.reasons])).toEqual([
      [backups[2], ['daily snapshot (2024-03-03)']],
      [backups[1], ['daily snapshot (2024-03-02)']],
    ]);
    expect(dry.garbage_collection).toBeNull();
    expect(await countChunks(chunksDir)).toBe(before);

    const applied = await ctx.service.applyRetention(jobId, {});
    expect(applied.deleted).toEqual([backups[0]]);
    const gc = applied.garbage_collection as View;
    expect(gc.deferred).toEqual([]);
    expect(Number(gc.deleted_chunks)).toBeGreaterThan(0);
    expect(Number(gc.deleted_bytes)).toBeGreaterThan(250_000);
    expect(await countChunks(chunksDir)).toBe(before - Number(gc.deleted_chunks));

    // The newest backup restores identically after GC.
    const target = await tempDir('ret-gc-restore');
    cleanups.push(() => rm(target, { recursive: true, force: true }));
    const restore = await ctx.service.createRestore({
      restore_name: 'after gc',
      backup_id: backups[2]!,
      destination: { type: 'filesystem', path: target },
    });
    expect((await ctx.service.waitFor(String(restore.restore_id))).status).toBe('completed');
    expect(await treeDigest(target)).toEqual(await treeDigest(source));
  });

  it('after each successful backup the policy is applied: only the newest survives `last: 1`', async () => {
    const ctx = await makeService({ gcGraceMs: 0 });
    cleanups.push(ctx.cleanup);
    const source = await tempDir('ret-auto-src');
    cleanups.push(() => rm(source, { recursive: true, force: true }));
    const job = await ctx.service.createJob(
      fsJob(source, {
        retention: { last: 1 },
        verification: { enabled: false },
        destination: { type: 'local', path: 'auto' },
      }),
    );
    const applied: Array<{ deleted: string[]; dry_run: boolean }> = [];
    ctx.service.on('retention.applied', (e) => applied.push({ deleted: e.deleted, dry_run: e.dry_run }));
    const chunksDir = path.join(ctx.dataDir, 'storage', 'auto');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await rm(path.join(source, `v${i - 1}.bin`), { force: true });
      await writeFile(path.join(source, `v${i}.bin`), randomBytes(200_000));
      const run = await ctx.service.executeJob(String(job.job_id));
      const status = await ctx.service.waitFor(String(run.execution_id));
      expect(status.status).toBe('completed');
      ids.push(String((status.result as View).backup_id));
      const listed = await ctx.service.listBackups({ job_id: job.job_id, status: 'completed' });
      expect((listed.files as View[]).map((f) => f.backup_id)).toEqual([ids[i]]);
    }
    expect(applied).toEqual([
      { deleted: [], dry_run: false },
      { deleted: [ids[0]], dry_run: false },
      { deleted: [ids[1]], dry_run: false },
    ]);
    // The forgotten backups' own chunks are gone: what is left is about one backup's worth.
    expect(await countChunks(chunksDir)).toBeLessThan(12);
  });
});
