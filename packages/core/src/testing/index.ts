export { LeakkitError } from '../errors.js';
export { assertBounded } from './assert.js';
export { checkBounded } from './check.js';
export { LeakError } from './error.js';
export type { ReportOptions } from './report.js';
export { formatBoundedReport } from './report.js';
export type {
  BoundedFunction,
  BoundedResult,
  BoundedRound,
  CheckBoundedOptions,
  IgnorePattern,
} from './types.js';
