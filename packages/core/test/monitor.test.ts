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
