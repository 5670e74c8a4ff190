import { LeakkitError } from '@leakkit/core';

/** The LeakkitError `fn` throws; anything else it throws is rethrown, and not throwing fails. */
export function caught(fn: () => unknown): LeakkitError {
  try {
    fn();
  } catch (error) {
    if (error instanceof LeakkitError) return error;
    throw error;
  }
  throw new Error('expected a LeakkitError');
}

/** {@link caught} for a function that returns a promise. */
export async function caughtAsync(fn: () => Promise<unknown>): Promise<LeakkitError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof LeakkitError) return error;
    throw error;
  }
  throw new Error('expected a LeakkitError');
}
