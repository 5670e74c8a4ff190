import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Finding, LeakkitError, Monitor } from '@leakkit/core';
import { createMonitor } from '@leakkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeStore } from '../src/monitor/route-probe.js';
import { chooseRoute, probeVerdict, scriptUrlRegex, startRouteProbe } from '../src/monitor/route-probe.js';
import type * as LineModule from './fixtures/route-probe/line.cjs';
import type * as AppModule from './fixtures/route-probe/steady-app.cjs';

const require = createRequire(import.meta.url);
const { drive, resetApp, startApp } = require('./fixtures/route-probe/steady-app.cjs') as typeof AppModule;
const { touched } = require('./fixtures/route-probe/line.cjs') as typeof LineModule;
const LINE_FILE = fileURLToPath(new URL('./fixtures/route-probe/line.cjs', import.meta.url));
// `calls += n` in touched().
const PROBED_LINE = 5;

let monitor: Monitor | undefined;

afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
  resetApp();
});

function probeKeys(): symbol[] {
  return Object.getOwnPropertySymbols(globalThis).filter((s) =>
    s.description?.startsWith('leakkit.routeProbe.'),
  );
}

describe('startRouteProbe()', () => {
  it('counts the routes in context at each run of the line, and nothing once stopped', async () => {
    const als = new AsyncLocalStorage<ProbeStore>();
    // The probe's one timer (its time limit): unref'd, and cleared by stop().
    const made: NodeJS.Timeout[] = [];
    const setTimeoutBefore = globalThis.setTimeout;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      const t = setTimeoutBefore(...args);
      made.push(t);
      return t;
    }) as typeof setTimeout;
    let probe: ReturnType<typeof startRouteProbe>;
    try {
      probe = startRouteProbe({ file: LINE_FILE, line: PROBED_LINE, storage: als, maxHits: 10_000 });
    } finally {
      globalThis.setTimeout = setTimeoutBefore;
    }
    expect(made).toHaveLength(1);
    expect(made[0]!.hasRef()).toBe(false);
    expect(probe.active).toBe(true);
    // One probe at a time.
    expect(() => startRouteProbe({ file: LINE_FILE, line: PROBED_LINE })).toThrow(
      /one route probe at a time/,
    );
    for (let i = 0; i < 300; i++) als.run('GET /a', () => touched(1));
    for (let i = 0; i < 100; i++) als.run('GET /b', () => touched(1));
    // Across an await, too.
    await als.run('GET /b', async () => {
      await new Promise((r) => setTimeout(r, 1));
      touched(1);
    });
    touched(1);
    // A hook that throws (so the condition throws) is harmless: no pause, no exception in the app.
    const [key] = probeKeys();
    expect(key).toBeDefined();
    const hook = (globalThis as unknown as Record<symbol, unknown>)[key!];
    (globalThis as unknown as Record<symbol, unknown>)[key!] = () => {
      throw new Error('boom');
    };
    expect(touched(0)).toBeGreaterThan(0);
    (globalThis as unknown as Record<symbol, unknown>)[key!] = hook;

    const result = probe.stop();
    expect(probe.active).toBe(false);
    expect(result.hits).toEqual([
      { route: 'GET /a', count: 300 },
      { route: 'GET /b', count: 101 },
      { route: '(none)', count: 1 },
    ]);
    expect(result.total).toBe(402);
    expect(result.sampled).toBe(401);
    // 300 of 401 is under 80%: no route is named.
    expect(result.route).toBeUndefined();
    expect(result.reason).toBe('stopped');
    expect(result.error).toBeUndefined();
    await expect(probe.done).resolves.toBe(result);

    // Stopped: the hook is gone, and the breakpoint with it (a hook put back is never called).
    expect(probeKeys()).toEqual([]);
    let late = 0;
    (globalThis as unknown as Record<symbol, unknown>)[key!] = () => {
      late++;
    };
    for (let i = 0; i < 10; i++) als.run('GET /a', () => touched(1));
    delete (globalThis as unknown as Record<symbol, unknown>)[key!];
    expect(late).toBe(0);
    expect((made[0] as unknown as { _destroyed: boolean })._destroyed).toBe(true);
  });

  it('stops by itself after maxHits and names a route with 80% of the hits in requests', async () => {
    const als = new AsyncLocalStorage<ProbeStore>();
    const probe = startRouteProbe({ file: LINE_FILE, line: PROBED_LINE, storage: als, maxHits: 50 });
    for (let i = 0; i < 45; i++) als.run('POST /upload', () => touched(1));
    for (let i = 0; i < 5; i++) touched(1);
    // At the 50th hit the breakpoint went at once, in the same turn: a hook put back is never called
    // (a loop over the line pays V8's break handling no longer).
    const [key] = probeKeys();
    let late = 0;
    (globalThis as unknown as Record<symbol, unknown>)[key!] = () => {
      late++;
    };
    for (let i = 0; i < 20; i++) als.run('GET /other', () => touched(1));
    expect(late).toBe(0);
    const result = await probe.done;
    expect(probeKeys()).toEqual([]);
    expect(result.reason).toBe('hits');
    expect(result.total).toBe(50);
    expect(result.route).toBe('POST /upload');
    expect(result.routeHits).toBe(45);
    expect(result.sampled).toBe(45);
  });

  it('stops at its time limit', async () => {
    const probe = startRouteProbe({ file: LINE_FILE, line: PROBED_LINE, timeLimit: 50 });
    touched(1);
    const result = await probe.done;
    expect(result.reason).toBe('time');
    expect(result.hits).toEqual([{ route: '(none)', count: 1 }]);
  });

  it('matches the plain path and the file URL of a script, and judges hits by share', () => {
    const re = new RegExp(scriptUrlRegex('src/app.js', '/srv/my app'));
    expect(re.test('/srv/my app/src/app.js')).toBe(true);
    expect(re.test('file:///srv/my%20app/src/app.js')).toBe(true);
    expect(re.test('/srv/my app/src/app.jsx')).toBe(false);
    expect(probeVerdict([{ route: 'GET /a', count: 19 }]).route).toBeUndefined();
    expect(probeVerdict([{ route: 'GET /a', count: 20 }]).route).toBe('GET /a');
    expect(
      probeVerdict([
        { route: 'GET /a', count: 80 },
        { route: '(none)', count: 500 },
        { route: 'GET /b', count: 20 },
      ]).route,
    ).toBe('GET /a');
  });
});

