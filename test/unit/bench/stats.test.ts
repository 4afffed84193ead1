import { median, percentile, summarize } from '../../../test/bench/stats.ts';

const oneToFifty = Array.from({ length: 50 }, (_, i) => i + 1);
const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

describe('percentile (nearest rank)', () => {
  it.each([
    [oneToFifty, 50, 25],
    [oneToFifty, 99, 50],
    [oneToFifty, 100, 50],
    [oneToHundred, 99, 99],
    [oneToHundred, 1, 1],
    [[7], 99, 7],
    [[1, 2, 3, 4], 50, 2],
  ])('of %j at p%d is %d', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it.each([0, -1, 101, Number.NaN])('refuses p = %d', (p) => {
    expect(() => percentile([1], p)).toThrow(RangeError);
  });

  it('refuses an empty list', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
  });
});

describe('median', () => {
  it('sorts before picking, and takes the lower middle of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([40, 10, 30, 20])).toBe(20);
  });
});

describe('summarize', () => {
  it('reports count, extremes, p50, p99 and mean of unsorted values', () => {
    expect(summarize([30, 10, 20])).toEqual({
      count: 3,
      min: 10,
      p50: 20,
      p99: 30,
      max: 30,
      mean: 20,
    });
  });

  it('gives NaN, not an exception, for no values', () => {
    const summary = summarize([]);
    expect(summary.count).toBe(0);
    expect(summary.p99).toBeNaN();
  });
});
