import type { BoundedResult, CheckBoundedOptions } from '@leakkit/core/testing';
import { checkBounded, formatBoundedReport } from '@leakkit/core/testing';

/** The part of vitest's matcher context the matcher reads. */
interface MatcherContext {
  isNot: boolean;
}

/** What a vitest matcher returns. */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
  /** The check's full result, for tooling that inspects matcher results. */
  result?: BoundedResult;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'object') return Array.isArray(value) ? `array(${value.length})` : 'object';
  return String(value);
}

/**
 * The `toStayBounded` matcher: runs `checkBounded` on the received function and passes when it is
 * bounded. The failure message is leakkit's report, as `assertBounded` throws it: what grows
 * (path), where it is allocated (site), how fast, and what to do. Misuse (bad options, a function
 * that throws, a timeout) rejects with leakkit's error rather than failing the assertion.
 *
 * @param received - The function under test, called once per iteration with its index.
 * @param options - `checkBounded`'s options.
 * @returns A promise of the matcher result: `await` the assertion.
 *
 * @example
 * ```ts
 * import { toStayBounded } from '@leakkit/vitest';
 * import { expect, test } from 'vitest';
 *
 * expect.extend({ toStayBounded });
 *
 * test('predict stays bounded', async () => {
 *   await expect((i: number) => predict(request(i))).toStayBounded();
 * });
 * ```
 */
export async function toStayBounded(
  this: MatcherContext,
  received: unknown,
  options?: CheckBoundedOptions,
): Promise<MatcherResult> {
  if (typeof received !== 'function') {
    return {
      pass: false,
      message: () =>
        `expected a function (called once per iteration with its index) to stay bounded, got \`${describe(received)}\``,
    };
  }
  const result = await checkBounded(received as (i: number) => unknown, options);
  const report = formatBoundedReport(result);
  return {
    pass: result.bounded,
    message: () =>
      this.isNot ? `expected the function not to stay bounded, but it did\n\n${report}` : report,
    result,
  };
}

/** Every matcher of this package, for `expect.extend(leakkitMatchers)`. */
export const leakkitMatchers = { toStayBounded };
