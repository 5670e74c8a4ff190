import { describeValue, invalidOption, LeakkitError } from '../errors.js';
import type { MonotonicTrend } from './mann-kendall.js';
import { mannKendall } from './mann-kendall.js';
import type { NumberSeries } from './robust.js';
import { medianInPlace, scratchBuffer } from './robust.js';
import { checkConfidence, theilSen } from './slope.js';

/** The three-way answer of {@link classifyTrend} (memlab's leak / maybe-leak / not-leak). */
export type TrendVerdict = 'leak' | 'maybe-leak' | 'not-leak';

/**
 * Why {@link classifyTrend} decided as it did:
 * - `too-few-samples`: fewer than `minSamples` finite values: no claim either way;
 * - `no-trend`: no significant upward trend (noise around a level, or flat);
 * - `decreasing`: a significant downward trend;
 * - `below-min-slope`: it grows, but slower than `minSlope`;
 * - `saturating`: it grew and then levelled off (a cache filling during warm-up, a pool at its cap);
 * - `within-noise`: a trend, but the rise over the window is small next to the noise;
 * - `weak-trend`: a trend significant at `maybeAlpha` but not at `alpha`;
 * - `not-sustained`: it grew in the first half much more than in the second;
 * - `sustained-growth`: significant, larger than the noise and still growing in the second half;
 * - `growth-after-warmup`: a warm-up jump followed by steady growth; the verdict is about the
 *   second half (see {@link TrendClassification.from}).
 */
export type TrendReason =
  | 'too-few-samples'
  | 'no-trend'
  | 'decreasing'
  | 'below-min-slope'
  | 'saturating'
  | 'within-noise'
  | 'weak-trend'
  | 'not-sustained'
  | 'sustained-growth'
  | 'growth-after-warmup';

/** The result of {@link saturation}: how the growth of the first half compares with the second. */
export interface Saturation {
  /** Whether the series grew and then levelled off: `lateSlope ≤ ratio × earlySlope`, with `earlySlope > 0`. */
  saturating: boolean;
  /** Theil–Sen slope of the first half, or of the first quarter when that is steeper. */
  earlySlope: number;
  /** Theil–Sen slope of the second half. */
  lateSlope: number;
  /** `lateSlope / earlySlope` (NaN when `earlySlope` is not positive). */
  ratio: number;
  /** One-sided Mann–Kendall p-value of an upward trend within the second half. */
  lateIncreasing: number;
}

/** Options of {@link saturation}. */
export interface SaturationOptions {
  /**
   * The x of each value (timestamps, iteration counts), ascending, same length as the series.
   * @defaultValue the index: 0, 1, 2, …
   */
  xs?: NumberSeries;
  /**
   * Most the second half may grow, as a fraction of the first half's slope, for the series to count
   * as levelling off.
   * @defaultValue 0.25
   */
  ratio?: number;
}

/** Options of {@link classifyTrend}. */
export interface TrendOptions {
  /**
   * The x of each value (timestamps, iteration counts), ascending, same length as the series. The
   * slope is in y units per x unit.
   * @defaultValue the index: 0, 1, 2, …
   */
  xs?: NumberSeries;
  /**
   * Most one-sided Mann–Kendall p-value for `leak`. Small because a monitor asks again and again:
   * at 0.001 a stationary series reads as `leak` about once in a thousand checks before the other
   * conditions (rise above noise, still growing in the second half) rule almost all of those out.
   * @defaultValue 0.001
   */
  alpha?: number;
  /**
   * Most one-sided p-value for `maybe-leak`.
   * @defaultValue 0.05
   */
  maybeAlpha?: number;
  /**
   * Least slope, in y units per x unit, that matters (bytes per iteration, entries per ms). Slower
   * growth is `not-leak` however significant.
   * @defaultValue 0
   */
  minSlope?: number;
  /**
   * Fewest finite values to say anything; fewer gives `not-leak` with reason `too-few-samples`.
   * @defaultValue 6
   */
  minSamples?: number;
  /**
   * Least rise over the window (slope × x span), in robust standard deviations of the residual noise,
   * for `leak`; below it the verdict is at most `maybe-leak`.
   * @defaultValue 2
   */
  minEffect?: number;
  /**
   * See {@link SaturationOptions.ratio}.
   * @defaultValue 0.25
   */
  saturationRatio?: number;
  /**
   * Least slope of the second half, as a fraction of the whole series' slope, for `leak`: growth that
   * slows down this much is at most `maybe-leak`.
   * @defaultValue 0.5
   */
  sustainRatio?: number;
  /**
   * Confidence level of the slope's interval `lower`..`upper`.
   * @defaultValue 0.95
   */
  confidence?: number;
}

