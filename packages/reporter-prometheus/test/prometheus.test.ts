import { createRequire } from 'node:module';
import type { Detector, Finding, LeakkitError, Monitor, MonitorSample, Reporter } from '@leakkit/core';
import { createMonitor } from '@leakkit/core';
import { prometheusReporter } from '@leakkit/reporter-prometheus';
import { Registry, register } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Exposition } from './exposition.js';
import { parseExposition, series, single } from './exposition.js';
import type * as Workload from './fixtures/workload.cjs';

// CommonJS loaded by Node itself, not the test runner's transform: the allocation sites V8 reports
// are the fixture's own lines.
const { work, release } = createRequire(import.meta.url)('./fixtures/workload.cjs') as typeof Workload;

// A real monitor on manual ticks (each one a real full GC, a real heap reading, real allocation
// sampling) feeds the reporter; the assertions read what a scrape of the registry returns, parsed
// as Prometheus parses it.

const METRICS = [
  'leakkit_heap_after_gc_bytes',
  'leakkit_heap_used_bytes',
  'leakkit_heap_limit_bytes',
  'leakkit_cgroup_limit_bytes',
  'leakkit_rss_bytes',
  'leakkit_external_bytes',
  'leakkit_last_sample_timestamp_seconds',
  'leakkit_heap_trend_bytes_per_second',
  'leakkit_heap_trend_confidence',
  'leakkit_heap_trend_verdict',
  'leakkit_heap_forecast_seconds',
  'leakkit_findings',
  'leakkit_finding_confidence',
  'leakkit_finding_growth_bytes_per_second',
];

const monitors: Monitor[] = [];
afterEach(async () => {
  for (const m of monitors.splice(0)) await m.stop({ report: false });
  release();
});

function track(m: Monitor): Monitor {
  monitors.push(m);
  return m;
}

async function scrape(registry: Registry): Promise<Exposition> {
  return parseExposition(await registry.metrics());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a unit of work every 20 ms that keeps ~100 KB (`retain`: the leak) or lets it go (the
 * bounded twin) while the monitor ticks on its own, until `until()` or `ms` have passed.
 */
async function run(retain: boolean, until: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!until() && Date.now() < deadline) {
    work(retain);
    await sleep(20);
  }
}

/** A live monitor on 100 ms ticks, a full GC at each tick, with `reporters`; its samples and findings. */
function live(reporters: Reporter[]): {
  m: Monitor;
  samples: MonitorSample[];
  findings: Map<string, Finding>;
  seen: Finding[];
} {
  const m = track(
    createMonitor({ interval: '100ms', collectGarbage: '500ms', heapSnapshots: 'off', reporters }),
  );
  const samples: MonitorSample[] = [];
  const findings = new Map<string, Finding>();
  const seen: Finding[] = [];
  m.on('sample', (s) => samples.push(s));
  m.on('finding', (f) => {
    findings.set(f.id, f);
    seen.push(f);
  });
  m.on('resolve', (f) => findings.delete(f.id));
  return { m, samples, findings, seen };
}

function finding(id: string, extra: Partial<Finding> = {}): Finding {
  return {
    id,
    detector: 'queue',
    severity: 'warning',
    title: `${id} grows`,
    growth: { count: 1 },
    confidence: 0.5,
    advice: 'drain it',
    ...extra,
  };
}

/** A detector that reports what `current` holds at each check. */
function scripted(name: string): Detector & { current: Finding[] } {
  const d: Detector & { current: Finding[] } = {
    name,
    current: [],
    check: () => d.current.map((f) => ({ ...f, detector: name })),
  };
  return d;
}

function byId(e: Exposition, name: string): Map<string, { labels: Record<string, string>; value: number }> {
  return new Map(series(e, name).map((s) => [s.labels.id!, s]));
}

