import { checkBounded } from './check.js';
import { LeakError } from './error.js';
import type { BoundedFunction, BoundedResult, CheckBoundedOptions } from './types.js';

/**
 * {@link checkBounded}, throwing when the function is not bounded: the error is a {@link LeakError}
 * whose message is the report, rendered for a terminal. Resolves with the result otherwise (warnings
 * and hidden findings are in it).
 *
 * @param fn - Called once per iteration with the iteration's index; may return a promise.
 * @param options - See `CheckBoundedOptions`.
 * @throws LeakError (`ERR_LEAKKIT_NOT_BOUNDED`) when a leak remains; the errors of `checkBounded`
 *   for misuse, a throwing `fn` or a timeout.
 *
 * @example
 * ```ts
 * import { assertBounded } from '@leakkit/core/testing';
 * import { test } from 'vitest';
 *
 * test('predict stays bounded', async () => {
 *   await assertBounded((i) => predict(request(i)));
 * });
 * ```
 */
export async function assertBounded(
  fn: BoundedFunction,
  options?: CheckBoundedOptions,
): Promise<BoundedResult> {
  const result = await checkBounded(fn, options);
  if (!result.bounded) throw new LeakError(result);
  return result;
}
