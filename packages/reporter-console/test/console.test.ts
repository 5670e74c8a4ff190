import type { Finding, MonitorReport } from '@leakkit/core';
import { consoleReporter } from '@leakkit/reporter-console';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const MiB = 2 ** 20;

const finding: Finding = {
  id: 'timers:TimerMetrics.timers',
  detector: 'timers',
  severity: 'leak',
  title: 'Timing list `TimerMetrics.timers` grows by 900 elements per step and is never cleared',
  path: 'TimerMetrics.timers',
  site: { file: 'examples/leaky-server/timing.mjs', line: 5 },
  route: 'GET /predict',
  growth: { count: 12149, bytes: 340_000 },
  confidence: 0.96,
  advice: 'Clear it after you report (`TimerMetrics.timers.length = 0`).',
  evidence: {
    route: 'GET /predict: +64 B per request, explains 93% of growth',
    allocation:
      'examples/leaky-server/timing.mjs:25: size=1137 KiB (+1137 KiB), count=12299 (+12299), average=95 B',
    alsoReportedBy: [{ detector: 'growth', id: 'growth:heap' }],
  },
};

const report: MonitorReport = {
  time: 1_000_000 + 43_000,
  startedAt: 1_000_000,
  ticks: 39,
  level: 'heap-graphs',
  heap: {
    afterGC: 8.2 * MiB,
    used: 12 * MiB,
    rss: 180 * MiB,
    external: 2 * MiB,
    arrayBuffers: 0.1 * MiB,
    limit: 4096 * MiB,
    cgroupLimit: null,
    series: [6.2, 6.4, 6.9, 7.3, 7.8, 8.2].map((x) => x * MiB),
    times: [0, 1, 2, 3, 4, 5].map((s) => 1_000_000 + s * 1000),
    trend: {
      verdict: 'leak',
      reason: 'sustained-growth',
      bytesPerHour: 110 * MiB,
      confidence: 0.99,
      samples: 39,
    },
    forecast: {
      limit: 4096 * MiB,
      source: 'heap',
      bytesPerHour: 110 * MiB,
      eta: 36e6,
      text: 'heap +110 MiB/h; reaches the 4.0 GiB limit (heap limit, --max-old-space-size) in ~37 h',
    },
  },
  requests: 51_644,
  routes: [
    { route: 'GET /predict', requests: 8554, bytesPerRequest: 64, unique: 60, stderr: 9, share: 0.93 },
    {
      route: 'POST /score',
      requests: 7570,
      bytesPerRequest: 0,
      unique: 0,
      stderr: Number.POSITIVE_INFINITY,
      share: 0,
    },
  ],
  allocations: [
    'examples/leaky-server/timing.mjs:25: size=1137 KiB (+1137 KiB), count=12299 (+12299), average=95 B',
  ],
  captures: {
    taken: 4,
    skipped: 0,
    lastPause: 501,
    growth: [
      { path: 'TimerMetrics.timers', kind: 'array', countPerStep: 944, bytesPerStep: 60_000, share: 0.32 },
    ],
    files: [],
  },
  findings: [finding],
  errors: [],
};

function capture(options: { isTTY?: boolean; color?: boolean | 'auto' } = {}) {
  let text = '';
  const stream = {
    write: (t: string) => {
      text += t;
    },
    isTTY: options.isTTY ?? false,
    columns: 120,
  };
  const reporter = consoleReporter({
    stream,
    ...(options.color === undefined ? {} : { color: options.color }),
  });
  return { reporter, text: () => text };
}

