import { describe, expect, it } from 'vitest';
import { pageRangeCondition, pageRanges, shareByPages } from '../../../src/sources/postgres/page-ranges.js';

describe('page ranges', () => {
  it('cuts at fixed multiples of the range size from page 0, the last range open', () => {
    expect(pageRanges(130, 64)).toEqual([
      { first: 0, end: 64 },
      { first: 64, end: 128 },
      { first: 128, end: null },
    ]);
    // Exactly two ranges' worth: no empty third range.
    expect(pageRanges(128, 64)).toEqual([
      { first: 0, end: 64 },
      { first: 64, end: null },
    ]);
  });

  it('gives a table smaller than one range, or an empty one, a single open range', () => {
    expect(pageRanges(10, 64)).toEqual([{ first: 0, end: null }]);
    expect(pageRanges(0, 64)).toEqual([{ first: 0, end: null }]);
  });

  it('keeps boundaries where they were when the table grows, so unchanged ranges dedup', () => {
    const before = pageRanges(300, 64).slice(0, -1);
    const after = pageRanges(700, 64);
    expect(after.slice(0, before.length)).toEqual(before);
  });

  it('reads a range by a TID range condition', () => {
    expect(pageRangeCondition({ first: 0, end: 64 })).toBe(`ctid < '(64,0)'::tid`);
    expect(pageRangeCondition({ first: 64, end: 128 })).toBe(
      `ctid >= '(64,0)'::tid AND ctid < '(128,0)'::tid`,
    );
    expect(pageRangeCondition({ first: 128, end: null })).toBe(`ctid >= '(128,0)'::tid`);
    expect(pageRangeCondition({ first: 0, end: null })).toBe('true');
  });

  it('shares a table estimate over its ranges by pages', () => {
    const split = { pages: 130, ranges: pageRanges(130, 64) };
    const shares = shareByPages(split, 1300);
    expect(shares).toEqual([640, 640, 20]);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(1300);
  });
});
