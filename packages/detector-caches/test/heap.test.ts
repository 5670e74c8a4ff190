import type { Detector, Finding } from '@leakkit/core';
import { createDetectorContext, GaugeHistory, runDetectors } from '@leakkit/core';
import { findGrowth } from '@leakkit/core/heap';
import { checkBounded, formatBoundedReport } from '@leakkit/core/testing';
import { caches } from '@leakkit/detector-caches';
import { beforeAll, describe, expect, it } from 'vitest';
import { receiverOf } from '../src/patterns.js';
import type { Series } from './fixtures/series.js';
import { fixturePath, heapContext, snapshotSeries } from './fixtures/series.js';

// Six snapshots per program, 200 iterations of its work between two of them.
const STEPS = 6;
const series: Record<string, Series> = {};

beforeAll(async () => {
  // Two children at a time: the machine has two cores.
  const [leaks, bounded] = await Promise.all([
    snapshotSeries('leaks.cjs', STEPS),
    snapshotSeries('bounded.cjs', STEPS),
  ]);
  series.leaks = leaks;
  series.bounded = bounded;
  series.leaksNoNumbers = await snapshotSeries('leaks.cjs', STEPS, ['--no-numbers']);
  // Three child processes of six snapshots: seconds on a quiet machine, more on a busy one.
}, 120_000);

async function check(s: Series, detector: Detector = caches(), iterations = true): Promise<Finding[]> {
  const { findings, failures } = await runDetectors([detector], heapContext(s, { iterations }));
  expect(failures).toEqual([]);
  return findings;
}

function byPath(findings: Finding[]): Record<string, Finding> {
  return Object.fromEntries(findings.map((f) => [f.path, f]));
}

const LEAKS = fixturePath('leaks.cjs');

