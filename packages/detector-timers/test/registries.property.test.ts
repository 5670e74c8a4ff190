import { timers } from '@leakkit/detector-timers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heapContext, snapshotSeries } from './fixtures/registries/series.js';

type Shape = 'unique-map' | 'unique-object' | 'per-key-map' | 'list-numbers' | 'list-records';

interface Workload {
  name: string;
  shape: Shape;
  rate: number;
  keys: number;
  bounded: boolean;
  strategy?: 'cap' | 'clear' | 'fixed';
  cap?: number;
}

const PER_STEP = 300;
// Clearing every `cap` calls with `cap` dividing the calls per step: the bounded twin looks the same
// at every snapshot (a period that does not divide it would alias into slow apparent growth).
const DIVISORS = [10, 20, 25, 50, 60, 75, 100, 150, 300];
const TIMING = [
  'timers',
  'timings',
  'durations',
  'latencies',
  'histograms',
  'dbTimings',
  'requestTimes',
  'elapsed',
];
const OTHER = ['counts', 'scores', 'sizes', 'requestLog', 'calls'];

// Records carry a duration field and are timings whatever their name; numbers need a timing name.
const recognisable = (w: Workload) =>
  w.shape === 'unique-map' || w.shape === 'list-records' || TIMING.some((t) => w.name.startsWith(t));

const workload = fc
  .record({
    shape: fc.constantFrom<Shape>(
      'unique-map',
      'unique-object',
      'per-key-map',
      'list-numbers',
      'list-records',
    ),
    timingName: fc.boolean(),
    word: fc.nat(),
    rate: fc.integer({ min: 1, max: 3 }),
    keys: fc.integer({ min: 1, max: 3 }),
    bounded: fc.boolean(),
    strategy: fc.constantFrom('cap', 'clear', 'fixed'),
    cap: fc.integer({ min: 1, max: 300 }),
    divisor: fc.constantFrom(...DIVISORS),
  })
  .map(({ shape, timingName, word, rate, keys, bounded, strategy, cap, divisor }) => {
    const words = timingName ? TIMING : OTHER;
    const w: Workload = { name: words[word % words.length]!, shape, rate, keys, bounded };
    if (bounded) {
      // Running totals only make sense for lists per key.
      w.strategy = strategy === 'fixed' && shape !== 'per-key-map' ? 'cap' : strategy;
      w.cap = w.strategy === 'clear' ? divisor : cap;
    }
    return w;
  });

const spec = fc
  .record({
    workloads: fc.array(workload, { minLength: 2, maxLength: 5 }),
    extraWarmup: fc.integer({ min: 0, max: 200 }),
  })
  .map(({ workloads, extraWarmup }) => {
    const named = workloads.map((w, i) => ({ ...w, name: `${w.name}${i}` }));
    // Bounded ones fill to their cap before the first snapshot.
    const warmup = Math.max(
      0,
      ...named.filter((w) => w.bounded).map((w) => Math.ceil((w.cap ?? 0) / w.rate)),
    );
    return { perStep: PER_STEP, warmup: warmup + extraWarmup, workloads: named };
  });

function expectedPath(w: Workload): RegExp {
  const base = `workload\\.cjs › registries\\.${w.name}`;
  return new RegExp(w.shape === 'per-key-map' ? `^${base}\\.get\\(<string #[0-9a-f]{6}>\\)$` : `^${base}$`);
}

const registriesOnly = () => timers({ timeouts: false, performance: false, consoleTime: false });

describe('timers() properties: timing registries in heap graphs', () => {
  it('names each leaking timing registry (≥ 1 entry per iteration) and no bounded one', async () => {
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        // Five snapshots: lists of numbers show only in their backing store, which grows by half its
        // size, so a list already long after the warm-up needs four steps to grow at two of them.
        const series = await snapshotSeries('workload.cjs', 5, 'leak', s);
        const findings = await registriesOnly().check(heapContext(series));
        const paths = findings.map((f) => f.path!);
        for (const w of s.workloads) {
          const mine = paths.filter((p) => expectedPath(w).test(p));
          if (!w.bounded && recognisable(w)) {
            expect(mine.length, `${w.name} (${w.shape}) should be named`).toBeGreaterThan(0);
            if (w.shape === 'per-key-map') expect(mine).toHaveLength(w.keys);
          } else expect(mine, `${w.name} (${w.shape}, bounded: ${w.bounded})`).toEqual([]);
        }
        // Nothing else: every finding is about one of the workloads.
        for (const p of paths)
          expect(
            s.workloads.some((w) => expectedPath(w).test(p)),
            p,
          ).toBe(true);
        for (const f of findings) expect(f.growth.objectsPerIteration).toBeGreaterThan(0.5);
      }),
      // SEED and RUNS explore further: `RUNS=25 SEED=99 npx vitest run <this file>`.
      { seed: Number(process.env.SEED ?? 7), numRuns: Number(process.env.RUNS ?? 4) },
    );
  }, 120_000);

  it('takes more timing names from the `names` option', async () => {
    const s = {
      perStep: PER_STEP,
      warmup: 0,
      workloads: [{ name: 'samples', shape: 'unique-object', rate: 1, keys: 1, bounded: false }],
    };
    const ctx = heapContext(await snapshotSeries('workload.cjs', 4, 'leak', s));
    expect(await registriesOnly().check(ctx)).toEqual([]);
    const findings = await timers({
      timeouts: false,
      performance: false,
      consoleTime: false,
      names: ['samples'],
    }).check(ctx);
    expect(findings.map((f) => f.path)).toEqual(['workload.cjs › registries.samples']);
  }, 120_000);
});
