import { describe, expect, it } from 'vitest';
import type { BackupProgress } from '../../src/engine/progress.js';
import { ExecutionProgress, verificationWeight } from '../../src/service/execution-progress.js';
import type { ProgressReporter, ProgressUpdate } from '../../src/service/progress-reporter.js';

const reporter = (seen: ProgressUpdate[]) =>
  ({ report: (u: ProgressUpdate) => seen.push(u) }) as unknown as ProgressReporter;

describe('verificationWeight', () => {
  it('weighs what the job verifies after each backup, nothing when it does not', () => {
    expect(verificationWeight({ enabled: false }, false)).toBe(0);
    expect(verificationWeight({ enabled: true }, true)).toBe(0);
    const full = verificationWeight({ enabled: true }, false);
    const quick = verificationWeight({ enabled: true, verification_type: 'quick' }, false);
    const half = verificationWeight({ enabled: true, verification_type: '50%' }, false);
    const restore = verificationWeight({ enabled: true, test_restore: true }, false);
    expect(quick).toBeGreaterThan(0);
    expect(quick).toBeLessThan(half);
    expect(half).toBeLessThan(full);
    expect(full).toBeLessThan(restore);
    expect(verificationWeight({ enabled: true, verification_type: 'sometimes' }, false)).toBe(0);
  });
});

describe('ExecutionProgress', () => {
  const backup = (percent: number, etaInMs: number, elapsedMs: number) =>
    ({
      percent,
      bytesDone: percent,
      bytesEstimated: 100,
      elapsedMs,
      estimatedCompletionAt: new Date(Date.now() + etaInMs),
    }) as BackupProgress;

  it('gives the backup the first share and the verification the rest, with one ETA throughout', () => {
    const seen: ProgressUpdate[] = [];
    const progress = new ExecutionProgress(reporter(seen), 1);
    progress.backup(backup(50, 10_000, 10_000));
    expect(seen[0]!.progress).toBe(25);
    // 20 s of backup in all, and as long again for the verification.
    const eta = Date.parse(seen[0]!.estimated_completion!) - Date.now();
    expect(eta).toBeGreaterThan(29_000);
    expect(eta).toBeLessThanOrEqual(30_000);
    progress.verification({ progress: 5, bytes_done: 0, bytes_total: 10, estimated_completion: null });
    expect(seen[1]).toMatchObject({ progress: 52, estimated_completion: seen[0]!.estimated_completion });
    // Its own ETA counts as far as it has gone: 60% of the way from the projection to it.
    const projected = Date.parse(seen[0]!.estimated_completion!);
    const own = Date.now() + 5_000;
    progress.verification({
      progress: 60,
      bytes_done: 6,
      bytes_total: 10,
      estimated_completion: new Date(own).toISOString(),
    });
    expect(seen[2]).toMatchObject({ progress: 80, bytes_done: 50, bytes_total: 100 });
    expect(Date.parse(seen[2]!.estimated_completion!)).toBe(Math.floor(projected + (own - projected) * 0.6));
  });

  it('is the backup alone when nothing is verified', () => {
    const seen: ProgressUpdate[] = [];
    new ExecutionProgress(reporter(seen), 0).backup(backup(40, 6_000, 4_000));
    expect(seen[0]!.progress).toBe(40);
    expect(Date.parse(seen[0]!.estimated_completion!) - Date.now()).toBeLessThanOrEqual(6_000);
  });
});