describe('caches() on heap graphs', () => {
  it('names every growing collection of the leaking program, by path, and nothing else', async () => {
    const findings = await check(series.leaks!);
    expect(findings.map((f) => f.path).sort()).toEqual([
      'Registry.handlers',
      'app.state.sessions.alice.history',
      'leaks.cjs › auditLog',
      'leaks.cjs › byUrl',
      'leaks.cjs › memoize() › cache',
      'leaks.cjs › responses.entries',
      'leaks.cjs › seenIds',
      'leaks.cjs › sessionCache',
      'leaks.cjs › startedAt',
    ]);
    for (const f of findings) {
      expect(f.id).toBe(`caches:${f.path}`);
      expect(f.detector).toBe('caches');
      expect(f.severity).toBe('leak');
      expect(f.confidence).toBeGreaterThanOrEqual(0.9);
      expect(f.growth.count).toBe(f.path === 'leaks.cjs › memoize() › cache' ? 2400 : 1200);
      expect(f.growth.bytesPerIteration).toBeGreaterThan(30);
    }
  });

  it('flags an unbounded Map with its declaration line and advice to delete or bound it', async () => {
    const f = byPath(await check(series.leaks!))['leaks.cjs › sessionCache']!;
    expect(f.site).toEqual({ file: LEAKS, line: 6 });
    expect(f.growth.objectsPerIteration).toBe(1);
    expect(f.evidence).toMatchObject({ pattern: 'unbounded', kind: 'map', keys: 'string' });
    expect(f.title).toBe('Map `leaks.cjs › sessionCache` grows by 1 entry per iteration (1,200 entries now)');
    expect(f.advice).toBe(
      'Map `leaks.cjs › sessionCache` grows by 1 entry per iteration and is never deleted from: delete entries when the work they belong to ends (`sessionCache.delete(key)`), or bound it (an LRU with `max`).',
    );
  });

  it('tells a Map keyed by objects to be a WeakMap', async () => {
    const f = byPath(await check(series.leaks!))['leaks.cjs › startedAt']!;
    expect(f.site).toEqual({ file: LEAKS, line: 12 });
    expect(f.evidence).toMatchObject({ pattern: 'object-keys', keys: 'object' });
    expect(f.advice).toMatch(/^Keyed by objects: use a WeakMap so entries die with their keys\./);
  });

  it('recognises memoisation in a function scope, summing the caches of every memoised function', async () => {
    const f = byPath(await check(series.leaks!))['leaks.cjs › memoize() › cache']!;
    // `const cache = new Map()` inside memoize(), used by render and format.
    expect(f.site).toEqual({ file: LEAKS, line: 16 });
    expect(f.evidence).toMatchObject({
      pattern: 'memo',
      instances: 2,
      counts: [400, 800, 1200, 1600, 2000, 2400],
    });
    expect(f.growth.objectsPerIteration).toBe(2);
    expect(f.title).toContain('2 instances');
    expect(f.advice).toMatch(
      /^Memoisation keyed by unbounded input: .*Bound it \(an LRU with `max`\), or key it by a bounded domain/,
    );
  });

  it('reads the cap of a cache whose eviction does not evict', async () => {
    const f = byPath(await check(series.leaks!))['leaks.cjs › responses.entries']!;
    // `this.entries = new Map()` in the constructor of BoundedCache.
    expect(f.site).toEqual({ file: LEAKS, line: 29 });
    expect(f.evidence).toMatchObject({ pattern: 'cap-not-enforced', cap: { name: 'max', value: 100 } });
    expect(f.advice).toMatch(/^The cache's cap \(`max = 100`\) is not enforced: it holds 1,200 entries/);
  });

  it('names nested growth at the inner array, and module-scope arrays, Sets and objects', async () => {
    const by = byPath(await check(series.leaks!));
    const history = by['app.state.sessions.alice.history']!;
    expect(history.evidence).toMatchObject({ pattern: 'unbounded', kind: 'array' });
    // A global has no module: the path is all there is.
    expect(history.site).toBeUndefined();
    expect(by['app.state.sessions']).toBeUndefined();
    expect(by['leaks.cjs › auditLog']!.site).toEqual({ file: LEAKS, line: 42 });
    expect(by['leaks.cjs › auditLog']!.advice).toContain('never trimmed');
    expect(by['leaks.cjs › seenIds']!.site).toEqual({ file: LEAKS, line: 43 });
    expect(by['leaks.cjs › seenIds']!.evidence).toMatchObject({ kind: 'set', pattern: 'unbounded' });
    expect(by['leaks.cjs › byUrl']!.site).toEqual({ file: LEAKS, line: 44 });
    expect(by['leaks.cjs › byUrl']!.advice).toContain('`delete byUrl[key]`');
    // A class's static object is a registry, not a memo on a function.
    expect(by['Registry.handlers']!.evidence).toMatchObject({ kind: 'object', pattern: 'unbounded' });
  });

  it('tells listeners added and never removed to be removed, naming the emitter and the event', async () => {
    const findings = await check(await snapshotSeries('listeners.cjs', STEPS));
    const f = findings.find((x) => x.path === 'listeners.cjs › bus._events["order:update"]');
    expect(f, JSON.stringify(findings.map((x) => x.path))).toBeDefined();
    expect(f!.severity).toBe('leak');
    expect(f!.evidence).toMatchObject({ pattern: 'listeners' });
    expect(f!.title).toMatch(
      /^Listeners on `bus` for "order:update" pile up: 1 listener more per iteration \(1,\d00 listeners now\)$/,
    );
    expect(f!.advice).toContain('`bus.off(event, listener)`');
    // The site is where the listener is written, not where the emitter was made.
    const file = fixturePath('listeners.cjs');
    expect(f!.site).toEqual({ file, line: 11 });
    const paid = findings.find((x) => x.path === 'listeners.cjs › payments._events.paid');
    expect(paid, JSON.stringify(findings.map((x) => x.path))).toBeDefined();
    expect(paid!.evidence).toMatchObject({ pattern: 'listeners' });
    expect(paid!.site).toEqual({ file, line: 29 });
    // events.once(jobs, name) per job: a name per job and an 'error' listener each, one leak.
    const jobs = findings.filter((x) => x.path?.startsWith('listeners.cjs › jobs.'));
    expect(jobs).toHaveLength(1);
    const piles = ['listeners.cjs › jobs._events', 'listeners.cjs › jobs._events.error'];
    expect(piles).toContain(jobs[0]!.path);
    expect(jobs[0]!.title).toMatch(
      /^Listeners on `jobs`( for `error`)? pile up: 1 (event name|listener) more per iteration/,
    );
    expect(jobs[0]!.evidence).toMatchObject({ alsoEvents: piles.filter((p) => p !== jobs[0]!.path) });
  });

  it('writes advice for an inner collection on its lookup, a hidden key as `key`', () => {
    expect(receiverOf('visitors.cjs › visitorsByRoute.get(<string #2a0c97>)')).toBe(
      'visitorsByRoute.get(key)',
    );
    expect(receiverOf('timers.get("db")')).toBe('timers.get("db")');
    expect(receiverOf('limiter.hits.get(*)')).toBe('limiter.hits.get(key)');
    expect(receiverOf('app.cjs › queues[*]')).toBe('queues[i]');
    expect(receiverOf('app.cjs › queues[3]')).toBe('queues[3]');
    expect(receiverOf('app.cjs › app.state.handlers')).toBe('handlers');
    expect(receiverOf('TimerMetrics.timers')).toBe('timers');
  });

  it('reports nothing for the bounded twin, though heap growth sees two of its caches grow', async () => {
    const s = series.bounded!;
    // The cache filling towards its large cap (1,200 of 100,000) and the lookup filling a domain of
    // 400 keys: both grow at every step, so findGrowth lists them. (Their paths are not asserted
    // here: V8's compiler sometimes holds them through a root, which caches() reads around.)
    const growth = findGrowth(s.graphs);
    expect(growth.map((g) => g.counts[g.counts.length - 1]!).sort((a, b) => a - b)).toEqual([
      expect.any(Number),
      1200,
    ]);
    expect(growth.every((g) => g.kind === 'map')).toBe(true);
    expect(await check(s)).toEqual([]);
  });

  it('without numbers in the snapshot, still names every leak; a cap it cannot read makes a plain growth finding', async () => {
    const by = byPath(await check(series.leaksNoNumbers!));
    expect(Object.keys(by).sort()).toEqual((await check(series.leaks!)).map((f) => f.path).sort());
    expect(by['leaks.cjs › responses.entries']!.evidence).toMatchObject({ pattern: 'unbounded' });
    expect(by['leaks.cjs › responses.entries']!.evidence).not.toHaveProperty('cap');
  });

  it('speaks per snapshot when no iterations are counted', async () => {
    const f = byPath(await check(series.leaks!, caches(), false))['leaks.cjs › sessionCache']!;
    expect(f.growth).not.toHaveProperty('objectsPerIteration');
    expect(f.growth.count).toBe(1200);
    expect(f.title).toBe(
      'Map `leaks.cjs › sessionCache` grows by 200 entries per snapshot (1,200 entries now)',
    );
  });

  it('takes over the generic growth finding for the same path, and yields to timers()', async () => {
    const s = series.leaks!;
    const generic: Detector = {
      name: 'growth',
      priority: 0,
      check: () => [
        {
          id: 'growth:leaks.cjs › sessionCache',
          detector: 'growth',
          severity: 'leak',
          title: 'grows',
          path: 'leaks.cjs › sessionCache',
          growth: { objectsPerIteration: 1 },
          confidence: 0.9,
          advice: 'look at it',
        },
      ],
    };
    const timers: Detector = {
      name: 'timers',
      priority: 20,
      check: () => [
        {
          id: 'timers:leaks.cjs › auditLog',
          detector: 'timers',
          severity: 'leak',
          title: 'timing registry',
          path: 'leaks.cjs › auditLog',
          growth: { objectsPerIteration: 1 },
          confidence: 0.9,
          advice: 'clear it',
        },
      ],
    };
    const { findings } = await runDetectors([generic, caches(), timers], heapContext(s));
    const by = byPath(findings);
    expect(by['leaks.cjs › sessionCache']!.detector).toBe('caches');
    expect(by['leaks.cjs › sessionCache']!.evidence?.alsoReportedBy).toEqual([
      { detector: 'growth', id: 'growth:leaks.cjs › sessionCache' },
    ]);
    expect(by['leaks.cjs › auditLog']!.detector).toBe('timers');
    expect(findings.filter((f) => f.path === 'leaks.cjs › auditLog')).toHaveLength(1);
  });

  it('leaves out ignored paths and points sites at the module only when asked not to read sources', async () => {
    const s = series.leaks!;
    const findings = await check(
      s,
      caches({ ignore: ['leaks.cjs › memoize()', /^app\./], sourceLines: false }),
    );
    const paths = findings.map((f) => f.path);
    expect(paths).not.toContain('leaks.cjs › memoize() › cache');
    expect(paths).not.toContain('app.state.sessions.alice.history');
    expect(paths).toContain('leaks.cjs › sessionCache');
    // Without reading the source, a module-scope variable has a file but no line: no site.
    expect(byPath(findings)['leaks.cjs › sessionCache']!.site).toBeUndefined();
  });

  it('reads a slowing series as levelling off, unless it is most of a heap the monitor sees rising', async () => {
    const s = series.leaks!;
    const base = heapContext(s).heap!;
    // Counts a monitor's four captures give when the route mix moves away from the leaking route.
    const slowing = base.growth.map((g) =>
      g.path === 'leaks.cjs › sessionCache' ? { ...g, counts: [1583, 1881, 1992, 2032], share: 0.85 } : g,
    );
    const withGauges = (heapAfterGC: (i: number) => number) => {
      const gauges = new GaugeHistory();
      for (let i = 0; i < 60; i++) gauges.record(i * 1000, { heapAfterGC: heapAfterGC(i) });
      return createDetectorContext({ gauges, heap: { ...base, growth: slowing } });
    };
    const pathsOf = async (ctx: ReturnType<typeof withGauges>) =>
      (await runDetectors([caches()], ctx)).findings.map((f) => f.path);
    // No heap gauge (checkBounded) or a flat heap: a cache that filled up, not reported.
    expect(
      await pathsOf(
        createDetectorContext({ gauges: new GaugeHistory(), heap: { ...base, growth: slowing } }),
      ),
    ).not.toContain('leaks.cjs › sessionCache');
    expect(await pathsOf(withGauges(() => 40e6))).not.toContain('leaks.cjs › sessionCache');
    // A heap rising 300 KB a second with wobbles: the collection is most of that growth.
    const rising = await runDetectors(
      [caches()],
      withGauges((i) => 20e6 + i * 3e5 + (i % 3) * 4e4),
    );
    const f = rising.findings.find((x) => x.path === 'leaks.cjs › sessionCache');
    expect(f, JSON.stringify(rising.findings.map((x) => x.path))).toBeDefined();
    expect(f!.severity).toBe('leak');
  });

  it("names a collection found through one of V8's roots by its path in an earlier graph", async () => {
    const s = series.leaks!;
    const ctx = heapContext(s);
    const heap = ctx.heap!;
    // What findGrowth returns when V8's compiler held the Map through a handle at the last capture.
    const doctored = heap.growth.map((g) =>
      g.path === 'leaks.cjs › sessionCache'
        ? {
            ...g,
            path: `(Strong roots) › <Map @${g.nodeId}>`,
            steps: [
              { nodeId: 0, edge: '', edgeType: '', name: '(Strong roots)', kind: 'synthetic' as const },
              g.steps[g.steps.length - 1]!,
            ],
          }
        : g,
    );
    const { findings } = await runDetectors([caches()], { ...ctx, heap: { ...heap, growth: doctored } });
    const f = byPath(findings)['leaks.cjs › sessionCache']!;
    expect(f.site).toEqual({ file: LEAKS, line: 6 });
    expect(findings.some((x) => x.path!.startsWith('('))).toBe(false);
  });

  it('asks for heap graphs and returns nothing without them; a failure reaches runDetectors', async () => {
    const detector = caches();
    expect(detector.needs).toEqual({ gauges: true, heapGraphs: true });
    expect(detector.priority).toBe(10);
    expect(await detector.check(createDetectorContext())).toEqual([]);
    const [a, b] = series.leaks!.graphs;
    const ctx = createDetectorContext({ gauges: new GaugeHistory(), heap: { graphs: [a!, b!], growth: [] } });
    expect(await detector.check(ctx)).toEqual([]);
    const broken = createDetectorContext({
      heap: { graphs: series.leaks!.graphs, growth: [null] as never },
    });
    // Broken evidence is a bug to report, not a silent "no finding": runDetectors catches the throw.
    expect(() => detector.check(broken)).toThrow();
    const run = await runDetectors([detector], broken);
    expect(run.findings).toEqual([]);
    expect(run.failures.map((f) => [f.detector, f.phase])).toEqual([['caches', 'check']]);
  });
});

describe('caches() under checkBounded', () => {
  it("does not report leakkit's own list of the handles a leak leaves", async () => {
    const stops: (() => void)[] = [];
    const poll = (i: number) => {
      const state = { i, seen: new Array(20).fill(i) };
      const t = setInterval(() => state.seen.length, 60_000);
      stops.push(() => clearInterval(t));
    };
    try {
      let i = 0;
      const result = await checkBounded(() => poll(i++), { detectors: [caches()], timeout: '4m' });
      const report = formatBoundedReport(result, { color: false });
      expect(result.bounded, report).toBe(false);
      // The program's own handles are the finding; leakkit's records of them are not another one.
      const own = result.findings.filter((f) => /packages\/core\/(src|dist)\//.test(`${f.site?.file ?? ''}`));
      expect(own, report).toEqual([]);
      expect(
        result.findings.some((f) => /watchHandles/.test(f.path ?? '')),
        report,
      ).toBe(false);
    } finally {
      for (const stop of stops) stop();
    }
  }, 300_000);
});