describe('prometheusReporter()', () => {
  it('exposes the heap, its limits, trend and forecast, and the monitor’s finding, for a leaking program', async () => {
    const registry = new Registry();
    const { m, samples, findings } = live([prometheusReporter({ registry })]);
    m.start();
    await run(
      true,
      () => samples.at(-1)?.forecast !== undefined && findings.get('growth:heap')?.site !== undefined,
      30_000,
    );
    // Read in the same synchronous stretch as the scrape's start: no tick can land in between.
    const last = samples.at(-1)!;
    const e = await scrape(registry);

    for (const name of METRICS) {
      expect(e.type.get(name), name).toBe('gauge');
      expect(e.help.get(name), name).toMatch(/\w/);
    }
    expect([...e.type.keys()].sort()).toEqual([...METRICS].sort());
    const lastAfterGC = samples
      .map((s) => s.heapAfterGC)
      .filter(Number.isFinite)
      .at(-1);
    expect(single(e, 'leakkit_heap_after_gc_bytes')).toBe(lastAfterGC);
    expect(single(e, 'leakkit_heap_used_bytes')).toBe(last.heapUsed);
    expect(single(e, 'leakkit_rss_bytes')).toBe(last.rss);
    expect(single(e, 'leakkit_external_bytes')).toBe(last.external);
    expect(single(e, 'leakkit_heap_limit_bytes')).toBe(last.heapLimit);
    expect(single(e, 'leakkit_last_sample_timestamp_seconds')).toBe(last.time / 1000);

    // The trend is the monitor's, per second, and matches the heap readings: ~0.8 MB per tick kept.
    expect(last.trend?.verdict).toBe('leak');
    const perSecond = single(e, 'leakkit_heap_trend_bytes_per_second')!;
    expect(perSecond).toBe(last.trend!.bytesPerHour / 3600);
    const readings = samples.filter((s) => Number.isFinite(s.heapAfterGC));
    const measured =
      ((readings.at(-1)!.heapAfterGC - readings[0]!.heapAfterGC) /
        (readings.at(-1)!.time - readings[0]!.time)) *
      1000;
    expect(perSecond).toBeGreaterThan(measured / 2);
    expect(perSecond).toBeLessThan(measured * 2);
    expect(single(e, 'leakkit_heap_trend_confidence')).toBe(last.trend!.confidence);
    expect(
      Object.fromEntries(series(e, 'leakkit_heap_trend_verdict').map((s) => [s.labels.verdict, s.value])),
    ).toEqual({ leak: 1, 'maybe-leak': 0, 'not-leak': 0 });
    expect(series(e, 'leakkit_heap_forecast_seconds')).toEqual([
      {
        name: 'leakkit_heap_forecast_seconds',
        labels: { limit: last.forecast!.source },
        value: last.forecast!.eta / 1000,
      },
    ]);

    // The monitor's own finding: the allocation site that keeps growing, the fixture's line 7.
    const heap = findings.get('growth:heap')!;
    expect(heap.site!.file).toMatch(/fixtures\/workload\.cjs$/);
    expect(heap.site!.line).toBe(7);
    expect(byId(e, 'leakkit_finding_confidence').get('growth:heap')).toEqual({
      name: 'leakkit_finding_confidence',
      labels: {
        id: 'growth:heap',
        detector: 'growth',
        severity: heap.severity,
        path: '',
        site: `${heap.site!.file}:7`,
        route: '',
      },
      value: heap.confidence,
    });
    expect(byId(e, 'leakkit_finding_growth_bytes_per_second').get('growth:heap')?.value).toBe(
      heap.growth.bytesPerMinute! / 60,
    );
    const counts = series(e, 'leakkit_findings').filter((s) => s.labels.detector === 'growth');
    expect(Object.fromEntries(counts.map((s) => [s.labels.severity, s.value]))).toEqual({
      leak: heap.severity === 'leak' ? 1 : 0,
      warning: heap.severity === 'warning' ? 1 : 0,
      info: 0,
    });
  });

  it('exposes no forecast and no finding for the bounded twin (the same work, nothing kept)', async () => {
    const registry = new Registry();
    const { m, samples, seen } = live([prometheusReporter({ registry })]);
    m.start();
    await run(false, () => false, 3000);
    const e = await scrape(registry);
    expect(seen).toEqual([]);
    expect(samples.length).toBeGreaterThan(10);
    expect(samples.at(-1)!.trend?.verdict).not.toBe('leak');
    expect(series(e, 'leakkit_heap_forecast_seconds')).toEqual([]);
    expect(series(e, 'leakkit_finding_confidence')).toEqual([]);
    expect(series(e, 'leakkit_finding_growth_bytes_per_second')).toEqual([]);
    // Every detector in use has its zero series: no series that comes and goes.
    expect(
      series(e, 'leakkit_findings').map((s) => `${s.labels.detector}/${s.labels.severity}=${s.value}`),
    ).toEqual([
      'growth/leak=0',
      'growth/warning=0',
      'growth/info=0',
      'handles/leak=0',
      'handles/warning=0',
      'handles/info=0',
    ]);
    expect(single(e, 'leakkit_heap_after_gc_bytes')).toBeGreaterThan(0);
  });

  it('labels each finding, caps the series at maxFindings, counts them all, and drops resolved ones', async () => {
    const registry = new Registry();
    const queue = scripted('queue');
    const secret = 'sk_live_do-not-export';
    queue.current = [
      ...Array.from({ length: 12 }, (_, i) =>
        finding(`queue:w${i}`, { confidence: 0.1 + i / 20, path: `Queue.items.w${i}` }),
      ),
      finding('queue:leak', {
        severity: 'leak',
        confidence: 0.2,
        path: `app.sessions.${'deep.'.repeat(60)}history`,
        site: { file: '/srv/app/src/session.js', line: 42, column: 7 },
        route: 'GET /users/:id',
        title: `sessions keyed by ${secret} grow`,
        advice: `clear ${secret}`,
        growth: { bytesPerMinute: 6000, count: 3 },
        evidence: { keys: [secret] },
      }),
      finding('queue:info', { severity: 'info', confidence: 0.99, path: 'Queue.audit' }),
    ];
    const m = track(
      createMonitor({
        interval: '1h',
        tracing: false,
        heapSnapshots: 'off',
        detectors: [queue],
        reporters: [prometheusReporter({ registry, maxFindings: 5 })],
      }),
    ).start();
    await m.check();
    let e = await scrape(registry);

    // The leak first, then the warnings by confidence: five series, no more.
    const exported = series(e, 'leakkit_finding_confidence');
    expect(exported.map((s) => s.labels.id)).toEqual([
      'queue:leak',
      'queue:w11',
      'queue:w10',
      'queue:w9',
      'queue:w8',
    ]);
    const leak = exported[0]!;
    expect(leak.value).toBe(0.2);
    expect(leak.labels).toMatchObject({
      detector: 'queue',
      severity: 'leak',
      site: '/srv/app/src/session.js:42',
      route: 'GET /users/:id',
    });
    // Long paths are cut to 200 characters.
    expect(leak.labels.path).toHaveLength(200);
    expect(leak.labels.path!.startsWith('app.sessions.deep.deep.')).toBe(true);
    expect(leak.labels.path!.endsWith('…')).toBe(true);
    expect(exported[1]!.labels).toEqual({
      id: 'queue:w11',
      detector: 'queue',
      severity: 'warning',
      path: 'Queue.items.w11',
      site: '',
      route: '',
    });
    // A rate only where the finding gives one.
    expect(series(e, 'leakkit_finding_growth_bytes_per_second')).toEqual([
      { name: 'leakkit_finding_growth_bytes_per_second', labels: leak.labels, value: 100 },
    ]);
    // All of them are counted, exported or not.
    const counts = Object.fromEntries(
      series(e, 'leakkit_findings').map((s) => [`${s.labels.detector}/${s.labels.severity}`, s.value]),
    );
    expect(counts).toEqual({
      'growth/leak': 0,
      'growth/warning': 0,
      'growth/info': 0,
      'handles/leak': 0,
      'handles/warning': 0,
      'handles/info': 0,
      'queue/leak': 1,
      'queue/warning': 12,
      'queue/info': 1,
    });
    // Titles, advice and evidence are never labels: what a key holds stays out of the metrics.
    expect(await registry.metrics()).not.toContain(secret);

    // Resolved findings go: the detector stops reporting the leak and three warnings.
    queue.current = queue.current.filter((f) => f.severity === 'warning' && !/w(9|10|11)$/.test(f.id));
    await m.check();
    e = await scrape(registry);
    expect(series(e, 'leakkit_finding_confidence').map((s) => s.labels.id)).toEqual([
      'queue:w8',
      'queue:w7',
      'queue:w6',
      'queue:w5',
      'queue:w4',
    ]);
    expect(series(e, 'leakkit_finding_growth_bytes_per_second')).toEqual([]);
    expect(
      series(e, 'leakkit_findings').find(
        (s) => s.labels.detector === 'queue' && s.labels.severity === 'warning',
      )?.value,
    ).toBe(9);
  });

  it('uses the app’s own registry, removes its metrics at stop, and registers them again for the next monitor', async () => {
    const registry = new Registry();
    const mine = new Registry();
    // The app's own metric in the same registry is left alone.
    new (await import('prom-client')).Gauge({
      name: 'app_queue_depth',
      help: 'depth',
      registers: [registry],
    }).set(3);
    const first = track(
      createMonitor({ interval: '1h', tracing: false, reporters: [prometheusReporter({ registry })] }),
    );
    const errors: LeakkitError[] = [];
    first.on('error', (e) => errors.push(e));
    first.start();
    await first.check();
    expect(single(await scrape(registry), 'leakkit_rss_bytes')).toBeGreaterThan(0);
    expect(register.getSingleMetric('leakkit_rss_bytes')).toBeUndefined();

    // A second reporter on the same names while the first runs: reported by that monitor, never thrown.
    const clash = track(
      createMonitor({ interval: '1h', tracing: false, reporters: [prometheusReporter({ registry })] }),
    );
    const clashErrors: LeakkitError[] = [];
    clash.on('error', (e) => clashErrors.push(e));
    expect(() => clash.start()).not.toThrow();
    await clash.check();
    expect(clashErrors.map((e) => e.code)).toEqual(['ERR_LEAKKIT_REPORTER_FAILED']);
    expect(clashErrors[0]!.message).toMatch(/`leakkit_heap_after_gc_bytes` already registered/);
    await clash.stop();
    // ...and its stop did not take the first one's metrics away.
    expect(single(await scrape(registry), 'leakkit_rss_bytes')).toBeGreaterThan(0);

    // Another prefix, the same registry: both at once.
    const other = track(
      createMonitor({
        interval: '1h',
        tracing: false,
        reporters: [
          prometheusReporter({ registry: mine }),
          prometheusReporter({ registry, prefix: 'worker_' }),
        ],
      }),
    ).start();
    await other.check();
    const both = await scrape(registry);
    expect(single(both, 'worker_rss_bytes')).toBeGreaterThan(0);
    expect(single(both, 'leakkit_rss_bytes')).toBeGreaterThan(0);
    expect(single(await scrape(mine), 'leakkit_rss_bytes')).toBeGreaterThan(0);
    await other.stop();

    await first.stop();
    const after = await scrape(registry);
    expect([...after.type.keys()]).toEqual(['app_queue_depth']);
    expect(single(after, 'app_queue_depth')).toBe(3);

    // A new monitor, a new reporter, the same registry: no "already registered".
    const second = track(
      createMonitor({ interval: '1h', tracing: false, reporters: [prometheusReporter({ registry })] }),
    );
    second.on('error', (e) => errors.push(e));
    second.start();
    await second.check();
    expect(single(await scrape(registry), 'leakkit_rss_bytes')).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('can be reused by a later monitor and closed by hand, idempotently', async () => {
    const registry = new Registry();
    const reporter = prometheusReporter({ registry });
    for (let round = 0; round < 2; round++) {
      const m = track(createMonitor({ interval: '1h', tracing: false, reporters: [reporter] })).start();
      const errors: LeakkitError[] = [];
      m.on('error', (e) => errors.push(e));
      const sample = await m.check();
      expect(single(await scrape(registry), 'leakkit_heap_used_bytes')).toBe(sample.heapUsed);
      reporter.close();
      reporter.close();
      expect(await registry.metrics()).toBe('\n');
      await m.stop();
      expect(errors).toEqual([]);
    }
  });

  it('uses prom-client’s global register by default', async () => {
    const m = track(
      createMonitor({ interval: '1h', tracing: false, reporters: [prometheusReporter()] }),
    ).start();
    try {
      const sample = await m.check();
      expect(single(parseExposition(await register.metrics()), 'leakkit_rss_bytes')).toBe(sample.rss);
    } finally {
      await m.stop();
    }
    expect(register.getSingleMetric('leakkit_rss_bytes')).toBeUndefined();
  });

  it('rejects bad options synchronously', () => {
    expect(() => prometheusReporter(null as never)).toThrow(/Expected `options` to be an object, got `null`/);
    expect(() => prometheusReporter({ registry: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_LEAKKIT_INVALID_OPTION', option: 'registry' }),
    );
    expect(() => prometheusReporter({ prefix: 'leak-kit_' })).toThrow(
      /Expected `prefix` to be a metric name prefix of letters, digits, `_` and `:`, got `"leak-kit_"`/,
    );
    expect(() => prometheusReporter({ prefix: '9_' })).toThrow(/`prefix`/);
    expect(() => prometheusReporter({ maxFindings: -1 })).toThrow(
      /Expected `maxFindings` to be an integer from 0 to 1000, got `-1`/,
    );
    expect(() => prometheusReporter({ maxFindings: 1.5 })).toThrow(/`maxFindings`/);
    expect(() => prometheusReporter({ maxFindings: '5' as never })).toThrow(/`maxFindings`/);
    expect(prometheusReporter({ prefix: '', maxFindings: 0 }).name).toBe('prometheus');
  });
});
