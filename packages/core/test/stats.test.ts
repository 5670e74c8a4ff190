import {
  classifyTrend,
  isSaturating,
  mad,
  median,
  monotonicTrend,
  robustSlope,
  saturation,
  stats,
} from '@leakkit/core';
import { describe, expect, it } from 'vitest';
import { caught } from './caught.js';

describe('median() and mad()', () => {
  it('answers as its examples say', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([1, Number.NaN, 3])).toBe(2);
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
    expect(mad([1, 2, 3, 4, 100], 'normal')).toBeCloseTo(1.4826, 10);
  });
  it('gives NaN for an empty or all-missing series and leaves the input in order', () => {
    expect(median([])).toBeNaN();
    expect(mad([Number.NaN])).toBeNaN();
    const input = new Float64Array([5, 3, 9, 1, 7]);
    expect(median(input)).toBe(5);
    expect([...input]).toEqual([5, 3, 9, 1, 7]);
  });
  it('matches a sort on large, tied and sorted inputs', () => {
    const values = Array.from({ length: 1001 }, (_, i) => (i * 7919) % 101);
    const sorted = [...values].sort((a, b) => a - b);
    expect(median(values)).toBe(sorted[500]);
    expect(median(sorted)).toBe(sorted[500]);
    expect(median(sorted.reverse())).toBe(sorted[500]);
  });
});

describe('robustSlope()', () => {
  it('ignores an outlier (its example)', () => {
    const r = robustSlope([0, 1, 2, 3, 4, 5], [10, 12, 14, 500, 18, 20]);
    expect(r.slope).toBe(2);
    expect(r.intercept).toBe(10);
    expect(r.n).toBe(6);
    expect(r.pairs).toBe(15);
  });
  it('brackets the slope with Sen’s interval, narrower with more points', () => {
    const xs = Array.from({ length: 40 }, (_, i) => i);
    const ys = xs.map((x) => 3 * x + ((x * 37) % 11) - 5);
    const r = robustSlope(xs, ys);
    expect(r.lower).toBeLessThanOrEqual(r.slope);
    expect(r.upper).toBeGreaterThanOrEqual(r.slope);
    expect(r.lower).toBeGreaterThan(2.5);
    expect(r.upper).toBeLessThan(3.5);
    const wide = robustSlope(xs, ys, { confidence: 0.999 });
    expect(wide.upper - wide.lower).toBeGreaterThan(r.upper - r.lower);
    // Too few points for a 95% interval: the ends are infinite, not made up.
    const tiny = robustSlope([0, 1, 2], [0, 1, 2]);
    expect(tiny.lower).toBe(Number.NEGATIVE_INFINITY);
    expect(tiny.upper).toBe(Number.POSITIVE_INFINITY);
  });
  it('uses x, skips pairs with equal x and non-finite points', () => {
    expect(robustSlope([0, 1000, 2000, 3000], [5, 6, 7, 8]).slope).toBe(0.001);
    expect(robustSlope([0, 0, 1, 1], [0, 5, 2, 7]).pairs).toBe(4);
    expect(robustSlope([0, 1, 2, 3], [0, Number.NaN, 4, 6]).slope).toBe(2);
    expect(robustSlope([0], [1]).slope).toBeNaN();
  });
  it('rejects mismatched lengths and a bad confidence', () => {
    expect(caught(() => robustSlope([1, 2], [1])).code).toBe('ERR_LEAKKIT_INVALID_ARGUMENT');
    const e = caught(() => robustSlope([1, 2], [1, 2], { confidence: 1 }));
    expect(e.code).toBe('ERR_LEAKKIT_INVALID_OPTION');
    expect(e.message).toBe('Expected `confidence` to be a number between 0 and 1 (exclusive), got `1`');
  });
});

describe('monotonicTrend()', () => {
  it('answers as its example says', () => {
    const t = monotonicTrend([10, 12, 11, 14, 15, 17, 16, 19]);
    expect(t.s).toBe(24);
    expect(t.exact).toBe(true);
    expect(t.pIncreasing).toBeCloseTo(0.000868, 5);
    expect(monotonicTrend([5, 5, 5, 5]).pValue).toBe(1);
  });
  it('gives exact p-values: a perfectly increasing series of n has p = 1/n!', () => {
    expect(monotonicTrend([1, 2, 3, 4, 5]).pIncreasing).toBeCloseTo(1 / 120, 12);
    expect(monotonicTrend([1, 2, 3, 4, 5, 6, 7]).pIncreasing).toBeCloseTo(1 / 5040, 12);
    expect(monotonicTrend([7, 6, 5, 4, 3, 2, 1]).pDecreasing).toBeCloseTo(1 / 5040, 12);
    expect(monotonicTrend([1, 2, 3, 4, 5, 6, 7]).tau).toBe(1);
  });
  it('agrees with the normal approximation where both apply', () => {
    // n = 30 is exact; the same statistic from the normal approximation is close.
    const ys = Array.from({ length: 30 }, (_, i) => i + ((i * 13) % 7) * 2);
    const exact = monotonicTrend(ys);
    expect(exact.exact).toBe(true);
    const z = (exact.s - 1) / Math.sqrt(exact.variance);
    expect(exact.z).toBeCloseTo(z, 12);
    const approx = monotonicTrend([...ys, Number.NaN]); // same n: NaN is skipped
    expect(approx.s).toBe(exact.s);
    const longer = monotonicTrend(Array.from({ length: 31 }, (_, i) => i + ((i * 13) % 7) * 2));
    expect(longer.exact).toBe(false);
    expect(longer.pIncreasing).toBeLessThan(1e-6);
  });
  it('corrects the variance for ties', () => {
    const t = monotonicTrend([1, 1, 2, 2, 3, 3]);
    // n = 6: 6·5·17 = 510, three pairs of ties: 3 × 2·1·9 = 54 → (510 − 54) / 18.
    expect(t.variance).toBeCloseTo(456 / 18, 12);
    expect(t.exact).toBe(false);
    expect(t.s).toBe(12);
  });
});

