import type { CheckBoundedOptions } from '@leakkit/core/testing';

/** The matchers `@leakkit/vitest` adds to `expect`. */
export interface LeakkitMatchers {
  /**
   * Runs the received function over and over (`checkBounded`) and fails with leakkit's report when
   * the memory, timers or handles it leaves behind grow with the calls. Returns a promise: `await`
   * it.
   *
   * @example
   * ```ts
   * await expect((i: number) => handle(request(i))).toStayBounded({ detectors: [caches()] });
   * await expect(leaky).not.toStayBounded();
   * ```
   */
  toStayBounded(options?: CheckBoundedOptions): Promise<void>;
}

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: vitest declares `Matchers<T = any>`; the augmentation must match it
  interface Matchers<T = any> extends LeakkitMatchers {}
}
