import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Detector, Finding } from '@leakkit/core';
import { createDetectorContext, GaugeHistory, runDetectors } from '@leakkit/core';
import { findGrowth } from '@leakkit/core/heap';
import { timers } from '@leakkit/detector-timers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Series } from './fixtures/registries/series.js';
import { fixturePath, heapContext, lineOf, snapshotSeries } from './fixtures/registries/series.js';

// Four snapshots per program: three steps of 300 requests each (the fewest a registry is a `leak` with).
const STEPS = 4;
const runs: [fixture: string, mode: string][] = [
  ['timer-metrics.cjs', 'leak'],
  ['timer-metrics.cjs', 'bounded'],
  ['codetiming.cjs', 'leak'],
  ['codetiming.cjs', 'bounded'],
  ['metrics.mjs', 'leak'],
  ['metrics.mjs', 'bounded'],
  ['sessions.cjs', 'leak'],
  ['pending.cjs', 'leak'],
  ['pending.cjs', 'bounded'],
  ['retention.cjs', 'leak'],
];
const series = new Map<string, Series>();

beforeAll(async () => {
  // Two children at a time: the machine has two cores.
  for (let i = 0; i < runs.length; i += 2) {
    const batch = runs.slice(i, i + 2);
    const done = await Promise.all(batch.map(([f, mode]) => snapshotSeries(f, STEPS, mode)));
    batch.forEach(([f, mode], j) => {
      series.set(`${f}:${mode}`, done[j]!);
    });
  }
}, 180_000);

const registriesOnly = () => timers({ timeouts: false, performance: false, consoleTime: false });

async function findingsOf(fixture: string, mode: string): Promise<Finding[]> {
  return registriesOnly().check(heapContext(series.get(`${fixture}:${mode}`)!));
}

function declared(fixture: string, marker: string): number {
  return lineOf(readFileSync(fixturePath(fixture), 'utf8'), marker);
}

