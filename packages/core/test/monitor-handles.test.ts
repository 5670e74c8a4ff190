import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Finding, Monitor } from '@leakkit/core';
import { createDetectorContext, createMonitor, GaugeHistory } from '@leakkit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { programFrame } from '../src/monitor/handle-sites.js';
import { handlesDetector } from '../src/monitor/handles.js';

// Handles that pile up hold little heap: an `fs.watch()` watcher is a few hundred bytes, yet a
// server that opens one per request runs out of inotify watches (or file descriptors) first.

function contextWith(series: Record<string, (i: number) => number | undefined>, ticks = 60) {
  const gauges = new GaugeHistory();
  for (let i = 0; i < ticks; i++) {
    const values: Record<string, number> = {};
    for (const [name, at] of Object.entries(series)) {
      const v = at(i);
      if (v !== undefined) values[name] = v;
    }
    gauges.record(i * 1000, values);
  }
  return createDetectorContext({ gauges });
}

describe('the monitor’s handles detector', () => {
  it('reports a handle type whose count rises as a leak does, with what closes it', () => {
    // Noise of a few handles either way around a rise of ten a second.
    const ctx = contextWith({ 'handles:FSEventWrap': (i) => 10 * i + ((i * 7) % 5) });
    const [finding, ...more] = handlesDetector().check(ctx) as Finding[];
    expect(more).toEqual([]);
    expect(finding).toMatchObject({
      id: 'handles:FSEventWrap',
      detector: 'handles',
      severity: 'leak',
      path: '(active handles) › FSEventWrap',
      growth: { count: 593 },
    });
    expect(finding!.title).toMatch(/^Open `fs\.watch\(\)` watchers pile up: \+6\d\d per minute, 593 open$/);
    expect(finding!.advice).toMatch(/watcher\.close\(\)/);
  });

  it('stays quiet for sockets that rise with the load and level off, a few strays, timeouts, and types that come and go', () => {
    const ctx = contextWith({
      // Connections opened as the load ramps up, then steady.
      'handles:TCPSocketWrap': (i) => Math.min(64, 8 * i) + (i % 3),
      // A slow, small rise: under the least rise worth a word.
      'handles:PipeWrap': (i) => Math.floor(i / 5),
      // Timeouts are the timers detector's.
      'handles:Timeout': (i) => 20 * i,
      // Present at some ticks only (NaN at the others reads as none open).
      'handles:FSReqCallback': (i) => (i % 4 === 0 ? 3 : undefined),
    });
    expect(handlesDetector().check(ctx)).toEqual([]);
  });

  it('stays quiet for connections that follow a steady rise in traffic (+30% over the window)', () => {
    const ctx = contextWith({ 'handles:TCPSocketWrap': (i) => 200 + i });
    expect(handlesDetector().check(ctx)).toEqual([]);
    // The same rise from a handful open is a leak.
    const leak = contextWith({ 'handles:TCPSocketWrap': (i) => 5 + i });
    expect((handlesDetector().check(leak) as Finding[]).map((f) => f.id)).toEqual(['handles:TCPSocketWrap']);
  });

  it('names the route whose requests the count follows, when one stands out', () => {
    // The mix shifts every ten ticks; each request of GET /config opens a watcher, GET /time none.
    const perTick = (i: number, hot: boolean) => ((Math.floor(i / 10) % 2 === 0) === hot ? 15 : 5);
    const cumulative = (hot: boolean) => (i: number) => {
      let total = 0;
      for (let k = 0; k <= i; k++) total += perTick(k, hot);
      return total;
    };
    const config = cumulative(true);
    const ctx = contextWith({
      'route:GET /config': config,
      'route:GET /time': cumulative(false),
      'handles:FSEventWrap': (i) => config(i) + (i % 3),
    });
    const [finding] = handlesDetector().check(ctx) as Finding[];
    expect(finding!.route).toBe('GET /config');
    // Without routes counted, no route.
    const bare = contextWith({ 'handles:FSEventWrap': (i) => config(i) });
    expect((handlesDetector().check(bare) as Finding[])[0]!.route).toBeUndefined();
  });

  it('names the type of an unknown handle and gives the general advice', () => {
    const ctx = contextWith({ 'handles:ZlibWrap': (i) => 5 * i });
    const [finding] = handlesDetector().check(ctx) as Finding[];
    expect(finding!.title).toMatch(/^Open `ZlibWrap` handles pile up/);
    expect(finding!.advice).toMatch(/^Close or destroy what you open/);
  });
});

describe('createMonitor() and handles', () => {
  let monitor: Monitor | undefined;
  const watchers: fs.FSWatcher[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakkit-handles-'));

  afterEach(async () => {
    await monitor?.stop();
    monitor = undefined;
    for (const w of watchers.splice(0)) w.close();
  });

  it('reports fs.watch() watchers opened and never closed, from the live gauges', async () => {
    monitor = createMonitor({ interval: '50ms', heapSnapshots: 'off', tracing: false });
    const findings: Finding[] = [];
    monitor.on('finding', (f) => findings.push(f));
    monitor.start();
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, '{}');
    // A watcher per "request", twenty a second, never closed.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !findings.some((f) => f.detector === 'handles')) {
      watchers.push(fs.watch(file, () => {}));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const finding = findings.find((f) => f.detector === 'handles');
    expect(finding, JSON.stringify(findings.map((f) => f.title))).toBeDefined();
    expect(finding!.id).toBe('handles:FSEventWrap');
    expect(finding!.growth.count).toBeGreaterThanOrEqual(20);
    // Where they are opened, sampled from the watchers opened after the first report.
    const sited = () =>
      monitor!.report().findings.find((f) => f.detector === 'handles' && f.site !== undefined);
    const until = Date.now() + 10_000;
    while (Date.now() < until && sited() === undefined) {
      watchers.push(fs.watch(file, () => {}));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(sited()?.site?.file).toMatch(/monitor-handles\.test\.ts$/);
  });

  it('takes the program’s own frame from a stack: past Node’s frames and dependencies', () => {
    const stack = [
      'Error',
      '    at emitInitNative (node:internal/async_hooks:202:43)',
      '    at new FSWatcher (node:internal/fs/watchers:251:3)',
      '    at Object.watch (node:fs:2464:36)',
      '    at watchConfig (/app/node_modules/chokidar/index.js:40:9)',
      '    at Server.<anonymous> (file:///app/server.mjs:16:20)',
      '    at Server.emit (node:events:519:28)',
    ].join('\n');
    expect(programFrame(stack)).toBe('file:///app/server.mjs\u000016\u000020');
    // Only a dependency's frame: that one.
    expect(programFrame(stack.replace('file:///app/server.mjs', 'node:http'))).toBe(
      '/app/node_modules/chokidar/index.js\u000040\u00009',
    );
    expect(programFrame('Error\n    at /srv/app.js:3:1')).toBe('/srv/app.js\u00003\u00001');
    expect(programFrame('Error\n    at node:fs:1:1')).toBeUndefined();
  });
});
