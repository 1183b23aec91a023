import { rename, rm } from 'node:fs/promises';
import type { View } from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsJob, makeService, makeTree, tempDir } from './helpers.js';

/**
 * Issue 7: per-job durations, throughput, dedup and compression in `job_breakdown`, from real
 * backups (two of the same tree, then one failed run), checked against the backup records.
 */
describe('analytics: per-job metrics from real backups', () => {
  let ctx: Awaited<ReturnType<typeof makeService>>;
  let source: string;
  let jobId: string;
  let records: View[];

  beforeAll(async () => {
    ctx = await makeService();
    source = await tempDir('an-src');
    await makeTree(source, 24);
    const job = await ctx.service.createJob(fsJob(source, { destination: { type: 'local', path: 'an' } }));
    jobId = String(job.job_id);
    for (let i = 0; i < 2; i++) {
      const run = await ctx.service.executeJob(jobId);
      const status = await ctx.service.waitFor(String(run.execution_id));
      expect(status.status, JSON.stringify(status.error)).toBe('completed');
    }
    // A run whose source directory is gone fails: it counts as a backup attempt, not in sizes.
    await rename(source, `${source}-away`);
    const failed = await ctx.service.executeJob(jobId);
    const failedStatus = await ctx.service.waitFor(String(failed.execution_id));
    await rename(`${source}-away`, source);
    expect(failedStatus.status).toBe('failed');
    const listed = await ctx.service.listBackups({ job_id: jobId });
    records = [...(listed.files as View[])].sort((a, b) =>
      String(a.created_at).localeCompare(String(b.created_at)),
    );
    expect(records).toHaveLength(2);
  });
  afterAll(async () => {
    await ctx.cleanup();
    await rm(source, { recursive: true, force: true });
    await rm(`${source}-away`, { recursive: true, force: true });
  });

  const total = (key: string, list = records) => list.reduce((s, r) => s + Number(r[key]), 0);

  it('counts, durations and averages divide by the successful backups', async () => {
    const analytics = await ctx.service.getAnalytics({ job_id: jobId });
    const [row] = analytics.job_breakdown as View[];
    const duration = total('duration');
    expect(row).toMatchObject({
      job_id: jobId,
      backups: 3,
      successful_backups: 2,
      failed_backups: 1,
      success_rate: 0.6667,
      average_size: Math.round(total('file_size') / 2),
      total_duration: Math.round(duration * 1000) / 1000,
      // Over the 2 successful backups, not the 3 attempts.
      average_duration: Math.round((duration / 2) * 1000) / 1000,
      average_throughput: duration > 0 ? Math.round(total('logical_size') / duration) : 0,
      compression_ratio: Math.round((total('file_size') / total('logical_size')) * 10_000) / 10_000,
    });
    // The tree is half compressible text: stored bytes are a real fraction of the logical bytes.
    expect(row!.compression_ratio as number).toBeGreaterThan(0);
    expect(row!.compression_ratio as number).toBeLessThan(1);
    expect(row!.average_throughput as number).toBeGreaterThanOrEqual(0);
    expect(duration).toBeGreaterThan(0);
    // The backup_types row (all three attempts are incremental) divides by successful runs too.
    expect(analytics.backup_types).toEqual([
      {
        type: 'incremental',
        count: 3,
        success_rate: 0.6667,
        average_size: Math.round(total('file_size') / 2),
        average_duration: Math.round((duration / 2) * 1000) / 1000,
      },
    ]);
  });

  it('dedup: the second backup of an unchanged tree stores next to nothing new', async () => {
    const [first, second] = records as [View, View];
    // The first backup stored its chunks; the second references the same ones.
    const whole = (await ctx.service.getAnalytics({ job_id: jobId })).job_breakdown as View[];
    const secondOnly = (
      await ctx.service.getAnalytics({ job_id: jobId, date_from: String(second.created_at) })
    ).job_breakdown as View[];
    const firstOnly = (await ctx.service.getAnalytics({ job_id: jobId, date_to: String(first.created_at) }))
      .job_breakdown as View[];
    expect(secondOnly[0]).toMatchObject({ successful_backups: 1 });
    expect(secondOnly[0]!.dedup_ratio as number).toBeGreaterThan(0.95);
    expect(secondOnly[0]!.dedup_ratio as number).toBeLessThanOrEqual(1);
    expect(firstOnly[0]).toMatchObject({ successful_backups: 1 });
    expect(firstOnly[0]!.dedup_ratio as number).toBeLessThan(0.05);
    // Over both: about half of the referenced stored bytes were already held.
    expect(whole[0]!.dedup_ratio as number).toBeGreaterThan(0.45);
    expect(whole[0]!.dedup_ratio as number).toBeLessThan(0.55);
  });
});