const ROUTES = ['GET /predict', 'GET /items', 'POST /upload', 'GET /work'];

describe('chooseRoute()', () => {
  const at = (route: string, share: number) => ({
    route,
    requests: 100,
    bytesPerRequest: 50,
    unique: 50,
    stderr: 5,
    share,
  });
  const probe = (route: string, share: number) => ({
    ...at(route, share),
    method: 'probe' as const,
    probe: { hits: 184, sampled: 200 },
  });

  it('takes the probe’s route over a regression that names another, keeping the regression’s', () => {
    const r = chooseRoute(at('POST /login', 0.9), probe('GET /predict', 0.5), [
      { route: 'GET /predict', count: 200 },
    ]);
    expect(r.route?.route).toBe('GET /predict');
    expect(r.regressionRoute?.route).toBe('POST /login');
  });

  it('keeps the regression’s on a line both run when it explains the growth and the probe’s does not', () => {
    const hits = [
      { route: 'POST /quote', count: 184 },
      { route: 'POST /subscribe', count: 16 },
    ];
    const r = chooseRoute(at('POST /subscribe', 1), probe('POST /quote', 0.01), hits);
    expect(r.route).toMatchObject({ route: 'POST /subscribe', method: 'regression' });
    expect(r.probeRoute?.route).toBe('POST /quote');
    // Not when the regression's route never ran the line, nor when the probe's explains growth too.
    expect(
      chooseRoute(at('POST /subscribe', 1), probe('POST /quote', 0.01), hits.slice(0, 1)).route?.route,
    ).toBe('POST /quote');
    expect(chooseRoute(at('POST /subscribe', 0.8), probe('POST /quote', 0.3), hits).route?.route).toBe(
      'POST /quote',
    );
  });

  it('adds the probe’s count to the regression’s route when they agree', () => {
    const r = chooseRoute(at('GET /predict', 0.9), probe('GET /predict', 0.9), []);
    expect(r.route).toMatchObject({
      route: 'GET /predict',
      method: 'regression',
      probe: { hits: 184, sampled: 200 },
    });
    expect(chooseRoute(undefined, undefined, [])).toEqual({});
  });
});

