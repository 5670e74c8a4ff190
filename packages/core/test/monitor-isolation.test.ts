import { createHook } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import type { Detector, LeakkitError, Monitor, MonitorSample, Reporter } from '@leakkit/core';
import { createMonitor, isTracing } from '@leakkit/core';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';

// The monitor never hurts its host: detectors and reporters that throw or hang are isolated and
// reported once; stop() leaves nothing behind.

let monitor: Monitor | undefined;
afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
});

/** A detector that finds something on every check: a gauge it watches itself. */
function counting(name: string): Detector & { checks: number } {
  const d = {
    name,
    checks: 0,
    check() {
      d.checks++;
      return [
        {
          id: `${name}:queue`,
          detector: name,
          severity: 'warning' as const,
          title: 'queue grows',
          path: `${name}.queue`,
          growth: { count: d.checks },
          confidence: 0.6,
          advice: 'drain it',
        },
      ];
    },
  };
  return d;
}

async function ticks(m: Monitor, n: number): Promise<MonitorSample[]> {
  const out: MonitorSample[] = [];
  for (let i = 0; i < n; i++) out.push(await m.check());
  return out;
}

describe('createMonitor() isolation', () => {
  it('keeps running the other detectors when one throws, and reports the throw once', async () => {
    const good = counting('good');
    const thrower: Detector = {
      name: 'thrower',
      check() {
        throw new Error('boom');
      },
    };
    monitor = createMonitor({ interval: '1h', detectors: [thrower, good], tracing: false });
    const errors: LeakkitError[] = [];
    monitor.on('error', (e) => errors.push(e));
    monitor.start();
    await ticks(monitor, 5);
    expect(good.checks).toBe(5);
    expect(monitor.report().findings.map((f) => f.id)).toEqual(['good:queue']);
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ['ERR_LEAKKIT_DETECTOR_FAILED', 'Detector `thrower` check() failed: boom'],
    ]);
  });

  it('time-boxes a hanging detector, reports it once and stops waiting for it', async () => {
    const good = counting('good');
    let hung = 0;
    const hanging: Detector = {
      name: 'hanging',
      check() {
        hung++;
        return new Promise(() => {});
      },
    };
    monitor = createMonitor({ interval: '1h', timeout: '50ms', detectors: [hanging, good], tracing: false });
    const errors: LeakkitError[] = [];
    monitor.on('error', (e) => errors.push(e));
    monitor.start();
    const started = Date.now();
    await ticks(monitor, 6);
    // Its check never settles: it sat the later ticks out instead of costing each one a time box.
    expect(hung).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(good.checks).toBe(6);
    expect(errors.map((e) => e.code)).toEqual(['ERR_LEAKKIT_DETECTOR_TIMEOUT']);
  });

  it('isolates reporters that throw, reject or hang; the others still get every call', async () => {
    const samples: number[] = [];
    const calls = { thrower: 0, rejecter: 0, hanger: 0 };
    const reporters: Reporter[] = [
      {
        name: 'thrower',
        onSample() {
          calls.thrower++;
          throw new Error('render failed');
        },
      },
      {
        name: 'rejecter',
        async onSample() {
          calls.rejecter++;
          throw new Error('upload failed');
        },
      },
      {
        name: 'hanger',
        onSample() {
          calls.hanger++;
          return new Promise(() => {});
        },
      },
      { name: 'good', onSample: (s) => void samples.push(s.tick) },
    ];
    monitor = createMonitor({ interval: '1h', timeout: '50ms', reporters, tracing: false });
    const errors: LeakkitError[] = [];
    monitor.on('error', (e) => errors.push(e));
    monitor.start();
    await ticks(monitor, 4);
    await new Promise((r) => setTimeout(r, 100));
    await ticks(monitor, 2);
    expect(samples).toEqual([1, 2, 3, 4, 5, 6]);
    // A hung call blocks only its own reporter's later calls.
    expect(calls).toEqual({ thrower: 6, rejecter: 6, hanger: 1 });
    expect(errors.map((e) => e.message).sort()).toEqual([
      'Reporter `hanger` onSample() did not settle within 50 ms',
      'Reporter `rejecter` onSample() rejected: upload failed',
      'Reporter `thrower` onSample() threw: render failed',
    ]);
  });

  it('survives a throwing event listener', async () => {
    monitor = createMonitor({ interval: '1h', tracing: false });
    monitor.on('sample', () => {
      throw new Error('listener bug');
    });
    const errors: string[] = [];
    monitor.on('error', (e) => errors.push(e.message));
    monitor.start();
    await ticks(monitor, 3);
    expect(errors).toEqual(['A `sample` listener threw: listener bug']);
  });
});

