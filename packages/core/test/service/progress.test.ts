import { rm } from 'node:fs/promises';
import {
  type BackupService,
  createBackupService,
  createMemoryCatalog,
  type JobStatusView,
  type RestoreStatusView,
} from '@backupkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDataset, type ScratchDb } from '../../../../bench/scratch-db.js';
import { createTempDatabase, type TempDatabase } from '../../../../test-support/postgres.js';
import { KEY_ID, TEMP_ACCESS, tempDir, testKeys } from './helpers.js';
import { type ProgressSample, pollProgress, summarize } from './progress-trace.js';

/**
 * The benchmark dataset at a CI-sized scale (0.25×: about 300 MB of COPY data in its four
 * tables; runs of a few seconds each, long enough that a loaded machine's hiccups average
 * out); `BACKUPKIT_PROGRESS_SCALE=1` runs the same on the full 1.2 GB.
 */
const SCALE = Number(process.env.BACKUPKIT_PROGRESS_SCALE ?? 0.25);
const POLL_MS = 100;
const TIMEOUT_MS = Math.max(120_000, SCALE * 1_800_000);

interface ProgressEventSeen {
  progress: number;
  estimated_completion: string | null;
}

/**
 * Polling the status of a backup and of a restore sees progress move (at least five distinct
 * values between 0 and 100), and from halfway on `estimated_completion` lies within 30% of the
 * run's duration of its real end. The events carry the same numbers.
 */
describe(`progress and ETA of the benchmark dataset at ${SCALE}×`, { timeout: TIMEOUT_MS }, () => {
  let dataset: ScratchDb;
  let target: TempDatabase;
  let dataDir: string;
  let service: BackupService;
  let backupId: string;
  const events = new Map<string, ProgressEventSeen[]>();

  beforeAll(async () => {
    dataset = await ensureDataset(SCALE);
    target = await createTempDatabase('bk_progress_dst');
    dataDir = await tempDir('progress');
    service = createBackupService({
      catalog: createMemoryCatalog(),
      dataDir,
      keys: testKeys(),
      secretKey: Buffer.alloc(32, 1),
      access: TEMP_ACCESS,
      progressIntervalMs: 50,
    });
    for (const name of ['execution.progress', 'restore.progress', 'verification.progress'] as const) {
      service.on(name, (event) => {
        events.set(event.id, [
          ...(events.get(event.id) ?? []),
          { progress: event.progress, estimated_completion: event.estimated_completion },
        ]);
      });
    }
  }, TIMEOUT_MS);

  afterAll(async () => {
    await service?.stop({ cancelRunning: true });
    await target?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Progress events only move forward, and carry an ETA once they move. */
  function expectEventsMoveForward(id: string): void {
    const seen = events.get(id) ?? [];
    expect(seen.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.progress).toBeGreaterThanOrEqual(seen[i - 1]!.progress);
    }
    expect(seen.filter((e) => e.progress > 0).every((e) => e.estimated_completion !== null)).toBe(true);
    expect(seen.every((e) => Number.isInteger(e.progress) && e.progress >= 0 && e.progress <= 100)).toBe(
      true,
    );
  }

  function expectHonestProgress(
    name: string,
    samples: ProgressSample[],
    view: JobStatusView | RestoreStatusView,
  ) {
    const summary = summarize(samples, view.started_at!, view.completed_at!);
    // The numbers the report quotes.
    console.info(`[progress] ${name} at ${SCALE}×: ${JSON.stringify(summary)}`);
    if (process.env.BACKUPKIT_PROGRESS_TRACE)
      console.info(JSON.stringify({ start: view.started_at, end: view.completed_at, samples }));
    expect(summary.distinct.length, JSON.stringify(summary)).toBeGreaterThanOrEqual(5);
    expect(summary.etaErrorAt['50'], JSON.stringify(summary)).not.toBeNull();
    expect(summary.worstEtaErrorPast50!, JSON.stringify(summary)).toBeLessThanOrEqual(0.3);
    for (let i = 1; i < samples.length; i++)
      expect(samples[i]!.progress).toBeGreaterThanOrEqual(samples[i - 1]!.progress);
  }

  it('a backup reports moving progress and an ETA that holds from halfway', async () => {
    const job = await service.createJob({
      job_name: 'benchmark dataset',
      backup_type: 'full',
      source: { type: 'database', connection_string: dataset.url },
      destination: { type: 'local', path: 'progress' },
      compression: { enabled: true, algorithm: 'zstd', level: 3 },
      encryption: { enabled: true, key_id: KEY_ID },
    });
    const jobId = job.job_id;
    const run = await service.executeJob(jobId);
    const samples = await pollProgress(
      () => service.getJobStatus(jobId, { execution_id: run.execution_id }),
      POLL_MS,
    );
    const done = await service.waitFor(run.execution_id, { timeoutMs: TIMEOUT_MS });
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    expect(done.progress).toBe(100);
    backupId = done.result!.backup_id;
    expectHonestProgress('backup', samples, done);
    if (process.env.BACKUPKIT_PROGRESS_TRACE) console.info(JSON.stringify(events.get(run.execution_id)));
    expectEventsMoveForward(run.execution_id);
  });

  it('a restore reports moving progress, index builds included, and an ETA that holds from halfway', async () => {
    const restore = await service.createRestore({
      backup_id: backupId,
      destination: { type: 'database', connection_string: target.url },
      restore_options: { max_parallel_jobs: 2 },
    });
    const samples = await pollProgress(() => service.getRestoreStatus(restore.restore_id), POLL_MS);
    const done = await service.waitFor(restore.restore_id, { timeoutMs: TIMEOUT_MS });
    expect(done.status, JSON.stringify(done.error)).toBe('completed');
    expect(done).toMatchObject({ progress: 100, estimated_completion: null });
    expectHonestProgress('restore', samples, done);
    expectEventsMoveForward(restore.restore_id);
  });

  it('a verification reports progress over the chunks it reads, with an ETA', async () => {
    const started = await service.verifyBackup(backupId, {
      verification_type: 'full',
      checksum_verification: true,
      integrity_check: true,
      test_restore: false,
    });
    const samples = await pollProgress(() => service.getVerification(started.verification_id), POLL_MS);
    const done = await service.waitFor(started.verification_id, { timeoutMs: TIMEOUT_MS });
    expect(done.status, JSON.stringify(done.error)).toBe('passed');
    expect(done.progress).toBe(100);
    const summary = summarize(samples, done.started_at, done.completed_at!);
    console.info(`[progress] verification at ${SCALE}×: ${JSON.stringify(summary)}`);
    const seen = events.get(started.verification_id) ?? [];
    // At CI scale it takes about a second: a few updates, still moving forward.
    expect(new Set(seen.map((e) => e.progress)).size).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]!.progress).toBeGreaterThanOrEqual(seen[i - 1]!.progress);
    expect(seen.filter((e) => e.progress > 0).every((e) => e.estimated_completion !== null)).toBe(true);
  });
});