const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
beforeEach(() => {
  delete process.env.NO_COLOR;
  delete process.env.FORCE_COLOR;
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('consoleReporter()', () => {
  it('renders the report: sparkline, forecast, routes, tracemalloc lines, findings with path, site, route, advice', () => {
    const { reporter, text } = capture();
    reporter.onReport!(report);
    const out = text();
    expect(out).toContain('leakkit report · 43 s · 51,644 requests · 39 ticks · evidence: heap-graphs');
    expect(out).toMatch(/heap after GC {2}▁[▁-█]+█ {2}6\.2 MiB → 8\.2 MiB/);
    expect(out).toContain(
      'heap +110 MiB/h; reaches the 4.0 GiB limit (heap limit, --max-old-space-size) in ~37 h',
    );
    expect(out).toMatch(/GET \/predict +8,554 req +\+64 B\/req +explains 93% of growth/);
    expect(out).toContain(
      '  examples/leaky-server/timing.mjs:25: size=1137 KiB (+1137 KiB), count=12299 (+12299), average=95 B',
    );
    expect(out).toContain('TimerMetrics.timers  array, +944 per capture, 32% of heap growth');
    expect(out).toMatch(/ {2}leak {5}Timing list TimerMetrics\.timers grows/);
    expect(out).toContain('    path      TimerMetrics.timers');
    expect(out).toContain('    site      examples/leaky-server/timing.mjs:5');
    expect(out).toContain('    route     GET /predict: +64 B per request, explains 93% of growth');
    expect(out).toContain('    advice    Clear it after you report (`TimerMetrics.timers.length = 0`).');
    expect(out).toContain('    by        timers (also: growth), confidence 96%');
    // Not a terminal: no escape codes.
    expect(out).not.toContain('\u001b[');
  });

  it('counts a chain in what it is made of: promises, reactions, links', () => {
    const chain = (name: string): Finding => ({
      ...finding,
      id: `growth:${name}`,
      detector: 'growth',
      growth: { count: 1200, bytes: 96_000 },
      evidence: { growth: { kind: 'chain', name } },
    });
    const line = (f: Finding) => {
      const { reporter, text } = capture();
      reporter.onReport!({ ...report, findings: [f] });
      return text()
        .split('\n')
        .find((l) => l.startsWith('    growth'));
    };
    expect(line(chain('Promise'))).toBe('    growth    1,200 promises · 93.8 KiB held');
    expect(line(chain('PromiseReaction'))).toBe('    growth    1,200 reactions · 93.8 KiB held');
    expect(line(chain('Revision'))).toBe('    growth    1,200 links · 93.8 KiB held');
    // A pattern detector's finding without heap growth evidence: entries.
    expect(line(finding)).toBe('    growth    12,149 entries · 332 KiB held');
  });

  it('colours severities on a terminal, and not with NO_COLOR', () => {
    const tty = capture({ isTTY: true });
    tty.reporter.onFinding!(finding, 'new');
    expect(tty.text()).toContain('\u001b[31mleak\u001b[39m');
    process.env.NO_COLOR = '1';
    const plain = capture({ isTTY: true });
    plain.reporter.onFinding!(finding, 'new');
    expect(plain.text()).not.toContain('\u001b[');
    expect(plain.text()).toBe(
      'leakkit: leak Timing list TimerMetrics.timers grows by 900 elements per step and is never cleared (GET /predict, TimerMetrics.timers, examples/leaky-server/timing.mjs:5, allocated at examples/leaky-server/timing.mjs:25)\n',
    );
  });

  it('says why no route is named when the heap grows and no route explains it', () => {
    const steady = capture();
    steady.reporter.onReport!({ ...report, routes: report.routes.map((x) => ({ ...x, share: 0 })) });
    expect(steady.text()).toContain('no route explains the growth');
    const named = capture();
    named.reporter.onReport!(report);
    expect(named.text()).not.toContain('no route explains the growth');
  });

  it('names the route the probe found, and how, instead of saying that no route explains the growth', () => {
    const probed: MonitorReport = {
      ...report,
      routes: [
        {
          route: 'GET /predict',
          requests: 8554,
          bytesPerRequest: 64,
          unique: 0,
          stderr: Number.POSITIVE_INFINITY,
          share: 0,
          method: 'probe',
          probe: { hits: 200, sampled: 200 },
        },
        ...report.routes.slice(1),
      ],
    };
    process.env.NO_COLOR = '1';
    const out = capture({ isTTY: true });
    out.reporter.onReport!(probed);
    expect(out.text()).toContain(
      '  route GET /predict (executes the growing line in 200 of 200 sampled runs)',
    );
    expect(out.text()).not.toContain('no route explains the growth');
    expect(out.text()).not.toContain('\u001b[');
    delete process.env.NO_COLOR;
    const tty = capture({ isTTY: true });
    tty.reporter.onReport!(probed);
    expect(tty.text()).toContain('route GET /predict');
  });

  it('says so when there is nothing to report', () => {
    const { reporter, text } = capture();
    reporter.onReport!({
      ...report,
      findings: [],
      routes: [],
      allocations: [],
      captures: { taken: 0, skipped: 0, growth: [], files: [] },
    });
    expect(text()).toContain('No leak found (heap trend: leak)');
  });

  it('rejects bad options', () => {
    expect(() => consoleReporter({ color: 'always' as never })).toThrow(/Expected `color`/);
    expect(() => consoleReporter({ stream: {} as never })).toThrow(/Expected `stream`/);
    expect(() => consoleReporter({ top: -1 })).toThrow(/Expected `top`/);
  });
});