describe('saturation() and isSaturating()', () => {
  it('answers as its examples say', () => {
    expect(saturation([0, 40, 70, 90, 100, 100, 101, 100, 100, 101]).saturating).toBe(true);
    expect(saturation([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]).saturating).toBe(false);
    expect(isSaturating([0, 50, 90, 100, 100, 100, 100, 100])).toBe(true);
    expect(isSaturating([0, 1, 2, 3, 4, 5, 6, 7])).toBe(false);
  });
  it('validates its options', () => {
    expect(caught(() => saturation([1, 2, 3], { ratio: 2 })).option).toBe('ratio');
    expect(caught(() => saturation([1, 2, 3], { xs: [1, 2] })).option).toBe('xs');
  });
});

describe('classifyTrend()', () => {
  it('answers as its example says', () => {
    const heap = [100, 124, 149, 171, 198, 222, 250, 271, 297, 322, 349, 371];
    const t = classifyTrend(heap);
    expect(classifyTrend(heap.slice(0, 10)).verdict).toBe('maybe-leak');
    expect(t.verdict).toBe('leak');
    expect(t.reason).toBe('sustained-growth');
    expect(t.slope).toBeCloseTo(24.7, 1);
    expect(t.confidence).toBeGreaterThan(0.9);
    const cache = classifyTrend([100, 180, 200, 201, 199, 200, 200, 201, 200, 200]);
    expect(cache.verdict).toBe('not-leak');
  });
  it('reads a cache that fills during warm-up and stays at its cap as saturating', () => {
    const ys = Array.from({ length: 40 }, (_, i) => Math.min(i, 12) * 100 + (i % 3));
    const t = classifyTrend(ys);
    expect(t.verdict).toBe('not-leak');
    expect(t.reason).toBe('saturating');
    expect(t.saturation.lateSlope).toBeLessThan(t.saturation.earlySlope * 0.25);
  });
  it('judges steady growth after a warm-up jump on the growth', () => {
    const ys = Array.from({ length: 40 }, (_, i) => (i < 4 ? i * 1000 : 4000 + i * 3));
    const t = classifyTrend(ys);
    expect(t.verdict).toBe('leak');
    expect(t.from).toBeGreaterThan(0);
    expect(t.slope).toBeCloseTo(3, 5);
  });
  it('gives the reasons of its other verdicts', () => {
    expect(classifyTrend([1, 2, 3]).reason).toBe('too-few-samples');
    expect(classifyTrend([9, 8, 7, 6, 5, 4, 3, 2]).reason).toBe('decreasing');
    expect(classifyTrend([5, 5, 5, 5, 5, 5, 5, 5]).reason).toBe('no-trend');
    expect(classifyTrend([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], { minSlope: 2 }).reason).toBe(
      'below-min-slope',
    );
    // Significant at 0.05 but not at 0.001: at most a maybe.
    const weak = classifyTrend([3, 1, 4, 2, 6, 5, 8, 7, 6, 9]);
    expect(weak.verdict).toBe('maybe-leak');
    expect(weak.confidence).toBeLessThan(0.5);
  });
  it('measures the slope against xs', () => {
    const xs = Array.from({ length: 12 }, (_, i) => i * 60_000);
    const t = classifyTrend(
      xs.map((x) => 1e6 + x / 1000),
      { xs },
    );
    expect(t.verdict).toBe('leak');
    expect(t.slope * 60_000).toBeCloseTo(60, 6); // bytes per minute
  });
  it('validates its options with the option’s name', () => {
    expect(caught(() => classifyTrend([1, 2, 3], { alpha: 0 })).message).toBe(
      'Expected `alpha` to be a number between 0 and 1 (exclusive), got `0`',
    );
    expect(caught(() => classifyTrend([1, 2, 3], { minSamples: 2 })).option).toBe('minSamples');
    expect(caught(() => classifyTrend([1, 2, 3], { xs: [3, 2, 1] })).option).toBe('xs[1]');
    expect(caught(() => classifyTrend('123' as never)).code).toBe('ERR_LEAKKIT_INVALID_ARGUMENT');
  });
  it('is what ctx.stats holds', () => {
    expect(stats.classifyTrend).toBe(classifyTrend);
    expect(Object.isFrozen(stats)).toBe(true);
    expect(stats.classifyTrend([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).verdict).toBe('leak');
  });
});
