import { checkBounded, formatBoundedReport } from '@leakkit/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heapSizesMove } from '../src/testing/check.js';

// Random workloads: a mix of bounded work (garbage, capped rings, capped maps, strings that are
// reset, values replaced in place), and for the leaking ones one leak of a random kind keeping one
// to three objects per call. Bounded mixes must never fail; every leak must.
fc.configureGlobal({ seed: 20_251_125, numRuns: 4, endOnFailure: true });

const quick = { iterations: 300 } as const;

type Bounded =
  | { kind: 'garbage'; objects: number; props: number }
  | { kind: 'ring'; cap: number }
  | { kind: 'capped-map'; cap: number }
  | { kind: 'string'; reset: number }
  | { kind: 'replace' };

type Leak =
  | { kind: 'push'; perCall: number }
  | { kind: 'map'; perCall: number }
  | { kind: 'set' }
  | { kind: 'chain' }
  | { kind: 'props' };

const bounded: fc.Arbitrary<Bounded> = fc.oneof(
  fc.record({
    kind: fc.constant('garbage' as const),
    objects: fc.integer({ min: 1, max: 50 }),
    props: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({ kind: fc.constant('ring' as const), cap: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('capped-map' as const), cap: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('string' as const), reset: fc.integer({ min: 10, max: 2000 }) }),
  fc.record({ kind: fc.constant('replace' as const) }),
);

const leak: fc.Arbitrary<Leak> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), perCall: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('map' as const), perCall: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('set' as const) }),
  fc.record({ kind: fc.constant('chain' as const) }),
  fc.record({ kind: fc.constant('props' as const) }),
);

/** A fresh workload: its state lives in this call's scope, so every run starts clean. */
function makeWorkload(parts: readonly Bounded[], leaking: Leak | undefined): (i: number) => unknown {
  const rings = parts.map(() => [] as object[]);
  const maps = parts.map(() => new Map<string, object>());
  const strings = parts.map(() => '');
  const slots = parts.map(() => ({ value: {} as object }));
  const kept: object[] = [];
  const index = new Map<string, object>();
  const names = new Set<string>();
  const registry: Record<string, object> = {};
  let chain: () => number = () => 0;
  let sink = 0;
  return (i: number) => {
    parts.forEach((p, k) => {
      if (p.kind === 'garbage') {
        for (let o = 0; o < p.objects; o++) {
          const obj: Record<string, number> = {};
          for (let q = 0; q < p.props; q++) obj[`p${q}`] = i + q;
          sink += Object.keys(obj).length;
        }
      } else if (p.kind === 'ring') {
        rings[k]!.push({ i });
        if (rings[k]!.length > p.cap) rings[k]!.shift();
      } else if (p.kind === 'capped-map') {
        maps[k]!.set(`k${i}`, { i });
        if (maps[k]!.size > p.cap) maps[k]!.delete(maps[k]!.keys().next().value!);
      } else if (p.kind === 'string') {
        strings[k] += `line ${i}\n`;
        if (strings[k]!.length > p.reset) strings[k] = '';
      } else slots[k]!.value = { i };
    });
    if (leaking === undefined) return sink;
    if (leaking.kind === 'push') for (let c = 0; c < leaking.perCall; c++) kept.push({ i, c });
    else if (leaking.kind === 'map') for (let c = 0; c < leaking.perCall; c++) index.set(`${i}:${c}`, { i });
    else if (leaking.kind === 'set') names.add(`user-${i}`);
    else if (leaking.kind === 'props') registry[`job-${i}`] = { i };
    else {
      const previous = chain;
      chain = () => previous() + 1;
    }
    return sink;
  };
}

describe('checkBounded() properties', () => {
  it('never fails a random bounded workload', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(bounded, { minLength: 1, maxLength: 3 }), async (parts) => {
        const result = await checkBounded(makeWorkload(parts, undefined), quick);
        expect(result.findings, formatBoundedReport(result, { color: false })).toEqual([]);
        expect(result.bounded).toBe(true);
      }),
    );
  });

  it('always fails a random leak of at least one object per call, hidden in bounded work', {
    timeout: 600_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(bounded, { maxLength: 2 }), leak, async (parts, leaking) => {
        const result = await checkBounded(makeWorkload(parts, leaking), quick);
        const report = formatBoundedReport(result, { color: false });
        expect(result.bounded, report).toBe(false);
        const objects = result.findings.reduce((t, f) => t + (f.growth.objectsPerIteration ?? 0), 0);
        // Counted by id, round by round, the count can miss an object or two of a round: 1 per
        // call read once as 0.993 (Node 24, CI; why those two were not counted is not known). The
        // leak is found either way; its size is asked within 5%.
        expect(objects, report).toBeGreaterThanOrEqual(0.95);
        expect(
          result.findings.every((f) => f.site !== undefined && f.path !== undefined),
          report,
        ).toBe(true);
      }),
    );
  });
});

// The heap-size screen alone, on readings shaped like the measured ones: flat to a KB or two after
// full GCs, and now and then a reading 50-300 KB high that the next one does not keep.
describe('the heap-size screen', () => {
  const readings = 7; // the baseline and six rounds
  const spikes = (max: number, where: number) =>
    fc.uniqueArray(
      fc.record({
        at: fc.integer({ min: 0, max: where - 1 }),
        bytes: fc.integer({ min: 50_000, max: 300_000 }),
      }),
      { maxLength: max, selector: (s) => s.at },
    );
  const noise = fc.array(fc.integer({ min: -1024, max: 1024 }), { minLength: readings, maxLength: readings });
  const series = (perRound: number, noise: number[], high: { at: number; bytes: number }[]) => {
    const heap = noise.map((n, i) => 6_300_000 + i * perRound + n);
    for (const h of high) heap[h.at]! += h.bytes;
    return heap;
  };

  it('sees growth of 4 KiB a round or more, whichever three readings read high', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4096, max: 64 * 1024 }),
        noise,
        spikes(3, readings),
        (growth, n, high) => {
          expect(heapSizesMove(series(growth, n, high), 1000).moves).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('calls flat readings flat when the last one is not high', () => {
    fc.assert(
      fc.property(noise, spikes(2, readings - 1), (n, high) => {
        expect(heapSizesMove(series(0, n, high), 1000).moves).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
