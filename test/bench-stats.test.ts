/** The bench's percentile and comparison (bench/stats.ts): the numbers the performance notes quote. */
import { describe, expect, it } from 'vitest';
import { compareResults, median, numericLeaves, percentile } from '../bench/stats';

const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);

describe('percentile', () => {
  it('interpolates between ranks: p95 of 20 samples is not their maximum', () => {
    expect(percentile(oneToTwenty, 95)).toBeCloseTo(19.05, 10);
    expect(percentile(oneToTwenty, 95)).toBeLessThan(20);
    expect(percentile(oneToTwenty, 99)).toBeCloseTo(19.81, 10);
  });

  it('gives the middle of an even count as the median, and the extremes at 0 and 100', () => {
    expect(percentile(oneToTwenty, 50)).toBe(10.5);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile(oneToTwenty, 0)).toBe(1);
    expect(percentile(oneToTwenty, 100)).toBe(20);
    expect(median([30, 10, 20, 40])).toBe(25);
  });

  it('matches numpy (linear) on an uneven sample', () => {
    // numpy.percentile([3, 7, 8, 15, 42], [25, 90]) → [7.0, 31.2]
    expect(percentile([3, 7, 8, 15, 42], 25)).toBe(7);
    expect(percentile([3, 7, 8, 15, 42], 90)).toBeCloseTo(31.2, 10);
  });

  it('is null without samples, the sample itself for one, and refuses p outside 0–100', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([42], 99)).toBe(42);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('compareResults', () => {
  it('keys table rows by their name and gives after ÷ before', () => {
    const before = {
      node: 'v20',
      functions: [
        { function: 'A', bundleKB: 1000 },
        { function: 'B', bundleKB: 500 },
      ],
      endToEnd: { p95Ms: 200 },
    };
    const after = {
      node: 'v22',
      functions: [
        { function: 'B', bundleKB: 250 },
        { function: 'C', bundleKB: 10 },
      ],
      endToEnd: { p95Ms: 100 },
    };
    expect(compareResults(before, after)).toEqual([
      { metric: 'functions.B.bundleKB', before: 500, after: 250, ratio: 0.5 },
      { metric: 'functions.C.bundleKB', before: null, after: 10, ratio: null },
      { metric: 'endToEnd.p95Ms', before: 200, after: 100, ratio: 0.5 },
      { metric: 'functions.A.bundleKB', before: 1000, after: null, ratio: null },
    ]);
  });

  it('leaves raw samples out', () => {
    expect([...numericLeaves({ latenciesMs: [1, 2, 3], coldRuns: 5 }).keys()]).toEqual(['coldRuns']);
  });
});
