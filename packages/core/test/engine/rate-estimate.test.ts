import { describe, expect, it } from 'vitest';
import { RateEstimate } from '../../src/engine/rate-estimate.js';

describe('RateEstimate', () => {
  it('is the average until a window of history exists, then the pace of the recent half', () => {
    const rate = new RateEstimate();
    expect(rate.at(0, 0, 0)).toBeNull();
    // A slow start: 10 units a second for 4 s…
    for (let t = 500; t <= 4_000; t += 500) expect(rate.at(0, t, t / 100)).toBeCloseTo(0.01);
    // …then 100 a second: 8 s in, the window (the last 4 s) sees only the fast pace.
    let done = 40;
    for (let t = 4_500; t <= 8_000; t += 500) {
      done += 50;
      rate.at(0, t, done);
    }
    expect(rate.at(0, 8_000, done)).toBeCloseTo(0.1);
  });

  it('slows with a stall, but never below three quarters of the pace since the start', () => {
    const rate = new RateEstimate();
    for (let t = 500; t <= 10_000; t += 500) rate.at(0, t, t);
    expect(rate.at(0, 10_000, 10_000)).toBeCloseTo(1);
    // Nothing done for 10 s: the recent pace is 0, the floor 3/4 of 10,000 units in 20 s.
    for (let t = 10_500; t <= 20_000; t += 500) rate.at(0, t, 10_000);
    expect(rate.at(0, 20_000, 10_000)).toBeCloseTo(0.375);
  });

  it('keeps a bounded history over a long run', () => {
    const rate = new RateEstimate();
    for (let t = 1; t <= 20_000; t++) rate.at(0, t * 100, t);
    expect(rate.at(0, 2_000_100, 20_001)).toBeCloseTo(0.01, 3);
  });
});