describe('monitor.stop()', () => {
  const resources = () => {
    const counts: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
    return counts;
  };

  it('leaves no handles, timers, subscriptions, signal listeners or tracing behind', async () => {
    // Every timer leakkit's own code creates, from its creation to its end (cleared, or fired for a
    // timeout): unref'd timers are missing from getActiveResourcesInfo(), async_hooks sees them all.
    const timers = new Map<number, string>();
    const hook = createHook({
      init(id, type) {
        if (type !== 'Timeout') return;
        const stack = new Error().stack ?? '';
        if (/packages[\\/]core[\\/]src[\\/]/.test(stack)) timers.set(id, stack);
      },
      destroy(id) {
        timers.delete(id);
      },
    }).enable();
    onTestFinished(() => {
      hook.disable();
    });
    const before = resources();
    const signals = process.listenerCount('SIGUSR2');
    const sizes = new Map([[1, 1]]);
    monitor = createMonitor({
      interval: '20ms',
      captureSignal: 'SIGUSR2',
      // No collections of its own: V8's are watched, with the GC profiler and its rotation timer.
      collectGarbage: false,
      watch: { sizes },
      // One needs allocation sites at every tick: tracing is on from start() to stop().
      detectors: [
        counting('d'),
        { name: 'setup', needs: { allocations: true }, setup: () => () => {}, check: () => [] },
      ],
    });
    monitor.start();
    expect(diagnostics.hasSubscribers('http.server.response.finish')).toBe(true);
    expect(process.listenerCount('SIGUSR2')).toBe(signals + 1);
    expect(isTracing()).toBe(true);
    // Until two ticks have run and the tick timer and the GC profiler's rotation exist, whatever
    // the machine's load (a fixed wait read one tick on a busy machine); 10 s is the test's limit.
    const running = monitor;
    const deadline = Date.now() + 8000;
    while ((running.report().ticks < 2 || timers.size < 2) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const stopping = monitor;
    expect(timers.size).toBeGreaterThanOrEqual(2);
    const report = await monitor.stop();
    const ticksAtStop = () => stopping.report().ticks;
    monitor = undefined;
    expect(report.ticks).toBeGreaterThan(1);
    expect(diagnostics.hasSubscribers('http.server.response.finish')).toBe(false);
    expect(diagnostics.hasSubscribers('tracing:fastify.request.handler:start')).toBe(false);
    expect(process.listenerCount('SIGUSR2')).toBe(signals);
    expect(isTracing()).toBe(false);
    await new Promise((r) => setImmediate(r));
    // Nothing of the monitor's is left (the runner's own handles may come and go meanwhile).
    const after = resources();
    for (const [type, n] of Object.entries(after)) expect(n, type).toBeLessThanOrEqual(before[type] ?? 0);
    // Its unref'd tick timer is gone too: no tick runs after stop().
    await new Promise((r) => setTimeout(r, 100));
    expect(ticksAtStop()).toBe(report.ticks);
    hook.disable();
    // No timer of leakkit's is left, running or waiting (the stacks say where any was made).
    expect([...timers.values()]).toEqual([]);
  });

  it('never keeps the process alive: its timers are unref’d', async () => {
    monitor = createMonitor({ interval: '10s' });
    monitor.start();
    const refd = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await monitor.stop();
    monitor = undefined;
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(refd);
  });

  it('is idempotent and sends the final report once', async () => {
    let reports = 0;
    monitor = createMonitor({
      interval: '1h',
      tracing: false,
      reporters: [{ onReport: () => void reports++ }],
    });
    monitor.start();
    await monitor.check();
    const [a, b] = await Promise.all([monitor.stop(), monitor.stop()]);
    expect(a).toBe(b);
    expect(reports).toBe(1);
    monitor = undefined;
  });
});
