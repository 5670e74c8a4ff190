import { getActiveResourcesInfo } from 'node:process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { FIT_TICKS, GcWatcher } from '../src/monitor/gc.js';

// A major GC the watcher did not run itself, as V8 would: `gc` from a fresh context.
setFlagsFromString('--expose-gc');
const v8Gc = runInNewContext('gc') as () => void;

const watchers: GcWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.stop();
});

function watcher(watchV8 = false): GcWatcher {
  const w = new GcWatcher();
  watchers.push(w);
  w.start(1000, watchV8);
  return w;
}

describe('GcWatcher', () => {
  it('runs no GC profiler while its own collection fits the budget', () => {
    const w = watcher();
    expect(w.watching).toBe(false);
    for (let i = 0; i < 5; i++) {
      const r = w.read(10_000, process.memoryUsage().heapUsed);
      expect(r.collected).toBe(true);
      expect(r.afterGC).toBeGreaterThan(0);
      expect(w.watching).toBe(false);
    }
  });

  it("watches V8's own collections from the first tick without one of its own, until they fit again", () => {
    const w = watcher();
    // A budget of 0: no collection of its own; V8's are watched from now on.
    const first = w.read(0, process.memoryUsage().heapUsed);
    expect(first.collected).toBe(false);
    expect(Number.isNaN(first.afterGC)).toBe(true);
    expect(w.watching).toBe(true);
    v8Gc();
    const second = w.read(0, process.memoryUsage().heapUsed);
    expect(second.collected).toBe(false);
    expect(second.majors).toBeGreaterThanOrEqual(1);
    expect(second.afterGC).toBeGreaterThan(0);
    // Collections of its own fit again: the profiler stops after FIT_TICKS of them in a row.
    for (let i = 1; i < FIT_TICKS; i++) {
      expect(w.read(10_000, process.memoryUsage().heapUsed).collected).toBe(true);
      expect(w.watching).toBe(true);
    }
    expect(w.read(10_000, process.memoryUsage().heapUsed).collected).toBe(true);
    expect(w.watching).toBe(false);
  });

  it('watches from the start when it never collects itself, and stop() leaves no timer', () => {
    const timers = () => getActiveResourcesInfo().filter((t) => t === 'Timeout').length;
    const before = timers();
    const w = watcher(true);
    expect(w.watching).toBe(true);
    v8Gc();
    expect(w.read(0, process.memoryUsage().heapUsed).majors).toBeGreaterThanOrEqual(1);
    w.stop();
    expect(w.watching).toBe(false);
    expect(timers()).toBe(before);
    // A read after stop() starts nothing again.
    w.read(0, process.memoryUsage().heapUsed);
    expect(w.watching).toBe(false);
  });
});
