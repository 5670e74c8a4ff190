import { describeValue, invalidOption, LeakkitError } from '../errors.js';
import { normalQuantile } from './normal.js';
import type { NumberSeries } from './robust.js';
import { medianInPlace, scratchBuffer, select } from './robust.js';

/** The result of {@link robustSlope}. */
export interface RobustSlope {
  /** Theil–Sen slope: the median of the slopes between every pair of points, in y units per x unit. */
  slope: number;
  /** Intercept at x = 0: the median of y − slope·x. */
  intercept: number;
  /** Lower end of the confidence interval of the slope (Sen's method); −Infinity when n is too small. */
  lower: number;
  /** Upper end of the confidence interval of the slope; +Infinity when n is too small. */
  upper: number;
  /** Confidence level of `lower`..`upper`. */
  confidence: number;
  /** Points used: both coordinates finite. */
  n: number;
  /** Pairs the median was taken over (pairs with equal x have no slope and are left out). */
  pairs: number;
}

/** Options of {@link robustSlope}. */
export interface RobustSlopeOptions {
  /**
   * Confidence level of the interval `lower`..`upper`, strictly between 0 and 1.
   * @defaultValue 0.95
   */
  confidence?: number;
}

/** Checks a confidence level; shared with the other stats functions. @internal */
export function checkConfidence(option: string, value: unknown): number {
  if (value === undefined) return 0.95;
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw invalidOption(option, 'a number between 0 and 1 (exclusive)', value);
  }
  return value;
}

/**
 * Theil–Sen over `ys[from..to)` against `xs` (or the index when `xs` is null). The workhorse of
 * {@link robustSlope}, also used on halves of a series without copying them.
 * @internal
 */
export function theilSen(
  xs: NumberSeries | null,
  ys: NumberSeries,
  from: number,
  to: number,
  confidence: number,
): RobustSlope {
  const len = to - from;
  // Compact the finite points into two typed arrays first: the O(n²) loop then runs monomorphic,
  // without checks, whatever array type the caller passed.
  const px = scratchBuffer(1, len);
  const py = scratchBuffer(2, len);
  let n = 0;
  for (let i = from; i < to; i++) {
    const y = ys[i]!;
    const x = xs === null ? i : xs[i]!;
    if (!Number.isFinite(y) || !Number.isFinite(x)) continue;
    px[n] = x;
    py[n] = y;
    n++;
  }
  const slopes = scratchBuffer(0, n > 1 ? (n * (n - 1)) / 2 : 1);
  let pairs = 0;
  for (let i = 0; i < n - 1; i++) {
    const xi = px[i]!;
    const yi = py[i]!;
    for (let j = i + 1; j < n; j++) {
      const dx = px[j]! - xi;
      if (dx !== 0) slopes[pairs++] = (py[j]! - yi) / dx;
    }
  }
  if (pairs === 0) {
    return {
      slope: Number.NaN,
      intercept: Number.NaN,
      lower: Number.NaN,
      upper: Number.NaN,
      confidence,
      n,
      pairs,
    };
  }
  // Sen (1968): the interval's ends are order statistics of the pairwise slopes, C = z·sd(S)
  // ranks either side of the middle, with sd(S) the Mann–Kendall standard deviation for n points.
  const c = normalQuantile(1 - (1 - confidence) / 2) * Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18);
  const lowRank = Math.round((pairs - c) / 2); // 1-based rank of the lower end
  const highRank = Math.round((pairs + c) / 2) + 1; // 1-based rank of the upper end
  const k = pairs >>> 1;
  let lower = Number.NEGATIVE_INFINITY;
  let upper = Number.POSITIVE_INFINITY;
  // Three selections (the interval's ends, then the median) keep this O(pairs), no sort.
  if (lowRank >= 1 && lowRank - 1 < k) {
    select(slopes, 0, pairs - 1, lowRank - 1);
    lower = slopes[lowRank - 1]!;
  }
  if (highRank <= pairs && highRank - 1 > k) {
    select(slopes, lowRank >= 1 ? lowRank - 1 : 0, pairs - 1, highRank - 1);
    upper = slopes[highRank - 1]!;
  }
  const slope = medianInPlace(slopes, pairs);
  if (lower > slope) lower = slope;
  if (upper < slope) upper = slope;

  // The x buffer is not needed after this: the residuals overwrite it.
  for (let i = 0; i < n; i++) px[i] = py[i]! - slope * px[i]!;
  const intercept = medianInPlace(px, n);
  return { slope, intercept, lower, upper, confidence, n, pairs };
}

/**
 * The Theil–Sen estimator of a series' slope: the median of the slopes between every pair of
 * points. Up to about 29% of the points can be arbitrarily wrong (a GC that had not run, a
 * 220 KB code-space jump) without moving it much, where a least-squares fit would follow them;
 * it is unchanged by adding a constant to y and scales with y.
 *
 * With it comes Sen's confidence interval for the slope at `confidence`: the pairwise slopes
 * ranked C = z·√(n(n−1)(2n+5)/18) either side of the median. It is cheap (two more selections),
 * but its ends are infinite when n is too small for the level (fewer than 5 points at 95%).
 *
 * Pairs with a non-finite coordinate or equal x are skipped. O(n²) time and n(n−1)/2 scratch
 * doubles (reused between calls up to 1 MiB): fine for n up to a few hundred, usable to ~2000.
 *
 * @param xs - the x of each point (timestamps, iteration counts), same length as `ys`.
 * @param ys - the values.
 * @param options - see {@link RobustSlopeOptions}.
 * @returns slope, intercept and the confidence interval of the slope.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_ARGUMENT` when `xs` and `ys` differ in length;
 *   `ERR_LEAKKIT_INVALID_OPTION` for a bad `confidence`.
 *
 * @example
 * ```ts
 * import { robustSlope } from '@leakkit/core';
 * const r = robustSlope([0, 1, 2, 3, 4, 5], [10, 12, 14, 500, 18, 20]);
 * r.slope      // 2: the outlier at x = 3 does not move it
 * r.intercept  // 10
 * ```
 */
export function robustSlope(
  xs: NumberSeries,
  ys: NumberSeries,
  options: RobustSlopeOptions = {},
): RobustSlope {
  if (xs == null || typeof xs.length !== 'number' || ys == null || typeof ys.length !== 'number') {
    throw new LeakkitError(
      'ERR_LEAKKIT_INVALID_ARGUMENT',
      `Expected xs and ys to be arrays of numbers, got \`${describeValue(xs)}\` and \`${describeValue(ys)}\``,
    );
  }
  if (xs.length !== ys.length) {
    throw new LeakkitError(
      'ERR_LEAKKIT_INVALID_ARGUMENT',
      `Expected xs and ys to have the same length, got ${xs.length} and ${ys.length}`,
    );
  }
  const confidence = checkConfidence('confidence', options.confidence);
  return theilSen(xs, ys, 0, ys.length, confidence);
}
