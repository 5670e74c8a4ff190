import { normalUpperTail } from './normal.js';
import type { NumberSeries } from './robust.js';
import { scratchBuffer } from './robust.js';

/** The result of {@link monotonicTrend}: the Mann–Kendall test of a series against "no trend". */
export interface MonotonicTrend {
  /** Finite values the test used (non-finite values are skipped). */
  n: number;
  /** Kendall's S: pairs that rise minus pairs that fall, over all pairs i < j. */
  s: number;
  /** Variance of S under "no trend", corrected for ties. */
  variance: number;
  /** Standardised S with the continuity correction; 0 when S is 0 or the series is constant. */
  z: number;
  /** Two-sided p-value: the chance of a trend this strong either way with no trend at all. */
  pValue: number;
  /** One-sided p-value for an increasing trend (the one a leak finder asks about). */
  pIncreasing: number;
  /** One-sided p-value for a decreasing trend. */
  pDecreasing: number;
  /** Kendall's tau-b between the values and time, −1..1: how consistently the series moves. */
  tau: number;
  /** Whether the p-values are exact (n ≤ 30 and no ties) or from the normal approximation. */
  exact: boolean;
}

// Exact null distribution up to this n: beyond it the normal approximation is within 1e-3.
const EXACT_MAX_N = 30;
// upperTail[n][k] = P(S ≥ N − 2k) = P(at most k discordant pairs), computed on first use.
const upperTails: (Float64Array | undefined)[] = [];

/**
 * The distribution of the number of discordant pairs (inversions) of a random permutation of n,
 * as a cumulative array: cdf[k] = P(D ≤ k). Built by convolving uniform distributions on
 * {0..m−1} for m = 2..n with a running window sum, in probabilities so nothing overflows.
 */
function inversionCdf(n: number): Float64Array {
  let cached = upperTails[n];
  if (cached) return cached;
  const max = (n * (n - 1)) / 2;
  let dist = new Float64Array(max + 1);
  let next = new Float64Array(max + 1);
  dist[0] = 1;
  let top = 0;
  for (let m = 2; m <= n; m++) {
    const newTop = top + m - 1;
    let window = 0;
    for (let k = 0; k <= newTop; k++) {
      if (k <= top) window += dist[k]!;
      if (k - m >= 0) window -= dist[k - m]!;
      next[k] = window / m;
    }
    const t = dist;
    dist = next;
    next = t;
    top = newTop;
  }
  for (let k = 1; k <= max; k++) dist[k] = Math.min(1, dist[k]! + dist[k - 1]!);
  cached = dist;
  upperTails[n] = cached;
  return cached;
}

/**
 * The Mann–Kendall test for a monotonic trend: counts, over every pair of samples i < j, whether
 * the later one is higher (+1), lower (−1) or equal (0). A series that keeps growing, however
 * irregularly, has S near its maximum n(n−1)/2; noise around a level has S near 0. It makes no
 * assumption about the shape of the growth or the distribution of the noise, which suits heap sizes
 * (steps when a backing store doubles, outliers after a GC).
 *
 * Ties (a constant gauge, a count that did not change) reduce the variance of S as in Kendall
 * (1975). For n ≤ 30 without ties the p-values are exact (the permutation distribution of S);
 * otherwise they use the normal approximation with a continuity correction. Reversing the series
 * negates S, z and tau and swaps the one-sided p-values.
 *
 * Non-finite values are skipped. O(n²) time (fine for a few thousand samples), no allocation
 * beyond a reused scratch buffer.
 *
 * @param values - the series, oldest first.
 * @returns S, its tie-corrected variance, z, two- and one-sided p-values and Kendall's tau-b.
 *
 * @example
 * ```ts
 * import { monotonicTrend } from '@leakkit/core';
 * const t = monotonicTrend([10, 12, 11, 14, 15, 17, 16, 19]);
 * t.s            // 24
 * t.pIncreasing  // ≈ 0.0009 (exact): very unlikely without an upward trend
 * monotonicTrend([5, 5, 5, 5]).pValue  // 1
 * ```
 */
export function monotonicTrend(values: NumberSeries): MonotonicTrend {
  return mannKendall(values, 0, values.length);
}

/**
 * {@link monotonicTrend} of `values[from..to)`, without copying the window.
 * @internal
 */
export function mannKendall(values: NumberSeries, from: number, to: number): MonotonicTrend {
  // Compact the finite values once: the O(n²) loop then runs without checks.
  const y = scratchBuffer(2, to - from);
  let n = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) y[n++] = v;
  }
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const yi = y[i]!;
    for (let j = i + 1; j < n; j++) {
      const d = y[j]! - yi;
      if (d > 0) s++;
      else if (d < 0) s--;
    }
  }
  // The pairwise loop was the last use of the order: sort the compacted values in place to find
  // the tie groups.
  const sorted = y.subarray(0, n).sort();
  let tieTerm = 0;
  let tiePairs = 0;
  let ties = false;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && sorted[j] === sorted[i]) j++;
    const t = j - i;
    if (t > 1) {
      ties = true;
      tieTerm += t * (t - 1) * (2 * t + 5);
      tiePairs += (t * (t - 1)) / 2;
    }
    i = j;
  }
  const pairs = (n * (n - 1)) / 2;
  const variance = n < 2 ? 0 : (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  const sd = Math.sqrt(variance);
  const z = s === 0 || sd === 0 ? 0 : (s > 0 ? s - 1 : s + 1) / sd;
  const tauDenominator = Math.sqrt((pairs - tiePairs) * pairs);
  const tau = tauDenominator === 0 ? 0 : s / tauDenominator;

  let pIncreasing: number;
  let pDecreasing: number;
  const exact = n >= 2 && n <= EXACT_MAX_N && !ties;
  if (n < 2 || sd === 0) {
    pIncreasing = 1;
    pDecreasing = 1;
  } else if (exact) {
    const cdf = inversionCdf(n);
    // S = N − 2D: P(S ≥ s) = P(D ≤ (N − s)/2), and by symmetry P(S ≤ s) = P(S ≥ −s).
    pIncreasing = cdf[(pairs - s) / 2]!;
    pDecreasing = cdf[(pairs + s) / 2]!;
  } else {
    // S moves in steps of 2, so ±1 is the continuity correction.
    pIncreasing = normalUpperTail((s - 1) / sd);
    pDecreasing = normalUpperTail((-s - 1) / sd);
  }
  pIncreasing = Math.min(1, pIncreasing);
  pDecreasing = Math.min(1, pDecreasing);
  const pValue = Math.min(1, 2 * Math.min(pIncreasing, pDecreasing));
  return { n, s, variance, z, pValue, pIncreasing, pDecreasing, tau, exact };
}
