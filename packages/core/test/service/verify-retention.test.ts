import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ManualClock, type View } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOnDisk, flipBlobByte, storedChunkIds } from '../../../../test-support/chunk-blobs.js';
import { fsJob, makeService, makeTree, tempDir, testKeys } from './helpers.js';

describe('verification, retention and analytics', () => {
  const clock = new ManualClock('2024-03-01T10:00:00Z');
  let ctx: Awaited<ReturnType<typeof makeService>>;
  let source: string;
  let jobId: string;
  const backups: string[] = [];

  beforeAll(async () => {
    // Retention is applied by hand below, so not after each backup.
    ctx = await makeService({ clock, retentionAfterBackup: false });
    source = await tempDir('vr-src');
    await makeTree(source, 12);
    const job = await ctx.service.createJob(
      fsJob(source, {
        retention: { days: 2 },
        verification: { enabled: false },
        destination: { type: 'local', path: 'vr' },
      }),
    );
    jobId = String(job.job_id);
    for (let day = 0; day < 3; day++) {
      await writeFile(path.join(source, `day-${day}.txt`), `day ${day}\n`.repeat(1000));
      const run = await ctx.service.executeJob(jobId);
      const status = await ctx.service.waitFor(run.execution_id);
      expect(status.verification).toMatchObject({ status: 'not_verified', verified_at: null });
      backups.push(String((status.result as View).backup_id));
      clock.advance(24 * 3600 * 1000);
    }
  });
  afterAll(async () => {
    await ctx.cleanup();
    await rm(source, { recursive: true, force: true });
  });

  it('verifies full, quick, a sample and with a test restore; a tampered chunk fails', async () => {
    const { service } = ctx;
    for (const request of [
      { verification_type: 'full', test_restore: true },
      { verification_type: 'quick' },
      { verification_type: '25%' },
    ]) {
      const started = await service.verifyBackup(backups[2]!, request);
      expect(started).toMatchObject({
        status: 'running',
        progress: 0,
        verification_type: request.verification_type,
      });
      const done = await service.waitFor(started.verification_id);
      expect(done.status, JSON.stringify(done)).toBe('passed');
      // `quick` is checksums only: no chunk is read, so integrity is not claimed.
      expect(done.result).toMatchObject({
        integrity_verified: request.verification_type !== 'quick',
        checksum_verified: true,
      });
    }
    const withRestore = await service.verifyBackup(backups[2]!, { test_restore: true });
    expect((await service.waitFor(withRestore.verification_id)).result).toMatchObject({
      test_restore_verified: true,
    });

    await expect(service.verifyBackup(backups[2]!, { verification_type: 'most' })).rejects.toMatchObject({
      code: 'validation_failed',
      details: {
        issues: ['Invalid field verification_type: must be full, quick or a percentage such as 25%'],
      },
    });
    await expect(service.verifyBackup('backup_missing')).rejects.toMatchObject({ code: 'backup_not_found' });

    // Flip a byte inside every chunk's blob in the repository's packs: a full verification must fail.
    const store = path.join(ctx.dataDir, 'storage', 'vr');
    const chunks = await storedChunkIds(store, testKeys());
    expect(chunks.size).toBeGreaterThan(0);
    for (const id of chunks) {
      const { length } = await blobOnDisk(store, id, testKeys());
      await flipBlobByte(store, id, { keyProvider: testKeys(), at: length - 5 });
    }
    const tampered = await service.verifyBackup(backups[0]!, { verification_type: 'full' });
    const failed = await service.waitFor(tampered.verification_id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^integrity_error: \d+ damaged object/);
    expect(failed.result?.error).toMatchObject({
      code: 'integrity_error',
      message: expect.stringMatching(/damaged object/),
      details: { backup_id: backups[0], damaged_objects: expect.any(Number) },
    });
    const listed = await service.listBackups({ job_id: jobId });
    const first = (listed.files as View[]).find((f) => f.backup_id === backups[0]);
    expect(first).toMatchObject({ verification_status: 'failed' });
  });

  it('applies retention: dry run reports, then the forgotten backup disappears', async () => {
    const { service } = ctx;
    const dry = await service.applyRetention(jobId, { dry_run: true });
    expect(dry.deleted).toEqual([]);
    expect((dry.forget as View[]).map((d) => d.backup_id)).toEqual([backups[0]]);
    expect((await service.listBackups({ job_id: jobId })).total).toBe(3);

    const applied = await service.applyRetention(jobId, {});
    expect(applied.deleted).toEqual([backups[0]]);
    const listed = await service.listBackups({ job_id: jobId });
    expect((listed.files as View[]).map((f) => f.backup_id).sort()).toEqual([backups[1], backups[2]].sort());
    const snapshots = await readdir(path.join(ctx.dataDir, 'storage', 'vr', 'snapshots'));
    expect(snapshots.sort()).toEqual([`${backups[1]}.json`, `${backups[2]}.json`].sort());
    expect(String((listed.files as View[])[0]!.retention_until)).toMatch(/^2024-03-/);
  });

  it('reports analytics in the documented shape', async () => {
    const analytics = await ctx.service.getAnalytics({ job_id: jobId });
    expect(analytics.overview).toMatchObject({ total_jobs: 1, active_jobs: 1 });
    const [row] = analytics.job_breakdown as View[];
    expect(row).toMatchObject({ job_id: jobId, job_name: 'Files', success_rate: 1 });
    expect(analytics.storage_breakdown).toEqual([
      expect.objectContaining({ destination: 'local', cost_per_month: 0, backup_count: expect.any(Number) }),
    ]);
    expect(Array.isArray(analytics.time_series)).toBe(true);
    expect(analytics.generated_at).toBe(clock.now().toISOString());
    await expect(ctx.service.getAnalytics({ date_from: 'yesterday' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });
});
