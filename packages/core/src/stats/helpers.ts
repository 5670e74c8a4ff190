import { monotonicTrend } from './mann-kendall.js';
import { mad, median } from './robust.js';
import { robustSlope } from './slope.js';
import { classifyTrend, isSaturating, saturation } from './trend.js';

/** The trend statistics a detector gets as `ctx.stats`, so plugins need not import them. */
export interface StatsHelpers {
  /** See {@link median}. */
  readonly median: typeof median;
  /** See {@link mad}. */
  readonly mad: typeof mad;
  /** See {@link robustSlope}. */
  readonly robustSlope: typeof robustSlope;
  /** See {@link monotonicTrend}. */
  readonly monotonicTrend: typeof monotonicTrend;
  /** See {@link saturation}. */
  readonly saturation: typeof saturation;
  /** See {@link isSaturating}. */
  readonly isSaturating: typeof isSaturating;
  /** See {@link classifyTrend}. */
  readonly classifyTrend: typeof classifyTrend;
}

/**
 * Every trend statistic in one frozen object: what `DetectorContext.stats` holds.
 *
 * @example
 * ```ts
 * import { stats } from '@leakkit/core';
 * stats.classifyTrend([1, 2, 3, 4, 5, 6, 7, 8]).verdict;  // 'leak'
 * ```
 */
export const stats: StatsHelpers = Object.freeze({
  median,
  mad,
  robustSlope,
  monotonicTrend,
  saturation,
  isSaturating,
  classifyTrend,
});