/** The verdict of {@link classifyTrend} and the numbers behind it. */
export interface TrendClassification {
  verdict: TrendVerdict;
  reason: TrendReason;
  /** How strongly the numbers point to a leak, 0..1: ≥ 0.5 for `leak`, below for `maybe-leak`, 0 for `not-leak`. */
  confidence: number;
  /** First index of the part of the series the verdict is about (0 unless `growth-after-warmup`). */
  from: number;
  /** End (exclusive) of that part: the series' length. */
  to: number;
  /** Finite values in that part. */
  n: number;
  /** Theil–Sen slope, y units per x unit. */
  slope: number;
  /** Theil–Sen intercept at x = 0. */
  intercept: number;
  /** Lower end of the slope's confidence interval. */
  lower: number;
  /** Upper end of the slope's confidence interval. */
  upper: number;
  /** slope × (last x − first x): how much the trend added over the window. */
  rise: number;
  /** Robust standard deviation of the residuals around the fitted line (1.4826 × MAD). */
  noise: number;
  /** The Mann–Kendall test of the part. */
  trend: MonotonicTrend;
  /** First half against second half. */
  saturation: Saturation;
}

interface ResolvedTrendOptions {
  xs: NumberSeries | null;
  alpha: number;
  maybeAlpha: number;
  minSlope: number;
  minSamples: number;
  minEffect: number;
  saturationRatio: number;
  sustainRatio: number;
  confidence: number;
}

function probability(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw invalidOption(option, 'a number between 0 and 1 (exclusive)', value);
  }
  return value;
}

function nonNegative(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalidOption(option, 'a finite number ≥ 0', value);
  }
  return value;
}

function checkSeries(ys: unknown): NumberSeries {
  if (ys == null || typeof (ys as NumberSeries).length !== 'number' || typeof ys === 'string') {
    throw new LeakkitError(
      'ERR_LEAKKIT_INVALID_ARGUMENT',
      `Expected an array of numbers, got \`${describeValue(ys)}\``,
    );
  }
  return ys as NumberSeries;
}

function checkXs(xs: unknown, length: number): NumberSeries | null {
  if (xs === undefined) return null;
  if (xs === null || typeof (xs as NumberSeries).length !== 'number' || typeof xs === 'string') {
    throw invalidOption('xs', 'an array of ascending numbers', xs);
  }
  const a = xs as NumberSeries;
  if (a.length !== length) {
    throw invalidOption('xs', `an array of ${length} numbers (one per value)`, xs);
  }
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (Number.isNaN(x)) continue;
    // Mann–Kendall reads the series in order: x out of order would make S meaningless.
    if (x < previous) throw invalidOption(`xs[${i}]`, `≥ ${previous} (xs must be ascending)`, x);
    previous = x;
  }
  return a;
}

function resolveTrendOptions(options: TrendOptions, length: number): ResolvedTrendOptions {
  if (options === null || typeof options !== 'object') {
    throw invalidOption('options', 'an object', options);
  }
  const minSamples = nonNegative('minSamples', options.minSamples, 6);
  if (!Number.isInteger(minSamples) || minSamples < 3) {
    throw invalidOption('minSamples', 'an integer ≥ 3', options.minSamples);
  }
  const alpha = probability('alpha', options.alpha, 0.001);
  const maybeAlpha = probability('maybeAlpha', options.maybeAlpha, 0.05);
  if (maybeAlpha < alpha) throw invalidOption('maybeAlpha', `a number ≥ alpha (${alpha})`, maybeAlpha);
  return {
    xs: checkXs(options.xs, length),
    alpha,
    maybeAlpha,
    minSlope: nonNegative('minSlope', options.minSlope, 0),
    minSamples,
    minEffect: nonNegative('minEffect', options.minEffect, 2),
    saturationRatio: probability('saturationRatio', options.saturationRatio, 0.25),
    sustainRatio: probability('sustainRatio', options.sustainRatio, 0.5),
    confidence: checkConfidence('confidence', options.confidence),
  };
}

