import type { Finding } from '../detect/types.js';
import { LeakkitError } from '../errors.js';
import type { ReportOptions } from './report.js';
import { formatBoundedReport } from './report.js';
import type { BoundedResult } from './types.js';

/**
 * What `assertBounded` throws when the function under test is not bounded: a `LeakkitError` with
 * code `ERR_LEAKKIT_NOT_BOUNDED` whose message is the rendered report (what grows, where it is
 * allocated, how fast, what to do), and the whole result for programmatic use.
 *
 * @example
 * ```ts
 * try {
 *   await assertBounded(handler);
 * } catch (error) {
 *   if (error instanceof LeakError) console.log(error.findings[0]?.path);
 *   throw error;
 * }
 * ```
 */
export class LeakError extends LeakkitError {
  override readonly name: string = 'LeakError';
  /** The check's full result. */
  readonly result: BoundedResult;

  constructor(result: BoundedResult, options: ReportOptions = {}) {
    super('ERR_LEAKKIT_NOT_BOUNDED', formatBoundedReport(result, options));
    this.result = result;
  }

  /** The findings that made the check fail (and any warnings). */
  get findings(): Finding[] {
    return this.result.findings;
  }
}
