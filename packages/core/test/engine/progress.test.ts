import { describe, expect, it } from 'vitest';
import { ProgressMeter, percentOf, projectedEnd, restoredShare } from '../../src/engine/progress.js';
import { SizeEstimate } from '../../src/engine/size-estimate.js';
import { WorkLedger } from '../../src/engine/work-ledger.js';

describe('percentOf and projectedEnd', () => {
  it('floors to an integer below 100 until complete', () => {
    expect(percentOf(0, 100)).toBe(0);
    expect(percentOf(49.9, 100)).toBe(49);
    expect(percentOf(100, 100)).toBe(99);
    expect(percentOf(150, 100)).toBe(99);
    expect(percentOf(3, 100, true)).toBe(100);
    expect(percentOf(5, 0)).toBe(0);
  });

  it('projects the end from the rate so far, and knows nothing before work was done', () => {
    expect(projectedEnd(1_000, 11_000, 25, 100)?.getTime()).toBe(41_000);
    expect(projectedEnd(1_000, 11_000, 100, 100)?.getTime()).toBe(11_000);
    // More done than expected: the total grows to what was done.
    expect(projectedEnd(1_000, 11_000, 200, 100)?.getTime()).toBe(11_000);
    expect(projectedEnd(1_000, 11_000, 0, 100)).toBeNull();
    expect(projectedEnd(1_000, 11_000, 10, 0)).toBeNull();
  });

  it('a restore share scales the bytes by the work done', () => {
    const progress = { bytesDone: 10, bytesEstimated: 400, workDone: 300, workTotal: 1_200 };
    expect(restoredShare(progress as Parameters<typeof restoredShare>[0])).toBe(100);
    expect(restoredShare({ ...progress, workTotal: 0 } as Parameters<typeof restoredShare>[0])).toBe(10);
  });
});

describe('ProgressMeter', () => {
  it('reports by work when it is priced, by bytes otherwise', () => {
    const meter = new ProgressMeter(1_000, 0);
    meter.bytesDone = 250;
    expect(meter.snapshot()).toMatchObject({ percent: 25, workDone: 250, workTotal: 1_000 });
    meter.workTotal = 4_000;
    meter.workDone = 3_000;
    expect(meter.snapshot()).toMatchObject({ percent: 75, bytesDone: 250, bytesEstimated: 1_000 });
    expect(meter.snapshot(true).percent).toBe(100);
  });

  it('does not promise an end sooner than its longest entry can finish on one lane', async () => {
    const meter = new ProgressMeter(0, 0);
    meter.workTotal = 1_000;
    meter.workDone = 500;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const spread = meter.snapshot().estimatedCompletionAt!.getTime();
    // 500 left over 2 lanes, but 400 of it on one entry: that one takes 800 lane-units of time.
    meter.schedule = { lanes: 2, longest: 400, after: 0 };
    const critical = meter.snapshot().estimatedCompletionAt!.getTime();
    const now = Date.now();
    expect(critical - now).toBeGreaterThan((spread - now) * 1.4);
  });

  it('keeps reporting on a heartbeat while nothing moves, until stopped', async () => {
    const meter = new ProgressMeter(0, 10);
    let beats = 0;
    const stop = meter.heartbeat(() => beats++);
    await new Promise((resolve) => setTimeout(resolve, 80));
    stop();
    const seen = beats;
    expect(seen).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(beats).toBe(seen);
  });
});

describe('WorkLedger', () => {
  it('credits parts up to their budget and settles what is left', () => {
    const ledger = new WorkLedger();
    ledger.add('a', 100);
    ledger.add('b', 50);
    ledger.add('a', 999); // kept at its first budget
    ledger.credit('a', 30);
    ledger.credit('a', 500);
    ledger.credit('b', -5);
    ledger.credit('unknown', 10);
    expect({ done: ledger.done, total: ledger.total }).toEqual({ done: 100, total: 150 });
    expect(ledger.remaining('b')).toBe(50);
    expect(ledger.largestRemaining(() => true)).toBe(50);
    ledger.credit('b', 20);
    ledger.settle('b');
    expect({ done: ledger.done, remaining: ledger.remaining('b') }).toEqual({ done: 150, remaining: 0 });
  });
});

describe('SizeEstimate', () => {
  it('corrects the total as entries finish or outgrow their estimates', () => {
    const estimate = new SizeEstimate(1_000);
    expect(estimate.total).toBe(1_000);
    estimate.start('a', 600);
    estimate.read('a', 200);
    expect(estimate.total).toBe(1_000);
    // Over-estimated: once done, only what it had counts.
    estimate.finish('a', 300);
    expect(estimate.total).toBe(700);
    // Under-estimated: it counts what was read as soon as that passes the estimate.
    estimate.start('b', 100);
    estimate.read('b', 250);
    expect(estimate.total).toBe(300 + 250 + 300);
    estimate.finish('b', 260);
    estimate.start('c', 400);
    expect(estimate.total).toBe(300 + 260 + 400);
  });
});