// The second half's trend test runs at this multiple of `alpha`: 0.005 by default, which a
// perfectly monotone half of 6 samples (p = 1/720) passes, so 12 samples can read as `leak`.
const LATE_ALPHA_FACTOR = 5;

/**
 * Where the first half and the first quarter of the finite readings of `ys[from..to)` end and where
 * the last half begins (indices), counted by readings, not by index: a run of missing readings (a
 * monitor leaves out the ticks of a heap series, which can span minutes) would otherwise leave the
 * late half empty and its slope NaN. Without gaps these are the index halves.
 */
function readingHalves(
  xs: NumberSeries | null,
  ys: NumberSeries,
  from: number,
  to: number,
): { quarter: number; halfEnd: number; quarterEnd: number; lateFrom: number } {
  const isReading = (i: number) => Number.isFinite(ys[i]!) && (xs === null || Number.isFinite(xs[i]!));
  let n = 0;
  for (let i = from; i < to; i++) if (isReading(i)) n++;
  const half = n >>> 1;
  const quarter = n >>> 2;
  let halfEnd = from;
  let quarterEnd = from;
  let lateFrom = to;
  let seen = 0;
  for (let i = from; i < to; i++) {
    if (!isReading(i)) continue;
    seen++;
    if (seen === quarter) quarterEnd = i + 1;
    if (seen === half) halfEnd = i + 1;
    if (seen === n - half + 1) lateFrom = i;
  }
  return { quarter, halfEnd, quarterEnd, lateFrom };
}

/** Saturation of `ys[from..to)`: Theil–Sen of the first half against the second. */
function saturationOf(
  xs: NumberSeries | null,
  ys: NumberSeries,
  from: number,
  to: number,
  ratio: number,
  confidence: number,
): Saturation {
  const { quarter, halfEnd, quarterEnd, lateFrom } = readingHalves(xs, ys, from, to);
  // A warm-up usually fills in the first quarter: its slope there is the one to compare with, as
  // the first half's median slope is diluted by the flat part after a short warm-up.
  const earlySlope = Math.max(
    theilSen(xs, ys, from, halfEnd, confidence).slope,
    quarter >= 3 ? theilSen(xs, ys, from, quarterEnd, confidence).slope : Number.NEGATIVE_INFINITY,
  );
  const lateSlope = theilSen(xs, ys, lateFrom, to, confidence).slope;
  const lateIncreasing = mannKendall(ys, lateFrom, to).pIncreasing;
  const r = earlySlope > 0 ? lateSlope / earlySlope : Number.NaN;
  return {
    saturating: earlySlope > 0 && lateSlope <= ratio * earlySlope,
    earlySlope,
    lateSlope,
    ratio: r,
    lateIncreasing,
  };
}

/**
 * Whether a series grew and then levelled off, and the numbers behind the answer: the Theil–Sen
 * slope of its second half against that of its first. A cache that fills during warm-up and then
 * stays at its cap, a pool that reaches its size, JIT warm-up: the second half is flat while the
 * first rose (the first half's slope, or its first quarter's when that is steeper, for a short
 * warm-up). A steady leak grows as fast in both halves and does not saturate.
 *
 * A series whose growth stops in its last quarter or later is too recent to tell apart from a
 * leak that paused; classify it again with more samples.
 *
 * @param values - the series, oldest first.
 * @param options - see {@link SaturationOptions}.
 * @returns the verdict, both slopes and their ratio.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option.
 *
 * @example
 * ```ts
 * import { saturation } from '@leakkit/core';
 * saturation([0, 40, 70, 90, 100, 100, 101, 100, 100, 101]).saturating;  // true
 * saturation([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]).saturating;        // false
 * ```
 */
export function saturation(values: NumberSeries, options: SaturationOptions = {}): Saturation {
  const ys = checkSeries(values);
  const xs = checkXs(options.xs, ys.length);
  const ratio = probability('ratio', options.ratio, 0.25);
  return saturationOf(xs, ys, 0, ys.length, ratio, 0.95);
}

/**
 * Whether a series grew and then levelled off: `saturation(values, options).saturating`.
 *
 * @param values - the series, oldest first.
 * @param options - see {@link SaturationOptions}.
 * @returns true when the second half grows at most `ratio` times as fast as the first.
 *
 * @example
 * ```ts
 * import { isSaturating } from '@leakkit/core';
 * isSaturating([0, 50, 90, 100, 100, 100, 100, 100]);  // true: a cache at its cap
 * isSaturating([0, 1, 2, 3, 4, 5, 6, 7]);               // false: a steady leak
 * ```
 */
