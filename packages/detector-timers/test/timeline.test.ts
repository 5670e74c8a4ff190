import { performance } from 'node:perf_hooks';
import { createDetectorContext, GaugeHistory, runDetectors, setupDetectors } from '@leakkit/core';
import { timers } from '@leakkit/detector-timers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { load, runWorkload } from './helpers.js';

interface Perf {
  query(i: number): number;
  queryAndClear(i: number): number;
  tagRequest(id: number): void;
}
interface ConsoleTime {
  handle(req: { id: number; body: string }): number;
  handleWithFinally(req: { id: number; body: string }): number;
}

const perf = load<Perf>('perf.cjs');
const consoleTime = load<ConsoleTime>('console-time.cjs');
const perfOnly = (o: Parameters<typeof timers>[0] = {}) =>
  timers({ registries: false, timeouts: false, consoleTime: false, ...o });
const consoleOnly = () => timers({ registries: false, timeouts: false, performance: false });

// Labels left open by a leaking run, removed without console.timeEnd (which would print).
function forgetLabels() {
  (console as unknown as { _times?: Map<string, unknown> })._times?.clear();
}

let nextId = 0;
const request = (valid: boolean) => ({ id: ++nextId, body: valid ? 'ok' : '' });

beforeEach(() => {
  performance.clearMarks();
  performance.clearMeasures();
  // console.timeEnd prints the duration; the tests need the timing, not the output.
  vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterEach(() => {
  performance.clearMarks();
  performance.clearMeasures();
  forgetLabels();
  vi.restoreAllMocks();
});

describe('timers(): the perf_hooks timeline', () => {
  it('flags marks and measures that are never cleared, with the names that dominate', async () => {
    const getEntries = vi.spyOn(performance, 'getEntries');
    const { findings } = await runWorkload(perfOnly(), 24, (i) => perf.query(i));
    // getEntries() throws on Node 20 above ~125k entries: counting goes through getEntriesByType.
    expect(getEntries).not.toHaveBeenCalled();
    const by = Object.fromEntries(findings.map((f) => [f.id, f]));
    expect(Object.keys(by).sort()).toEqual(['timers:perf:mark', 'timers:perf:measure']);
    expect(by['timers:perf:mark']).toMatchObject({
      severity: 'leak',
      path: 'performance.mark',
      growth: { objectsPerIteration: 2, count: 48 },
      evidence: {
        dominant: [
          { name: 'db-start', count: 24, share: 0.5 },
          { name: 'db-end', count: 24, share: 0.5 },
        ],
      },
    });
    expect(by['timers:perf:mark']!.title).toBe(
      "performance.mark entries pile up: +2 per iteration, 48 held, most named 'db-start' (50%), 'db-end' (50%); Node warns at 1,000,001",
    );
    expect(by['timers:perf:mark']!.advice).toContain("performance.clearMarks('db-start')");
    expect(by['timers:perf:measure']).toMatchObject({
      path: 'performance.measure',
      growth: { objectsPerIteration: 1, count: 24 },
    });
    expect(by['timers:perf:measure']!.advice).toContain("performance.clearMeasures('db-query')");
  });

  it('says nothing when marks and measures are cleared once read', async () => {
    const { findings } = await runWorkload(perfOnly(), 24, (i) => perf.queryAndClear(i));
    expect(findings).toEqual([]);
  });

  it('groups marks named per request and keeps their ids out of the report', async () => {
    const { findings } = await runWorkload(perfOnly(), 30, (i) => perf.tagRequest(1000 + i));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.evidence?.dominant).toEqual([{ name: 'request-#', count: 30, share: 1 }]);
    expect(findings[0]!.title).not.toMatch(/request-10/);
    expect(findings[0]!.advice).toContain('performance.clearMarks(name)');
  });

  it('speaks once perfEntriesWarnAt entries are held, before a trend shows', async () => {
    for (let i = 0; i < 300; i++) perf.tagRequest(i);
    // Three samples: too few for a trend, enough for the count.
    const { findings } = await runWorkload(perfOnly({ perfEntriesWarnAt: 250 }), 3, () => {});
    expect(findings.map((f) => [f.id, f.severity, f.growth.count])).toEqual([
      ['timers:perf:mark', 'warning', 300],
    ]);
    expect(findings[0]!.title).toBe(
      "performance.mark entries pile up: 300 held, most named 'request-#' (100%); Node warns at 1,000,001",
    );
  });

  it('reads the growth per minute when no iterations are recorded', async () => {
    const gauges = new GaugeHistory();
    const ctx = createDetectorContext({ gauges });
    const detector = perfOnly();
    const dispose = await setupDetectors([detector], ctx);
    try {
      for (let s = 0; s < 16; s++) {
        perf.tagRequest(s);
        gauges.record(s * 1000);
      }
      const { findings } = await runDetectors([detector], ctx);
      expect(findings).toHaveLength(1);
      expect(findings[0]!.growth).toEqual({ count: 16, bytesPerMinute: 60 * 114 });
      expect(findings[0]!.title).toContain('+60 per minute');
    } finally {
      await dispose();
    }
  });
});

describe('timers(): the TSDoc example', () => {
  it('runs as written', async () => {
    const gauges = new GaugeHistory();
    const ctx = createDetectorContext({ gauges });
    const detector = timers({ registries: false });
    const dispose = await setupDetectors([detector], ctx);
    for (let i = 1; i <= 24; i++) {
      performance.mark(`request-${i}`); // never cleared
      gauges.record(Date.now(), { iterations: i });
    }
    const { findings } = await runDetectors([detector], ctx);
    expect(findings[0]?.id).toBe('timers:perf:mark');
    expect(findings[0]?.title).toMatch(
      /^performance\.mark entries pile up: \+1 per iteration, 24 held, most named 'request-#' \(100%\); /,
    );
    await dispose();
  });
});

describe('timers(): console.time labels', () => {
  it('flags labels that an early return leaves open', async () => {
    const { findings } = await runWorkload(consoleOnly(), 24, (i) =>
      consoleTime.handle(request(i % 2 === 0)),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      id: 'timers:console.time',
      path: 'console._times',
      severity: 'leak',
      growth: { objectsPerIteration: 0.5, count: 12 },
      evidence: { dominant: [{ name: 'req-#', count: 12, share: 1 }] },
    });
    expect(findings[0]!.title).toBe(
      "console.time labels are never ended: +0.5 per iteration, 12 open (labels like 'req-#')",
    );
    expect(findings[0]!.advice).toContain('console.timeEnd(label)');
  });

  it('says nothing when the label is ended in a finally block', async () => {
    const { findings } = await runWorkload(consoleOnly(), 24, (i) =>
      consoleTime.handleWithFinally(request(i % 2 === 0)),
    );
    expect(findings).toEqual([]);
  });

  it('records nothing on a console without _times', async () => {
    const times = Object.getOwnPropertyDescriptor(console, '_times');
    Object.defineProperty(console, '_times', { value: undefined, configurable: true, writable: true });
    try {
      const { findings, gauges } = await runWorkload(consoleOnly(), 12, () => {});
      expect(findings).toEqual([]);
      expect(Number.isNaN(gauges.latest('timers:console.time'))).toBe(true);
    } finally {
      if (times) Object.defineProperty(console, '_times', times);
    }
  });
});