describe('the monitor under a steady mix of routes', () => {
  it.each([
    ['in its handler', 'sync', 'GET /predict/:id', 15],
    ["in req.on('end')", 'body', 'POST /upload/:id', 19],
  ] as const)('names the route that leaks %s by probing the growing line', async (_, leak, route, line) => {
    const app = await startApp({ leak });
    monitor = createMonitor({ interval: '100ms', heapSnapshots: 'off', collectGarbage: '500ms' });
    const errors: LeakkitError[] = [];
    monitor.on('error', (e) => errors.push(e));
    monitor.start();
    // Until the probe has answered: the regression may name a route first (under load, measured: the
    // wrong one), and the probe's answer then takes its place.
    const m = monitor;
    const deadline = Date.now() + 45_000;
    const probed = () => m.report().routes.some((r) => r.probe !== undefined);
    await drive(app.port, ROUTES, () => Date.now() > deadline || probed());
    const report = monitor.report();
    const named = (f: Finding) => f.route !== undefined && f.site !== undefined;
    await app.close();

    const finding = report.findings.find(named);
    expect(finding, JSON.stringify(report.findings.map((f) => f.title))).toBeDefined();
    expect(finding!.site!.file).toMatch(/fixtures\/route-probe\/steady-app\.cjs$/);
    expect(finding!.site!.line).toBe(line);
    expect(finding!.route).toBe(route);
    const row = report.routes.find((r) => r.route === route)!;
    // Found by the probe, or by the regression and confirmed by the probe.
    expect(row.probe).toBeDefined();
    if (finding!.evidence?.routeFoundBy === 'probe') {
      expect(row.method).toBe('probe');
      expect(finding!.evidence?.route).toMatch(/executes the growing line in \d+ of \d+ sampled runs/);
    } else expect(row.method).toBe('regression');
    expect(row.probe!.hits).toBeGreaterThanOrEqual(0.8 * row.probe!.sampled);
    // ~900 B per request kept (a record and a 100-element array), give or take the heap's noise.
    expect(row.bytesPerRequest).toBeGreaterThan(200);
    expect(row.bytesPerRequest).toBeLessThan(5000);
    expect(errors).toEqual([]);
    // Stopped: no probe hook, no request context subscription left.
    await monitor.stop();
    expect(probeKeys()).toEqual([]);
    expect(diagnostics.hasSubscribers('http.server.request.start')).toBe(false);
  });

  it('names no route and reports nothing for the bounded twin', async () => {
    const app = await startApp({ leak: false });
    monitor = createMonitor({ interval: '100ms', heapSnapshots: 'off', collectGarbage: '500ms' });
    const findings: Finding[] = [];
    monitor.on('finding', (f) => findings.push(f));
    monitor.start();
    const stopAt = Date.now() + 10_000;
    await drive(app.port, ROUTES, () => Date.now() > stopAt);
    const report = monitor.report();
    await app.close();
    expect(report.ticks).toBeGreaterThan(30);
    expect(report.requests).toBeGreaterThan(1000);
    expect(findings.map((f) => [f.title, f.route])).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.routes.filter((r) => r.method !== undefined)).toEqual([]);
  });

  it('does not probe with routes.probe: false', async () => {
    expect(() => createMonitor({ routes: { probe: 'yes' as never } })).toThrow(
      /Expected `routes.probe` to be a boolean/,
    );
    const app = await startApp({ leak: 'sync' });
    const m = createMonitor({
      interval: '100ms',
      heapSnapshots: 'off',
      collectGarbage: '500ms',
      routes: { probe: false },
    });
    monitor = m;
    m.start();
    const deadline = Date.now() + 45_000;
    let siteAt = 0;
    await drive(app.port, ROUTES, () => {
      if (siteAt === 0 && m.report().findings.some((f) => f.site !== undefined)) siteAt = Date.now();
      // Three more seconds once the line is named: time a probe would have had.
      return siteAt > 0 ? Date.now() > siteAt + 3000 : Date.now() > deadline;
    });
    const report = m.report();
    await app.close();
    const finding = report.findings.find((f) => f.site !== undefined);
    expect(finding, JSON.stringify(report.findings.map((f) => f.title))).toBeDefined();
    // The regression alone may name a route under this mix (the wrong one, measured), never the probe.
    expect(finding!.evidence?.routeFoundBy).not.toBe('probe');
    expect(report.routes.filter((r) => r.method === 'probe' || r.probe !== undefined)).toEqual([]);
  });
});
