import { promisify } from 'node:util';
import { createDetectorContext, GaugeHistory, setupDetectors } from '@leakkit/core';
import { timers } from '@leakkit/detector-timers';
import { afterEach, describe, expect, it } from 'vitest';
import { load, markerLine, runWorkload, timelineFixture } from './helpers.js';

interface Jobs {
  submit(id: number): number;
  submitAndWait(id: number): number;
  connect(id: number): { heartbeat: NodeJS.Timeout };
  disconnect(conn: { heartbeat: NodeJS.Timeout }): void;
  login(id: number): NodeJS.Timeout;
  logout(id: number, expiry: NodeJS.Timeout): void;
  retryLater(fn: () => void): NodeJS.Timeout;
  shutdown(): void;
}

const jobs = load<Jobs>('jobs.cjs');
const file = timelineFixture('jobs.cjs');
const timeoutsOnly = (o: Parameters<typeof timers>[0] = {}) =>
  timers({ registries: false, performance: false, consoleTime: false, ...o });
const nodeTimers = process.getBuiltinModule('node:timers');

afterEach(() => jobs.shutdown());

describe('timers(): intervals and timeouts that pile up', () => {
  it('flags an interval per job that is never cleared, at the line that creates it', async () => {
    const { findings } = await runWorkload(timeoutsOnly(), 24, (i) => jobs.submit(i));
    const line = markerLine(file, '@site poller');
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({
      id: `timers:timeout:${file}:${line}`,
      detector: 'timers',
      severity: 'leak',
      site: { file, line },
      growth: { objectsPerIteration: 1, count: 24 },
      evidence: { kind: 'setInterval', live: 24, unref: 0, intervals: 24 },
    });
    expect(f!.title).toBe(`Intervals created at jobs.cjs:${line} pile up: +1 per iteration, 24 live`);
    expect(f!.advice).toContain('clearInterval(handle)');
    // The stack that created them, from the site down through the caller.
    const stack = String(f!.evidence!.stack);
    expect(stack.split('\n')[0]).toContain(`jobs.cjs:${line}:`);
    expect(stack).toContain(`jobs.cjs:${markerLine(file, 'const poller = new Poller')}:`);
  });

  it('says nothing when each poller is closed when its job settles', async () => {
    const { findings } = await runWorkload(timeoutsOnly(), 24, (i) => jobs.submitAndWait(i));
    expect(findings).toEqual([]);
  });

  it("counts unref'd intervals made through node:timers, which getActiveResourcesInfo() misses", async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    let during = 0;
    const { findings } = await runWorkload(timeoutsOnly(), 24, (i) => {
      jobs.connect(i);
      during = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    });
    expect(during).toBe(before);
    const line = markerLine(file, '@site heartbeat');
    expect(findings.map((f) => f.site)).toEqual([{ file, line, column: expect.any(Number) }]);
    expect(findings[0]!.evidence).toMatchObject({ live: 24, unref: 24 });
    expect(findings[0]!.title).toContain("(24 unref'd, invisible to open-handle tools)");
    expect(findings[0]!.advice).toContain('unref() only lets the process exit');
  });

  it('says nothing when heartbeats are cleared as connections close', async () => {
    let previous: { heartbeat: NodeJS.Timeout } | undefined;
    const { findings } = await runWorkload(timeoutsOnly(), 24, (i) => {
      if (previous) jobs.disconnect(previous);
      previous = jobs.connect(i);
    });
    expect(findings).toEqual([]);
  });

  it('flags a long timeout per login that stays after logout', async () => {
    const { findings } = await runWorkload(timeoutsOnly(), 24, (i) => jobs.login(i));
    const line = markerLine(file, '@site expiry');
    expect(findings.map((f) => [f.id, f.site?.line])).toEqual([[`timers:timeout:${file}:${line}`, line]]);
    expect(findings[0]!.title).toMatch(
      /^Timeouts created at jobs\.cjs:\d+ pile up: \+1 per iteration, 24 live$/,
    );
    expect(findings[0]!.advice).toContain('clearTimeout(handle)');
  });

  it('says nothing when logout clears the expiry', async () => {
    const { findings } = await runWorkload(timeoutsOnly(), 24, (i) => jobs.logout(i, jobs.login(i)));
    expect(findings).toEqual([]);
  });

  it('says nothing for short timeouts that fire by themselves', async () => {
    let fired = 0;
    const { findings, gauges } = await runWorkload(timeoutsOnly(), 24, async (i) => {
      for (let k = 0; k < 5; k++) jobs.retryLater(() => fired++);
      if (i % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    });
    expect(fired).toBeGreaterThan(0);
    // Due within the grace: not even recorded.
    expect(Math.max(...gauges.series('timers:active')!)).toBe(0);
    expect(findings).toEqual([]);
  });

  it('treats timeouts longer than timeoutGrace as piling up', async () => {
    let fired = 0;
    // 20 ms is long next to a grace of 1 ms: every retry is recorded; they all fire, so no finding.
    const { findings, gauges } = await runWorkload(timeoutsOnly({ timeoutGrace: 1 }), 24, async (i) => {
      setTimeout(() => fired++, 20);
      if (i % 6 === 0) await new Promise((resolve) => setTimeout(resolve, 30));
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fired).toBe(24);
    expect(Math.max(...gauges.series('timers:active')!)).toBeGreaterThan(0);
    expect(findings).toEqual([]);
  });

  it('follows no more than maxSites sites', async () => {
    const { findings, gauges } = await runWorkload(timeoutsOnly({ maxSites: 0 }), 24, (i) => jobs.submit(i));
    expect(findings).toEqual([]);
    expect(gauges.names().filter((n) => n.startsWith('timers:timeout:'))).toEqual([]);
    expect(gauges.latest('timers:active')).toBe(24);
  });
});

describe('timers(): wrapping the timer functions', () => {
  const originals = () => ({
    globalTimeout: globalThis.setTimeout,
    globalInterval: globalThis.setInterval,
    moduleTimeout: nodeTimers.setTimeout,
    moduleInterval: nodeTimers.setInterval,
  });

  it('wraps global and node:timers functions, ES module imports included, and restores them exactly', async () => {
    const before = originals();
    const ctx = createDetectorContext({ gauges: new GaugeHistory() });
    const dispose = await setupDetectors([timeoutsOnly()], ctx);
    const during = originals();
    const esm = await import('node:timers');
    expect(during.globalTimeout.name).toBe('leakkitSetTimeout');
    expect(during.moduleInterval.name).toBe('leakkitSetInterval');
    expect(esm.setInterval).toBe(during.moduleInterval);
    // util.promisify(setTimeout) keeps its promise version.
    expect(await promisify(setTimeout)(1, 'done')).toBe('done');
    await dispose();
    await dispose();
    expect(originals()).toEqual(before);
    expect((await import('node:timers')).setInterval).toBe(before.moduleInterval);
  });

  it('leaves a wrapper installed after ours in place, and ours passes calls through', async () => {
    const before = originals();
    const ctx = createDetectorContext({ gauges: new GaugeHistory() });
    const detector = timeoutsOnly();
    const dispose = await setupDetectors([detector], ctx);
    const ours = globalThis.setInterval;
    let calls = 0;
    const theirs = function theirSetInterval(this: unknown, ...args: Parameters<typeof setInterval>) {
      calls++;
      return ours.apply(this, args);
    } as typeof setInterval;
    globalThis.setInterval = theirs;
    try {
      await dispose();
      expect(globalThis.setInterval).toBe(theirs);
      expect(nodeTimers.setInterval).toBe(before.moduleInterval);
      const handle = setInterval(() => {}, 1000);
      clearInterval(handle);
      expect(calls).toBe(1);
      // Ours no longer records: nothing to report after dispose.
      expect(await detector.check(ctx)).toEqual([]);
    } finally {
      globalThis.setInterval = before.globalInterval;
    }
  });

  it('never breaks a timer function that returns something other than a Timeout', async () => {
    const before = originals();
    const fake = ((..._args: unknown[]) => 42) as unknown as typeof setInterval;
    globalThis.setInterval = fake;
    const ctx = createDetectorContext({ gauges: new GaugeHistory() });
    const dispose = await setupDetectors([timeoutsOnly()], ctx);
    try {
      expect(setInterval(() => {}, 1000)).toBe(42);
      ctx.gauges.watch('x', () => 0);
      (ctx.gauges as GaugeHistory).record(0);
      expect(ctx.gauges.latest('timers:active')).toBe(0);
    } finally {
      await dispose();
      expect(globalThis.setInterval).toBe(fake);
      globalThis.setInterval = before.globalInterval;
    }
  });
});
