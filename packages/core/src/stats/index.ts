export type { StatsHelpers } from './helpers.js';
export { stats } from './helpers.js';
export type { MonotonicTrend } from './mann-kendall.js';
export { monotonicTrend } from './mann-kendall.js';
export type { NumberSeries } from './robust.js';
export { mad, median } from './robust.js';
export type { RobustSlope, RobustSlopeOptions } from './slope.js';
export { robustSlope } from './slope.js';
export type {
  Saturation,
  SaturationOptions,
  TrendClassification,
  TrendOptions,
  TrendReason,
  TrendVerdict,
} from './trend.js';
export { classifyTrend, isSaturating, saturation } from './trend.js';