export function isSaturating(values: NumberSeries, options: SaturationOptions = {}): boolean {
  return saturation(values, options).saturating;
}

/** Robust σ of the residuals of `ys[from..to)` around `intercept + slope·x`. */
function residualNoise(
  xs: NumberSeries | null,
  ys: NumberSeries,
  from: number,
  to: number,
  slope: number,
  intercept: number,
): number {
  const r = scratchBuffer(1, to - from);
  let n = 0;
  for (let i = from; i < to; i++) {
    const y = ys[i]!;
    const x = xs === null ? i : xs[i]!;
    if (Number.isFinite(y) && Number.isFinite(x)) r[n++] = y - intercept - slope * x;
  }
  const m = medianInPlace(r, n);
  for (let i = 0; i < n; i++) r[i] = Math.abs(r[i]! - m);
  return 1.4826 * medianInPlace(r, n);
}

function span(xs: NumberSeries | null, ys: NumberSeries, from: number, to: number): number {
  let first = Number.NaN;
  let last = Number.NaN;
  for (let i = from; i < to; i++) {
    const x = xs === null ? i : xs[i]!;
    if (!Number.isFinite(ys[i]!) || !Number.isFinite(x)) continue;
    if (Number.isNaN(first)) first = x;
    last = x;
  }
  return Number.isNaN(first) ? 0 : last - first;
}

function classifyRange(
  o: ResolvedTrendOptions,
  ys: NumberSeries,
  from: number,
  to: number,
  nested: boolean,
): TrendClassification {
  const { xs } = o;
  const fit = theilSen(xs, ys, from, to, o.confidence);
  const trend = mannKendall(ys, from, to);
  const sat = saturationOf(xs, ys, from, to, o.saturationRatio, o.confidence);
  const noise = fit.pairs > 0 ? residualNoise(xs, ys, from, to, fit.slope, fit.intercept) : Number.NaN;
  const rise = fit.pairs > 0 ? fit.slope * span(xs, ys, from, to) : Number.NaN;
  const result: TrendClassification = {
    verdict: 'not-leak',
    reason: 'no-trend',
    confidence: 0,
    from,
    to,
    n: trend.n,
    slope: fit.slope,
    intercept: fit.intercept,
    lower: fit.lower,
    upper: fit.upper,
    rise,
    noise,
    trend,
    saturation: sat,
  };
  const decide = (verdict: TrendVerdict, reason: TrendReason): TrendClassification => {
    result.verdict = verdict;
    result.reason = reason;
    if (verdict !== 'not-leak') {
      // Evidence (1 − p), damped when the second half grows slower or the rise is near the noise.
      const sustain = Math.min(1, Math.max(0, sat.lateSlope / fit.slope));
      const effect =
        noise > 0 && o.minEffect > 0 ? Math.min(1, Math.max(0, rise / (2 * o.minEffect * noise))) : 1;
      const raw = (1 - trend.pIncreasing) * (0.5 + 0.5 * sustain) * (0.5 + 0.5 * effect);
      result.confidence = verdict === 'leak' ? Math.max(0.5, raw) : Math.min(0.49, raw);
    }
    return result;
  };

  if (trend.n < o.minSamples) return decide('not-leak', 'too-few-samples');
  if (trend.pDecreasing <= o.maybeAlpha && !(fit.slope > 0)) return decide('not-leak', 'decreasing');
  if (trend.pIncreasing > o.maybeAlpha || !(fit.slope > 0)) return decide('not-leak', 'no-trend');
  // A hair of slack: a slope of exactly minSlope comes back a rounding error below it.
  if (fit.slope < o.minSlope * (1 - 1e-9)) return decide('not-leak', 'below-min-slope');
  if (sat.saturating) {
    // A warm-up jump can hide a leak that goes on after it: judge the second half on its own, when
    // it trends up at a hundredth of `alpha` (flat noise after a warm-up must not get there by
    // chance; a steadily leaking half of 9 samples or more does: 1/9! ≈ 3e-6).
    const half = (to - from) >>> 1;
    if (!nested && sat.lateIncreasing <= o.alpha / 100 && half >= o.minSamples) {
      const late = classifyRange(o, ys, to - half, to, true);
      if (late.verdict !== 'not-leak') {
        if (late.verdict === 'leak') late.reason = 'growth-after-warmup';
        return late;
      }
    }
    return decide('not-leak', 'saturating');
  }
  if (noise > 0 && rise < o.minEffect * noise) return decide('maybe-leak', 'within-noise');
  if (trend.pIncreasing > o.alpha) return decide('maybe-leak', 'weak-trend');
  if (!(sat.lateSlope >= o.sustainRatio * fit.slope)) return decide('maybe-leak', 'not-sustained');
  // The second half must be a trend on its own: a warm-up jump makes the whole series significant
  // however flat the rest is, and the second half is where a leak shows that it goes on. Its test
  // is looser than the whole series' (half the samples), tight enough that flat noise after a
  // warm-up passes about once in ten thousand series (measured).
  const half = (to - from) >>> 1;
  const lateFit = theilSen(xs, ys, to - half, to, o.confidence);
  const lateNoise = residualNoise(xs, ys, to - half, to, lateFit.slope, lateFit.intercept);
  const lateRise = lateFit.slope * span(xs, ys, to - half, to);
  if (
    sat.lateIncreasing > LATE_ALPHA_FACTOR * o.alpha ||
    (lateNoise > 0 && lateRise < o.minEffect * lateNoise)
  ) {
    return decide('maybe-leak', 'not-sustained');
  }
  return decide('leak', 'sustained-growth');
}

