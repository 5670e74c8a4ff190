import { createRequire } from 'node:module';
import type { Detector, Finding, Monitor } from '@leakkit/core';
import { createMonitor, isTracing, LeakkitError } from '@leakkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import type * as AppModule from './fixtures/monitor/app.cjs';

const { drive, resetApp, startApp } = createRequire(import.meta.url)(
  './fixtures/monitor/app.cjs',
) as typeof AppModule;

// A real HTTP server in this process, load from this process, the monitor on short ticks: the
// trend, the route regression and the allocation sites all run on real measurements (heap after a
// real GC, requests counted from diagnostics_channel, V8's sampling profiler).

let monitor: Monitor | undefined;

afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
  resetApp();
});

function watchFor(m: Monitor, done: (f: Finding) => boolean, seconds: number): () => boolean {
  const deadline = Date.now() + seconds * 1000;
  return () => Date.now() > deadline || m.report().findings.some(done);
}

describe('createMonitor() on a live server', () => {
  it('finds the leaking route and its allocation site, and does not flag the bounded cache route', async () => {
    const app = await startApp({ leak: true });
    monitor = createMonitor({
      interval: '100ms',
      heapSnapshots: 'off',
      // A test worker's heap is bigger than the demo server's: let the monitor collect on every tick.
      collectGarbage: '500ms',
    });
    const errors: LeakkitError[] = [];
    monitor.on('error', (e) => errors.push(e));
    monitor.start();
    // Named by the regression (the mix varies): the route probe names it earlier, from the line.
    const named = (f: Finding) =>
      f.route === 'GET /audit/:id' && f.site !== undefined && f.evidence?.routeFoundBy === 'regression';
    await drive(app.port, watchFor(monitor, named, 40));
    const report = monitor.report();
    await app.close();

    const finding = report.findings.find(named);
    expect(finding, JSON.stringify(report.findings.map((f) => f.title))).toBeDefined();
    expect(finding!.severity).toBe('leak');
    expect(finding!.site!.file).toMatch(/fixtures\/monitor\/app\.cjs$/);
    // The record and its array are built in remember(), on line 14.
    expect(finding!.site!.line).toBe(14);
    const audit = report.routes.find((r) => r.route === 'GET /audit/:id')!;
    // ~900 B per request: a record, a 100-element array of small integers.
    expect(audit.bytesPerRequest).toBeGreaterThan(400);
    expect(audit.bytesPerRequest).toBeLessThan(2000);
    expect(audit.share).toBeGreaterThan(0.5);
    for (const f of report.findings) expect(f.route ?? '').not.toMatch(/items/);
    expect(report.heap.trend?.verdict).toBe('leak');
    expect(errors).toEqual([]);
  });

  it('counts the Buffers a leak keeps: their bytes live outside the heap', async () => {
    const app = await startApp({ leak: 'buffers' });
    monitor = createMonitor({ interval: '100ms', heapSnapshots: 'off', collectGarbage: '500ms' });
    monitor.start();
    const named = (f: Finding) => f.route === 'GET /audit/:id';
    await drive(app.port, watchFor(monitor, named, 40));
    const report = monitor.report();
    await app.close();
    expect(report.findings.find(named), JSON.stringify(report.findings.map((f) => f.title))).toBeDefined();
    const audit = report.routes.find((r) => r.route === 'GET /audit/:id')!;
    // 8 KiB of ArrayBuffer per request and ~200 B of heap (the Buffer, its ArrayBuffer object, the
    // array's slot): measured on the heap alone, the estimate would be the 200 B.
    expect(audit.bytesPerRequest).toBeGreaterThan(6000);
    expect(audit.bytesPerRequest).toBeLessThan(12_000);
    expect(report.heap.trend?.verdict).toBe('leak');
  });

  it('reports nothing for the bounded twin (the same routes, the audit route capped)', async () => {
    const app = await startApp({ leak: false });
    monitor = createMonitor({ interval: '100ms', heapSnapshots: 'off', collectGarbage: '500ms' });
    const findings: Finding[] = [];
    monitor.on('finding', (f) => findings.push(f));
    monitor.start();
    const stopAt = Date.now() + 12_000;
    await drive(app.port, () => Date.now() > stopAt);
    const report = monitor.report();
    await app.close();
    expect(report.ticks).toBeGreaterThan(40);
    expect(report.requests).toBeGreaterThan(1000);
    expect(findings.map((f) => [f.title, f.site, f.route, f.evidence])).toEqual([]);
    expect(report.findings).toEqual([]);
  });

  it('traces allocations only when needed, starts nothing before start() and stops tracing it started', async () => {
    // Nothing suspected and no detector that needs allocation sites: no tracing (V8's sampling
    // profiler costs a few percent of an allocation-heavy server's CPU once on).
    monitor = createMonitor({ interval: '50ms' });
    monitor.start();
    await monitor.check();
    await monitor.check();
    expect(isTracing()).toBe(false);
    await monitor.stop();
    const sites: Detector = { name: 'sites', needs: { allocations: true }, check: () => [] };
    monitor = createMonitor({ interval: '50ms', detectors: [sites] });
    expect(isTracing()).toBe(false);
    monitor.start();
    expect(isTracing()).toBe(true);
    await monitor.check();
    await monitor.stop();
    expect(isTracing()).toBe(false);
  });

  it('ends an investigation that runs out of time, keeps the line it named, and waits before the next', async () => {
    // Finer sampling costs an allocation-heavy server a sixth of its CPU: a growth that goes on
    // gets `maxInvestigation` of it, then tracing stops for as long again (doubling after that).
    const app = await startApp({ leak: true });
    const budget = 6000;
    monitor = createMonitor({
      interval: '100ms',
      heapSnapshots: 'off',
      collectGarbage: '500ms',
      tracing: { maxInvestigation: budget },
      // The probe holds an investigation open while it runs (it works from the named line).
      routes: { probe: false },
    });
    const m = monitor;
    const runs: { on: boolean; from: number; to: number }[] = [];
    let sitesWhenOff: (number | undefined)[] | undefined;
    m.on('sample', (s) => {
      const on = isTracing();
      const last = runs.at(-1);
      if (last?.on === on) last.to = s.time;
      else runs.push({ on, from: s.time, to: s.time });
      if (!on && runs.length === 3 && sitesWhenOff === undefined)
        sitesWhenOff = m.report().findings.map((f) => f.site?.line);
    });
    m.start();
    const deadline = Date.now() + 40_000;
    // Until tracing came back on after its pause: off, on (the investigation), off (the pause), on.
    await drive(app.port, () => Date.now() > deadline || runs.length >= 4);
    await app.close();
    const shape = JSON.stringify(runs.map((r) => ({ on: r.on, ms: r.to - r.from })));
    expect(runs.length, shape).toBeGreaterThanOrEqual(4);
    const [, investigation, pause, next] = runs as [
      unknown,
      (typeof runs)[0],
      (typeof runs)[0],
      (typeof runs)[0],
    ];
    expect(investigation.on, shape).toBe(true);
    // It ran its time. A sample's time is its tick's start and the decision comes after the tick's
    // own GC (within collectGarbage's 500 ms): that much slack.
    expect(pause.from - investigation.from, shape).toBeGreaterThanOrEqual(budget - 500);
    expect(pause.from - investigation.from, shape).toBeLessThan(budget + 3000);
    // No new investigation during the pause, though the leak goes on.
    expect(next.from - pause.from, shape).toBeGreaterThanOrEqual(budget - 500);
    expect(next.on, shape).toBe(true);
    // The line the investigation named stays on the finding while tracing is off.
    expect(sitesWhenOff, shape).toContain(14);
  });

  it('rejects bad options with LeakkitError, synchronously', () => {
    expect(() => createMonitor({ interval: 'soon' })).toThrow(
      /Expected `interval` to be a positive duration/,
    );
    expect(() => createMonitor({ heapSnapshots: 'always' as never })).toThrow(LeakkitError);
    expect(() => createMonitor({ detectors: [{ name: 'growth', check: () => [] }] })).toThrow(
      /detectors\[0\]\.name/,
    );
    expect(() => createMonitor({ watch: { x: 3 as never } })).toThrow(/watch\.x/);
    expect(() => createMonitor({ captureSignal: 'USR2' as never })).toThrow(/captureSignal/);
  });
});
