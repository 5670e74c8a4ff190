import { performance } from 'node:perf_hooks';
import { timers } from '@leakkit/detector-timers';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { load, markerLine, runWorkload, timelineFixture } from './helpers.js';

type Release = () => void;
type Kind = 'interval' | 'unrefInterval' | 'longTimeout' | 'mark' | 'measure' | 'consoleTime';
const make = load<Record<Kind, () => Release>>('workload.cjs');
const file = timelineFixture('workload.cjs');

const expectedId: Record<Kind, () => string> = {
  interval: () => `timers:timeout:${file}:${markerLine(file, '@site interval')}`,
  unrefInterval: () => `timers:timeout:${file}:${markerLine(file, '@site unref-interval')}`,
  longTimeout: () => `timers:timeout:${file}:${markerLine(file, '@site long-timeout')}`,
  mark: () => 'timers:perf:mark',
  measure: () => 'timers:perf:measure',
  consoleTime: () => 'timers:console.time',
};

const iterations = fc.integer({ min: 16, max: 40 });
const loadOf = (n: number) =>
  fc.record({
    kind: fc.constantFrom<Kind>('interval', 'unrefInterval', 'longTimeout', 'mark', 'measure', 'consoleTime'),
    rate: fc.integer({ min: 1, max: 3 }),
    leaking: fc.boolean(),
    lag: fc.integer({ min: 0, max: Math.floor(n / 4) }),
    pool: fc.integer({ min: 0, max: 12 }),
  });
const scenario = iterations.chain((n) =>
  fc.record({
    n: fc.constant(n),
    loads: fc.uniqueArray(loadOf(n), { minLength: 1, maxLength: 3, selector: (l) => l.kind }),
    // Iterations over which bounded pools fill.
    warmup: fc.integer({ min: 1, max: Math.floor(n / 4) }),
  }),
);

beforeEach(() => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe('timers() properties: timers, timeline, console.time', () => {
  it('flags exactly the loads that leak (≥ 1 per iteration), at their site, and never a bounded one', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ n, loads, warmup }) => {
        performance.clearMarks();
        performance.clearMeasures();
        const pending: { at: number; release: Release }[] = [];
        const kept: Release[] = [];
        try {
          const { findings } = await runWorkload(timers({ registries: false }), n, (i) => {
            for (const l of loads) {
              for (let r = 0; r < l.rate; r++) {
                const release = make[l.kind]();
                if (l.leaking) kept.push(release);
                else if (i <= warmup && kept.length < l.pool) kept.push(release);
                else pending.push({ at: i + l.lag, release });
              }
            }
            for (let k = pending.length - 1; k >= 0; k--) {
              if (pending[k]!.at <= i) pending.splice(k, 1)[0]!.release();
            }
          });
          const expected = loads.filter((l) => l.leaking).map((l) => expectedId[l.kind]());
          expect(findings.map((f) => f.id).sort()).toEqual(expected.sort());
          for (const l of loads.filter((x) => x.leaking)) {
            const f = findings.find((x) => x.id === expectedId[l.kind]())!;
            expect(f.growth.objectsPerIteration).toBeCloseTo(l.rate, 6);
          }
        } finally {
          for (const release of kept) release();
          for (const p of pending) p.release();
        }
      }),
      { seed: Number(process.env.SEED ?? 20241125), numRuns: Number(process.env.RUNS ?? 60) },
    );
  });
});
