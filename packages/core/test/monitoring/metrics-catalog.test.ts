import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createBackupService, createSqliteCatalog, ManualClock } from '@backupkit/core';
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { histogramCount, parsePrometheus, sampleValue } from '../../../../test-support/prometheus-text.js';
import { fsJob, makeService, makeTree, TEMP_ACCESS, tempDir, testKeys } from '../service/helpers.js';

// Metrics that must survive a restart come from the catalog: a restarted service reports each
// job's last success as it was, and a job past its schedule shows as overdue from metrics alone.

const seconds = (iso: string | null | undefined) => Date.parse(iso!) / 1000;

function serviceOn(dataDir: string, registry: Registry, clock?: ManualClock) {
  const catalog = createSqliteCatalog({ path: path.join(dataDir, 'catalog.db') });
  const service = createBackupService({
    catalog,
    dataDir,
    keys: testKeys(),
    secretKey: Buffer.alloc(32, 1),
    access: TEMP_ACCESS,
    metrics: { registry },
    ...(clock ? { clock } : {}),
  });
  return {
    catalog,
    service,
    async close() {
      await service.stop({ cancelRunning: true });
      await catalog.close();
    },
  };
}

describe('metrics from the catalog', () => {
  test('a restarted service reports the last success from the catalog, and the overdue job', async () => {
    const dataDir = await tempDir('metrics-restart');
    const tree = await tempDir('metrics-tree');
    await makeTree(tree, 6);
    try {
      // First life: one hourly job, one successful run.
      const firstRegistry = new Registry();
      const live = serviceOn(dataDir, firstRegistry);
      const job = await live.service.createJob(
        fsJob(tree, { schedule: { frequency: 'hourly', time: '00:15', timezone: 'UTC' } }),
      );
      const run = await live.service.executeJob(job.job_id);
      const status = await live.service.waitFor(run.execution_id, { timeoutMs: 60_000 });
      expect(status.status).toBe('completed');
      const execution = (await live.catalog.getExecution(run.execution_id))!;
      const backup = (await live.catalog.getBackup(status.result!.backup_id))!;

      const before = parsePrometheus(await firstRegistry.metrics());
      const byJob = { job_id: job.job_id };
      expect(sampleValue(before, 'backupkit_job_last_success_timestamp_seconds', byJob)).toBe(
        seconds(execution.completed_at),
      );
      expect(sampleValue(before, 'backupkit_executions_total', { ...byJob, status: 'completed' })).toBe(1);
      expect(sampleValue(before, 'backupkit_backup_logical_bytes_total', byJob)).toBe(backup.logical_size);
      expect(sampleValue(before, 'backupkit_job_last_run_status', { ...byJob, status: 'completed' })).toBe(1);
      expect(sampleValue(before, 'backupkit_job_last_run_status', { ...byJob, status: 'failed' })).toBe(0);
      expect(sampleValue(before, 'backupkit_job_overdue', byJob)).toBe(0);
      const deadline = sampleValue(before, 'backupkit_job_success_deadline_timestamp_seconds', byJob)!;
      // Next :15 after the run, plus half an hour.
      expect(deadline).toBeGreaterThan(seconds(execution.started_at));
      expect(deadline).toBeLessThanOrEqual(seconds(execution.started_at) + 90 * 60);
      await live.close();

      // Second life, three hours later by its clock: nothing ran since.
      const later = new ManualClock(new Date(Date.parse(execution.completed_at!) + 3 * 3600_000));
      const registry = new Registry();
      const restarted = serviceOn(dataDir, registry, later);
      try {
        // Scraped before the service's first call: the figures still come from the catalog.
        const after = parsePrometheus(await registry.metrics());
        expect(sampleValue(after, 'backupkit_job_last_success_timestamp_seconds', byJob)).toBe(
          seconds(execution.completed_at),
        );
        expect(sampleValue(after, 'backupkit_job_last_success_duration_seconds', byJob)).toBeCloseTo(
          seconds(execution.completed_at) - seconds(execution.started_at),
          3,
        );
        expect(sampleValue(after, 'backupkit_job_success_deadline_timestamp_seconds', byJob)).toBe(deadline);
        expect(deadline).toBeLessThan(later.now().getTime() / 1000);
        expect(sampleValue(after, 'backupkit_job_overdue', byJob)).toBe(1);
        expect(sampleValue(after, 'backupkit_storage_used_bytes', { destination_type: 'local' })).toBe(
          backup.file_size,
        );
        // Counters are this process's: they start again at zero (rate() handles the reset).
        expect(
          sampleValue(after, 'backupkit_executions_total', { ...byJob, status: 'completed' }),
        ).toBeUndefined();

        // A job created now, never run, is not overdue yet.
        const fresh = await restarted.service.createJob(
          fsJob(tree, {
            job_name: 'Fresh',
            schedule: { frequency: 'daily', time: '02:00', timezone: 'UTC' },
          }),
        );
        const now = parsePrometheus(await registry.metrics());
        expect(sampleValue(now, 'backupkit_job_overdue', { job_id: fresh.job_id })).toBe(0);
        expect(sampleValue(now, 'backupkit_job_info', { job_id: fresh.job_id, job_name: 'Fresh' })).toBe(1);
      } finally {
        await restarted.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await rm(tree, { recursive: true, force: true });
    }
  });

  test('scheduler lag: from the occurrence a run was scheduled for to its start', async () => {
    const tree = await tempDir('metrics-lag-tree');
    await makeTree(tree, 4);
    const clock = new ManualClock('2024-01-15T12:00:00Z');
    const registry = new Registry();
    const { service, cleanup } = await makeService({ clock, metrics: { registry } });
    try {
      const job = await service.createJob(
        fsJob(tree, { schedule: { frequency: '*/5 * * * *', timezone: 'UTC' } }),
      );
      clock.advance(7 * 60_000); // the 12:05 occurrence starts at 12:07
      await service.start();
      const [execution] = (await service.listExecutions(job.job_id)).executions;
      expect(execution?.trigger).not.toBe('manual');
      await service.waitFor(execution!.execution_id, { timeoutMs: 60_000 });
      const record = (await service.listExecutions(job.job_id)).executions[0]!;
      const metrics = parsePrometheus(await registry.metrics());
      expect(histogramCount(metrics, 'backupkit_scheduler_lag_seconds')).toBe(1);
      expect(sampleValue(metrics, 'backupkit_scheduler_lag_seconds_sum')).toBe(120);
      expect(record.started_at).toBe('2024-01-15T12:07:00.000Z');
    } finally {
      await cleanup();
      await rm(tree, { recursive: true, force: true });
    }
  });

  test('two services cannot share one registry (their figures would overwrite each other)', async () => {
    const dataDir = await tempDir('metrics-twice');
    const registry = new Registry();
    const one = serviceOn(dataDir, registry);
    try {
      expect(() => serviceOn(dataDir, registry)).toThrow(/already holds backupkit_/);
    } finally {
      await one.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
