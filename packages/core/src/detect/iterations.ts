import { median } from '../stats/robust.js';
import type { DetectorContext } from './types.js';

/**
 * Calls of the work between two steps of the evidence, to turn growth per step into growth per
 * call. Under `checkBounded` the session says how many calls separate its heap graphs
 * (`ctx.heap.iterations`: heap-size rounds and heap-graph rounds differ in size); otherwise it is
 * the median step of the `iterations` gauge (cumulative calls, recorded by whoever drives the
 * work). `undefined` when neither is known, as in a live monitor, whose steps are spaced by time.
 *
 * @example
 * ```ts
 * import { iterationsPerStep, type Detector } from '@leakkit/core';
 * const perCall: Detector = {
 *   name: 'per-call',
 *   needs: { heapGraphs: true },
 *   check(ctx) {
 *     const calls = iterationsPerStep(ctx); // e.g. 500 under checkBounded
 *     return [];
 *   },
 * };
 * ```
 */
export function iterationsPerStep(ctx: DetectorContext): number | undefined {
  const between = ctx.heap?.iterations;
  if (between !== undefined && between.length > 0) {
    const m = median(between);
    if (m > 0) return m;
  }
  const it = ctx.gauges.series('iterations');
  if (it === undefined) return undefined;
  const steps: number[] = [];
  let previous = Number.NaN;
  for (const x of it) {
    if (!Number.isFinite(x)) continue;
    if (Number.isFinite(previous) && x > previous) steps.push(x - previous);
    previous = x;
  }
  return steps.length === 0 ? undefined : median(steps);
}