/**
 * Reads a series of measurements (heap used after GC per round, entries of a watched Map per
 * minute, listeners per check) and answers leak / maybe-leak / not-leak, with the numbers behind
 * the answer. Growth is `leak` when all of these hold:
 * - a significant upward trend: Mann–Kendall one-sided p ≤ `alpha` (robust to outliers and to
 *   step-wise growth, no assumption about the noise);
 * - a Theil–Sen slope of at least `minSlope`, and a rise over the window of at least `minEffect`
 *   times the residual noise (a significant but tiny drift is not a leak worth reporting);
 * - still growing: the second half's slope is at least `sustainRatio` of the whole series' and the
 *   series is not saturating (see {@link saturation}) — caches that fill during warm-up and then stay
 *   at their cap read as `not-leak`, and a warm-up jump followed by steady growth is judged on the
 *   growth after it.
 *
 * A trend significant at `maybeAlpha` that misses one of the other conditions is `maybe-leak`;
 * anything else is `not-leak`. Non-finite values (gauges that were not read) are skipped.
 *
 * With the defaults `leak` needs at least 12 samples: the second half's own trend test runs at
 * 5 × `alpha`, which a perfectly monotone half of 6 passes (p = 1/720) and one of 5 does not.
 * Measured on generated series of 12–120 samples: uniform noise around a level read as `leak` once
 * in 200,000 series (the price of `alpha`; a `FindingStore` wants a finding in several checks in a
 * row before it rises); caches filling (linearly or exponentially) during up to half the series,
 * with noise up to a tenth of their cap, in none of 200,000; trends with noise below half the slope
 * read as `leak` in all of 100,000.
 *
 * Cost: O(n²) time in the number of samples, about 1 ms for 64 samples and 10 ms for 512 (one
 * core of a shared machine); no allocation beyond reused scratch buffers and the result.
 *
 * @param values - the series, oldest first.
 * @param options - see {@link TrendOptions}.
 * @returns the verdict, the reason, a 0..1 confidence and the statistics behind them.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option,
 *   `ERR_LEAKKIT_INVALID_ARGUMENT` when `values` is not an array.
 *
 * @example
 * ```ts
 * import { classifyTrend } from '@leakkit/core';
 * const heap = [100, 124, 149, 171, 198, 222, 250, 271, 297, 322, 349, 371];  // +24.6 per round on average
 * classifyTrend(heap).verdict;   // 'leak'
 * classifyTrend(heap).slope;     // ≈ 24.7
 * classifyTrend(heap.slice(0, 10)).verdict;  // 'maybe-leak': too few samples in the second half
 * classifyTrend([100, 180, 200, 201, 199, 200, 200, 201, 200, 200]).reason;  // 'saturating'
 * ```
 */
export function classifyTrend(values: NumberSeries, options: TrendOptions = {}): TrendClassification {
  const ys = checkSeries(values);
  const o = resolveTrendOptions(options, ys.length);
  return classifyRange(o, ys, 0, ys.length, false);
}
