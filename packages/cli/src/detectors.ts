import type { Detector } from '@leakkit/core';
import * as cachesPackage from '@leakkit/detector-caches';
import * as timersPackage from '@leakkit/detector-timers';

/**
 * The pattern detectors bundled with the CLI; `analyze` runs them after its generic growth
 * finding, and they take over the findings about paths they recognise (they rank higher).
 */
export function bundledDetectors(): Detector[] {
  const detectors: Detector[] = [];
  for (const [mod, factory] of [
    [timersPackage, 'timers'],
    [cachesPackage, 'caches'],
  ] as const) {
    const make = (mod as Record<string, unknown>)[factory];
    if (typeof make === 'function') detectors.push((make as () => Detector)());
  }
  return detectors;
}