describe('timers(): timing registries in heap graphs', () => {
  it("names the seed's registry, TimerMetrics.timers, at its declaration, one entry per request", async () => {
    const findings = await findingsOf('timer-metrics.cjs', 'leak');
    expect(findings.map((f) => f.path)).toEqual(['TimerMetrics.timers']);
    const [f] = findings;
    expect(f).toMatchObject({
      id: 'timers:TimerMetrics.timers',
      detector: 'timers',
      severity: 'leak',
      path: 'TimerMetrics.timers',
      site: {
        file: fixturePath('timer-metrics.cjs'),
        line: declared('timer-metrics.cjs', '@registry TimerMetrics.timers'),
      },
      growth: { objectsPerIteration: 1, count: 1200 },
      evidence: { pattern: 'unique-keys', shape: 'timing-record', kind: 'map', keys: 'string' },
    });
    expect(f!.confidence).toBeGreaterThan(0.95);
    expect(f!.title).toMatch(
      /^Timing registry `TimerMetrics\.timers` grows by 1 entry per iteration and is never cleared \(1,200 entries, \+\d+(\.\d)? KiB over 3 steps\)$/,
    );
    expect(f!.advice).toContain('`TimerMetrics.timers.clear()`');
    // Entries are a key and a { start, end, elapsed } record: well over 50 bytes each.
    expect(f!.growth.bytesPerIteration).toBeGreaterThan(50);
  });

  it('says nothing when the report clears the registry after aggregating (the fix)', async () => {
    expect(await findingsOf('timer-metrics.cjs', 'bounded')).toEqual([]);
  });

  it("names codetiming's per-key lists of durations, Timer.timers._timings.<name>", async () => {
    const findings = await findingsOf('codetiming.cjs', 'leak');
    expect(findings.map((f) => f.path).sort()).toEqual([
      'Timer.timers._timings.db',
      'Timer.timers._timings.render',
    ]);
    const line = declared('codetiming.cjs', '@registry Timer.timers');
    for (const f of findings) {
      expect(f.id).toBe(`timers:${f.path}`);
      expect(f.severity).toBe('leak');
      expect(f.site).toMatchObject({ file: fixturePath('codetiming.cjs'), line });
      expect(f.evidence).toMatchObject({ pattern: 'per-key-list', shape: 'numbers', unit: 'bytes' });
      // Doubles in a backing store that grows by half its size: about one per request, estimated.
      expect(f.growth.objectsPerIteration).toBeGreaterThan(0.6);
      expect(f.growth.objectsPerIteration).toBeLessThan(1.6);
      expect(f.advice).toMatch(/running totals .* or a histogram with fixed buckets/);
    }
  });

  it("says nothing when codetiming's registry is cleared after each report", async () => {
    expect(await findingsOf('codetiming.cjs', 'bounded')).toEqual([]);
  });

  it('names module-scope lists and per-request histograms of an ES module by file and variable', async () => {
    const findings = await findingsOf('metrics.mjs', 'leak');
    const by = Object.fromEntries(findings.map((f) => [f.path, f]));
    expect(Object.keys(by).sort()).toEqual(['metrics.mjs › histograms', 'metrics.mjs › latencies']);
    const file = pathToFileURL(fixturePath('metrics.mjs')).href;
    expect(by['metrics.mjs › latencies']).toMatchObject({
      severity: 'leak',
      site: { file, line: declared('metrics.mjs', '@registry latencies') },
      evidence: { pattern: 'list', shape: 'numbers' },
    });
    expect(by['metrics.mjs › latencies']!.advice).toContain('`latencies.length = 0`');
    expect(by['metrics.mjs › histograms']).toMatchObject({
      severity: 'leak',
      site: { file, line: declared('metrics.mjs', '@registry histograms') },
      growth: { objectsPerIteration: 1, count: 1200 },
      evidence: { pattern: 'unique-keys', kind: 'object', shape: 'numbers' },
    });
  });

  it('says nothing for a window of latencies and histograms per route', async () => {
    expect(await findingsOf('metrics.mjs', 'bounded')).toEqual([]);
  });

  it('names a Map that keeps the handles of timers after they fire', async () => {
    const findings = await findingsOf('pending.cjs', 'leak');
    expect(findings.map((f) => [f.path, f.site?.line])).toEqual([
      ['pending.cjs › pending', declared('pending.cjs', '@registry pending')],
    ]);
    expect(findings[0]).toMatchObject({
      id: 'timers:pending.cjs › pending',
      severity: 'leak',
      growth: { objectsPerIteration: 1 },
      evidence: { shape: 'timer-handle', pattern: 'unique-keys', kind: 'map' },
    });
    expect(findings[0]!.title).toMatch(
      /^Timer handle registry `pending\.cjs › pending` grows by 1 entry per iteration/,
    );
    expect(findings[0]!.advice).toContain('remove each one from `pending` when its timer fires');
  });

  it('says nothing when the callback removes its handle', async () => {
    expect(await findingsOf('pending.cjs', 'bounded')).toEqual([]);
  });

  it('leaves growth that is not about timings to other detectors', async () => {
    const s = series.get('sessions.cjs:leak')!;
    // The program does leak: a session store and hit counters grow at every step.
    expect(
      findGrowth(s.graphs)
        .map((g) => g.path)
        .sort(),
    ).toEqual(['sessions.cjs › hits', 'sessions.cjs › sessions']);
    expect(await findingsOf('sessions.cjs', 'leak')).toEqual([]);
  });

  it("does not take timing names from the path's way through a pending timeout to a Map", async () => {
    const s = series.get('retention.cjs:leak')!;
    const [growth] = findGrowth(s.graphs);
    expect(growth?.path).toBe('retention.cjs › uploads');
    // The snapshot reaches the Map through the timer list and the timeout's callback.
    expect(growth!.steps.map((step) => step.edge).join(' ')).toMatch(/_idle|_onTimeout/);
    expect(await findingsOf('retention.cjs', 'leak')).toEqual([]);
  });

  it('takes over the generic finding about the same path (priority 20)', async () => {
    const ctx = heapContext(series.get('timer-metrics.cjs:leak')!);
    const generic: Detector = {
      name: 'growth',
      priority: 0,
      check: (c) =>
        c.heap!.growth.map((g) => ({
          id: `growth:${g.path}`,
          detector: 'growth',
          severity: 'leak' as const,
          title: `${g.path} grows`,
          path: g.path,
          growth: { count: g.counts[g.counts.length - 1]! },
          confidence: 0.9,
          advice: 'Find out what keeps it alive.',
        })),
    };
    const detector = registriesOnly();
    expect(detector.priority).toBe(20);
    const { findings } = await runDetectors([generic, detector], ctx);
    expect(findings.map((f) => f.id)).toEqual(['timers:TimerMetrics.timers']);
    expect(findings[0]!.evidence?.alsoReportedBy).toEqual([
      { detector: 'growth', id: 'growth:TimerMetrics.timers' },
    ]);
  });

  it('gives growth per step when no iterations are recorded', async () => {
    const s = series.get('timer-metrics.cjs:leak')!;
    const ctx = createDetectorContext({
      gauges: new GaugeHistory(),
      heap: { graphs: s.graphs, growth: findGrowth(s.graphs) },
    });
    const [f] = await registriesOnly().check(ctx);
    expect(f!.growth.objectsPerIteration).toBeUndefined();
    expect(f!.growth.count).toBe(1200);
    expect(f!.title).toContain('grows by 300 entries per step');
  });

  it('reports nothing without heap evidence or with registries turned off', async () => {
    expect(await registriesOnly().check(createDetectorContext())).toEqual([]);
    const s = series.get('timer-metrics.cjs:leak')!;
    const ctx = heapContext(s);
    expect(
      await timers({ registries: false, timeouts: false, performance: false, consoleTime: false }).check(ctx),
    ).toEqual([]);
    expect(timers({ registries: false }).needs).toEqual({ gauges: true, heapGraphs: false });
  });
});
