import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Detector, DetectorFailure, Finding, Severity } from '@leakkit/core';
import {
  createDetectorContext,
  evidenceNeeded,
  FindingStore,
  GaugeHistory,
  LeakkitError,
  runDetectors,
  setupDetectors,
  validateFinding,
} from '@leakkit/core';
import { describe, expect, it } from 'vitest';
import { listeners } from './fixtures/detectors/listeners-detector.js';

function finding(id: string, overrides: Partial<Finding> = {}): Finding {
  return {
    id,
    detector: 'test',
    severity: 'info',
    title: `${id} grows`,
    path: id,
    growth: { count: 1 },
    confidence: 0.5,
    advice: 'bound it',
    ...overrides,
  };
}

const returning = (name: string, ...findings: Finding[]): Detector => ({
  name,
  check: () => findings.map((f) => ({ ...f, detector: name })),
});

async function rejection(promise: Promise<unknown>): Promise<LeakkitError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof LeakkitError) return e;
    throw e;
  }
  throw new Error('did not reject');
}

describe('runDetectors()', () => {
  it('isolates a throwing, a rejecting and a hanging detector; the others still report', async () => {
    let signal: AbortSignal | undefined;
    const detectors: Detector[] = [
      {
        name: 'throws',
        check: () => {
          throw new TypeError('boom');
        },
      },
      { name: 'rejects', check: async () => Promise.reject(new Error('nope')) },
      {
        name: 'hangs',
        check: (ctx) => {
          signal = ctx.signal;
          return new Promise<Finding[]>(() => {});
        },
      },
      returning('good', finding('good:a')),
    ];
    const seen: DetectorFailure[] = [];
    const started = Date.now();
    const run = await runDetectors(detectors, createDetectorContext(), {
      timeout: 50,
      onError: (f) => seen.push(f),
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(run.findings.map((f) => f.id)).toEqual(['good:a']);
    expect(seen).toEqual(run.failures);
    expect(run.failures.map((f) => [f.detector, f.phase, f.error.code])).toEqual([
      ['throws', 'check', 'ERR_LEAKKIT_DETECTOR_FAILED'],
      ['rejects', 'check', 'ERR_LEAKKIT_DETECTOR_FAILED'],
      ['hangs', 'check', 'ERR_LEAKKIT_DETECTOR_TIMEOUT'],
    ]);
    expect(run.failures[0]!.error.message).toBe('Detector `throws` check() failed: boom');
    expect(run.failures[0]!.error.cause).toBeInstanceOf(TypeError);
    expect(run.failures[2]!.error.message).toBe('Detector `hangs` check did not settle within 50 ms');
    expect(signal?.aborted).toBe(true);
    expect(run.durations).toHaveLength(4);
  });

  it('survives an onError handler that throws', async () => {
    const bad: Detector = {
      name: 'bad',
      check: () => {
        throw new Error('x');
      },
    };
    const run = await runDetectors([bad, returning('good', finding('g'))], createDetectorContext(), {
      onError: () => {
        throw new Error('handler');
      },
    });
    expect(run.findings).toHaveLength(1);
    expect(run.failures).toHaveLength(1);
  });

  it('reports a malformed finding from a user detector and passes on the valid ones', async () => {
    const sloppy: Detector = {
      name: 'sloppy',
      check: () =>
        [
          finding('ok', { detector: 'sloppy' }),
          { ...finding('no-advice', { detector: 'sloppy' }), advice: '' },
          { ...finding('sure', { detector: 'sloppy' }), confidence: 2 },
          { ...finding('nowhere', { detector: 'sloppy' }), path: undefined },
          'not a finding',
        ] as Finding[],
    };
    const notArray: Detector = { name: 'not-array', check: () => ({ id: 'x' }) as unknown as Finding[] };
    const run = await runDetectors([sloppy, notArray], createDetectorContext());
    expect(run.findings.map((f) => f.id)).toEqual(['ok']);
    expect(run.failures.map((f) => f.error.code)).toEqual(Array(5).fill('ERR_LEAKKIT_INVALID_FINDING'));
    expect(run.failures.map((f) => f.error.message)).toEqual([
      'Expected `sloppy finding[1].advice` to be a non-empty string, got `""`',
      'Expected `sloppy finding[2].confidence` to be a number from 0 to 1, got `2`',
      'Expected `sloppy finding[3].path` to be what grows (a `path`, a `site` or both), got `undefined`',
      'Expected `sloppy finding[4]` to be a finding object, got `"not a finding"`',
      'Expected detector `not-array` check() to return an array of findings, got `object`',
    ]);
  });

  it('keeps at most maxFindings per detector and says so', async () => {
    const many: Detector = {
      name: 'many',
      check: () => Array.from({ length: 5 }, (_, i) => finding(`m${i}`, { detector: 'many' })),
    };
    const run = await runDetectors([many], createDetectorContext(), { maxFindings: 3 });
    expect(run.findings).toHaveLength(3);
    expect(run.failures[0]!.error.message).toContain('at most 3 findings (maxFindings), got 5');
  });

  it('copies findings so a detector mutating what it returned changes nothing', async () => {
    const returned = finding('m', { detector: 'mut', site: { file: 'a.ts', line: 3 } });
    const run = await runDetectors([{ name: 'mut', check: () => [returned] }], createDetectorContext());
    returned.growth.count = 99;
    returned.site!.line = 7;
    expect(run.findings[0]!.growth.count).toBe(1);
    expect(run.findings[0]!.site).toEqual({ file: 'a.ts', line: 3 });
  });

  it('de-duplicates by id within a run: the more severe finding wins', async () => {
    const run = await runDetectors(
      [
        returning('a', finding('same', { severity: 'warning', confidence: 0.9 })),
        returning('b', finding('same', { severity: 'leak', confidence: 0.4 })),
      ],
      createDetectorContext(),
    );
    expect(run.findings).toHaveLength(1);
    expect(run.findings[0]).toMatchObject({ detector: 'b', severity: 'leak' });
  });

  it('lets the detector of highest priority speak for a path several detectors report', async () => {
    const generic: Detector = {
      ...returning('growth', finding('growth:Reg.timers', { path: 'Reg.timers' })),
      priority: 0,
    };
    const timing: Detector = {
      ...returning('timers', finding('timers:Reg.timers', { path: 'Reg.timers', evidence: { entries: 3 } })),
      priority: 20,
    };
    const cache: Detector = {
      ...returning('caches', finding('caches:Reg.timers', { path: 'Reg.timers' })),
      priority: 10,
    };
    const other: Detector = returning('other', finding('other:elsewhere', { path: 'elsewhere' }));
    const run = await runDetectors([generic, cache, timing, other], createDetectorContext());
    expect(run.findings.map((f) => f.id).sort()).toEqual(['other:elsewhere', 'timers:Reg.timers']);
    const kept = run.findings.find((f) => f.id === 'timers:Reg.timers')!;
    expect(kept.evidence).toEqual({
      entries: 3,
      alsoReportedBy: [
        { detector: 'growth', id: 'growth:Reg.timers' },
        { detector: 'caches', id: 'caches:Reg.timers' },
      ],
    });

    // Same priority: both stay. Without a path, the site is the subject.
    const site = { file: 'src/a.ts', line: 3 };
    const sited = (id: string): Finding => {
      const { path: _path, ...rest } = finding(id, { site });
      return rest;
    };
    const a = returning('a', sited('a:x'));
    const b = { ...returning('b', sited('b:x')), priority: -1 };
    const c = returning('c', sited('c:x'));
    const byPriority = await runDetectors([a, b, c], createDetectorContext());
    expect(byPriority.findings.map((f) => f.id).sort()).toEqual(['a:x', 'c:x']);
    await expect(runDetectors([{ ...a, priority: Number.NaN }], createDetectorContext())).rejects.toThrow(
      /detectors\[0\]\.priority/,
    );
  });

  it('de-duplicates by id across runs and raises severity as the finding persists', async () => {
    const store = new FindingStore({ escalateAfter: 2 });
    const events: string[] = [];
    store.on('finding', (f) => events.push(`finding ${f.id} ${f.severity}`));
    store.on('escalate', (f, from) => events.push(`escalate ${f.id} ${from}→${f.severity}`));
    store.on('resolve', (f) => events.push(`resolve ${f.id}`));
    const ctx = createDetectorContext();
    let present = true;
    const flaky: Detector = {
      name: 'test',
      check: () => (present ? [finding('t:a', { confidence: 0.6 })] : []),
    };
    const severities: Severity[] = [];
    const confidences: number[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await runDetectors([flaky], ctx, { store });
      severities.push(run.findings[0]!.severity);
      confidences.push(run.findings[0]!.confidence);
    }
    expect(severities).toEqual(['info', 'warning', 'warning', 'leak', 'leak']);
    expect(confidences[0]).toBe(0.6);
    // Each consecutive sighting counts at half weight: 1 − 0.4 × 0.7 = 0.72, …
    expect(confidences[1]).toBeCloseTo(0.72, 12);
    expect(confidences.every((c, i) => i === 0 || c > confidences[i - 1]!)).toBe(true);
    expect(store.size).toBe(1);
    expect(store.get('t:a')).toMatchObject({
      streak: 5,
      sightings: 5,
      firstCheck: 1,
      lastCheck: 5,
      reported: 'info',
    });

    present = false;
    await runDetectors([flaky], ctx, { store });
    expect(store.get('t:a')?.streak).toBe(0);
    expect(store.findings()).toEqual([]);
    expect(store.findings('all')).toHaveLength(1);
    present = true;
    const again = await runDetectors([flaky], ctx, { store });
    expect(again.findings[0]!.severity).toBe('info'); // a new streak starts from what the detector says
    expect(events).toEqual([
      'finding t:a info',
      'escalate t:a info→warning',
      'escalate t:a warning→leak',
      'resolve t:a',
      'finding t:a info',
    ]);
  });

  it('does not resolve the findings of a detector that failed in this check', async () => {
    const store = new FindingStore();
    let fail = false;
    const d: Detector = {
      name: 'test',
      check: () => {
        if (fail) throw new Error('down');
        return [finding('t:b')];
      },
    };
    const ctx = createDetectorContext();
    await runDetectors([d], ctx, { store });
    fail = true;
    await runDetectors([d], ctx, { store });
    expect(store.get('t:b')?.streak).toBe(1);
    fail = false;
    await runDetectors([d], ctx, { store });
    expect(store.get('t:b')?.streak).toBe(2);
  });

  it('reports a throwing store listener instead of rejecting', async () => {
    const store = new FindingStore();
    store.on('finding', () => {
      throw new Error('listener');
    });
    const run = await runDetectors([returning('test', finding('x'))], createDetectorContext(), { store });
    expect(run.findings).toHaveLength(1);
    expect(run.failures[0]!.error.message).toBe('A `finding` listener of the finding store threw');
  });

  it('rejects bad options and detectors with the option’s name', async () => {
    const ctx = createDetectorContext();
    const timeout = await rejection(runDetectors([], ctx, { timeout: 'soon' }));
    expect(timeout.code).toBe('ERR_LEAKKIT_INVALID_OPTION');
    expect(timeout.option).toBe('timeout');
    const detector = await rejection(runDetectors([{ name: 'x' } as Detector], ctx));
    expect(detector.message).toBe('Expected `detectors[0].check` to be a function, got `undefined`');
    expect((await rejection(runDetectors([], ctx, { maxFindings: 0 }))).option).toBe('maxFindings');
  });
});

describe('FindingStore', () => {
  it('evicts the least recently seen finding beyond its capacity', () => {
    const store = new FindingStore({ capacity: 2 });
    const evicted: string[] = [];
    store.on('evict', (f) => evicted.push(f.id));
    store.record([finding('a'), finding('b')]);
    store.record([finding('a'), finding('c')]);
    expect(evicted).toEqual(['b']);
    expect(store.findings('all').map((f) => f.id)).toEqual(['a', 'c']);
  });

  it('does not escalate with escalateAfter 0, and validates its options', () => {
    const store = new FindingStore({ escalateAfter: 0 });
    for (let i = 0; i < 10; i++) store.record([finding('a')]);
    expect(store.get('a')?.finding.severity).toBe('info');
    expect(() => new FindingStore({ capacity: 0 })).toThrow(
      'Expected `capacity` to be an integer ≥ 1, got `0`',
    );
  });

  it('behaves as its example says', () => {
    const store = new FindingStore({ escalateAfter: 2 });
    const log: string[] = [];
    store.on('escalate', (f, from) => log.push(`${f.id}: ${from} → ${f.severity}`));
    const f = finding('x:a');
    store.record([f]);
    store.record([f]);
    expect(log).toEqual(['x:a: info → warning']);
    expect(store.get('x:a')?.streak).toBe(2);
  });
});

describe('setupDetectors()', () => {
  it('isolates failing setups and disposes of the rest newest first, once', async () => {
    const order: string[] = [];
    const failures: DetectorFailure[] = [];
    const detectors: Detector[] = [
      { name: 'a', setup: () => () => void order.push('a'), check: () => [] },
      {
        name: 'broken',
        setup: () => {
          throw new Error('no hooks here');
        },
        check: () => [],
      },
      { name: 'b', setup: async () => () => void order.push('b'), check: () => [] },
      {
        name: 'bad-dispose',
        setup: () => () => {
          throw new Error('stuck');
        },
        check: () => [],
      },
    ];
    const dispose = await setupDetectors(detectors, createDetectorContext(), {
      onError: (f) => failures.push(f),
    });
    expect(failures.map((f) => [f.detector, f.phase])).toEqual([['broken', 'setup']]);
    await dispose();
    await dispose();
    expect(order).toEqual(['b', 'a']);
    expect(failures.map((f) => [f.detector, f.phase])).toEqual([
      ['broken', 'setup'],
      ['bad-dispose', 'dispose'],
    ]);
  });

  it('disposes of what a timed-out setup installs when it finally settles', async () => {
    let disposed = false;
    const failures: DetectorFailure[] = [];
    const slow: Detector = {
      name: 'slow',
      setup: () =>
        new Promise((resolve) => {
          const dispose = () => {
            disposed = true;
          };
          setTimeout(() => resolve(dispose), 80);
        }),
      check: () => [],
    };
    await setupDetectors([slow], createDetectorContext(), { timeout: 20, onError: (f) => failures.push(f) });
    expect(failures[0]!.error.code).toBe('ERR_LEAKKIT_DETECTOR_TIMEOUT');
    await new Promise((r) => setTimeout(r, 120));
    expect(disposed).toBe(true);
  });
});

describe('createDetectorContext()', () => {
  it('behaves as its example says', () => {
    const gauges = new GaugeHistory();
    for (let t = 0; t < 12; t++) gauges.record(t * 1000, { heapUsed: 1e6 + t * 1e4 });
    const ctx = createDetectorContext({ gauges });
    expect(ctx.stats.classifyTrend(ctx.gauges.series('heapUsed')!).verdict).toBe('leak');
    expect(ctx.now).toBe(Date.now);
    expect('heap' in ctx || 'allocations' in ctx || 'iteration' in ctx).toBe(false);
    expect(createDetectorContext({ iteration: 3 }).iteration).toBe(3);
  });

  it('gives a detector’s heap-growth example (on the Detector type) a leak to find', async () => {
    const heapGrowth: Detector = {
      name: 'heap-growth',
      check(ctx) {
        const used = ctx.gauges.series('heapUsed');
        const t = used && ctx.stats.classifyTrend(used, { xs: ctx.gauges.times() });
        if (t?.verdict !== 'leak') return [];
        return [
          {
            id: 'heap-growth:heapUsed',
            detector: 'heap-growth',
            severity: 'warning',
            title: 'Heap used keeps growing',
            path: 'heapUsed',
            growth: { bytesPerMinute: t.slope * 60_000 },
            confidence: t.confidence,
            advice: 'Turn on allocation tracing to see where it is allocated.',
          },
        ];
      },
    };
    const gauges = new GaugeHistory();
    for (let t = 0; t < 12; t++) gauges.record(t * 1000, { heapUsed: 1e6 + t * 1e4 });
    const run = await runDetectors([heapGrowth], createDetectorContext({ gauges }));
    expect(run.findings[0]?.growth.bytesPerMinute).toBeCloseTo(600_000, 6);
  });
});

describe('evidenceNeeded()', () => {
  it('asks only for what some detector needs; no needs means gauges', () => {
    expect(evidenceNeeded([])).toEqual({
      gauges: false,
      allocations: false,
      heapGraphs: false,
      timers: false,
      routes: false,
    });
    expect(
      evidenceNeeded([
        { name: 'a', check: () => [] },
        { name: 'b', needs: { heapGraphs: true }, check: () => [] },
      ]),
    ).toEqual({ gauges: true, allocations: false, heapGraphs: true, timers: false, routes: false });
    expect(
      evidenceNeeded([{ name: 'c', needs: { allocations: true, timers: true }, check: () => [] }]),
    ).toEqual({
      gauges: false,
      allocations: true,
      heapGraphs: false,
      timers: true,
      routes: false,
    });
    expect(() => evidenceNeeded([null as unknown as Detector])).toThrow(
      'Expected `detectors[0]` to be a detector `{ name, check }`, got `null`',
    );
  });
});

describe('GaugeHistory', () => {
  it('behaves as its example says: a bounded ring, oldest first', () => {
    const history = new GaugeHistory({ capacity: 3 });
    const cache = new Map<number, number>();
    history.watch('cache', () => cache.size);
    for (let t = 0; t < 4; t++) {
      cache.set(t, t);
      history.record(t * 1000, { heapUsed: 1e6 + t });
    }
    expect([...history.series('cache')!]).toEqual([2, 3, 4]);
    expect([...history.times()]).toEqual([1000, 2000, 3000]);
    expect([...history.series('heapUsed')!]).toEqual([1e6 + 1, 1e6 + 2, 1e6 + 3]);
    expect(history.latest('cache')).toBe(4);
    expect(history.length).toBe(3);
    const out = new Float64Array(8);
    expect(history.series('cache', out)!.buffer).toBe(out.buffer);
  });

  it('records NaN for a gauge missing from a sample or whose reader throws, and reports it', () => {
    const errors: LeakkitError[] = [];
    const history = new GaugeHistory({ onError: (e) => errors.push(e) });
    const stop = history.watch('bad', () => {
      throw new Error('gone');
    });
    history.record(0, { a: 1 });
    history.record(1, { b: 2 });
    expect([...history.series('a')!]).toEqual([1, Number.NaN]);
    expect(history.series('bad')).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual([
      'Gauge `bad` threw when read',
      'Gauge `bad` threw when read',
    ]);
    stop();
    history.record(2);
    expect(errors).toHaveLength(2);
  });

  it('stays bounded in gauges: names beyond maxGauges are dropped and counted', () => {
    const history = new GaugeHistory({ maxGauges: 2 });
    history.record(0, { a: 1, b: 2, c: 3 });
    expect(history.names()).toEqual(['a', 'b']);
    expect(history.dropped).toBe(1);
    expect(() => new GaugeHistory({ capacity: 1.5 })).toThrow(LeakkitError);
  });
});

describe('validateFinding()', () => {
  it('behaves as its example says', () => {
    expect(validateFinding({ id: 'x' }, 'finding[0]')).toEqual({
      ok: false,
      problem: 'Expected `finding[0].detector` to be a non-empty string, got `undefined`',
    });
    expect(validateFinding(finding('y', { site: { file: 'a.ts', line: 0 } })).ok).toBe(false);
    expect(validateFinding(finding('y', { growth: {} })).ok).toBe(false);
    expect(validateFinding(finding('y'))).toEqual({ ok: true, finding: finding('y') });
  });
});

describe('the listeners detector of docs/writing-a-detector.md', () => {
  async function watchEmitter(leaky: boolean) {
    const bus = new EventEmitter();
    // Node warns past 10 listeners; the test is about leakkit noticing, not Node.
    bus.setMaxListeners(0);
    const handle = (request: number) => {
      const onMessage = () => request;
      bus.on('message', onMessage);
      bus.emit('message');
      if (!leaky) bus.off('message', onMessage);
    };
    const gauges = new GaugeHistory();
    const ctx = createDetectorContext({ gauges });
    const detectors = [listeners({ watch: { bus } })];
    const dispose = await setupDetectors(detectors, ctx);
    const store = new FindingStore();
    let run = await runDetectors(detectors, ctx, { store });
    for (let check = 0; check < 12; check++) {
      for (let i = 0; i < 10; i++) handle(check * 10 + i);
      gauges.record(check * 1000);
      run = await runDetectors(detectors, ctx, { store });
    }
    await dispose();
    return run;
  }

  it('flags an emitter whose listeners pile up, naming the emitter and event', async () => {
    const run = await watchEmitter(true);
    expect(run.failures).toEqual([]);
    expect(run.findings).toHaveLength(1);
    expect(run.findings[0]).toMatchObject({
      id: 'listeners:bus',
      detector: 'listeners',
      path: "bus.on('message')",
      growth: { count: 120 },
      title: 'bus gains 10 listeners per check (120 now)',
    });
    // Seen in enough consecutive checks to rise from the detector's warning.
    expect(run.findings[0]!.severity).toBe('leak');
  });

  it('says nothing about its bounded twin, which removes each listener', async () => {
    const run = await watchEmitter(false);
    expect(run.failures).toEqual([]);
    expect(run.findings).toEqual([]);
  });

  it('is the code the guide shows', () => {
    const doc = readFileSync(new URL('../../../docs/writing-a-detector.md', import.meta.url), 'utf8');
    const fixture = readFileSync(
      new URL('./fixtures/detectors/listeners-detector.ts', import.meta.url),
      'utf8',
    );
    const block = /```ts[^\n]*\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block?.trim()).toBe(fixture.trim());
  });
});
