import { GaugeHistory } from '@leakkit/core';
import { describe, expect, it } from 'vitest';
import { analyse } from '../src/monitor/analysis.js';
import { forecastLimit } from '../src/monitor/forecast.js';

const MiB = 2 ** 20;
const HOUR = 3_600_000;

// A deterministic pseudo-random stream, so the synthetic series are the same on every run.
function noise(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648 - 0.5;
  };
}

/**
 * A heap after GC read once a minute for `n` minutes: a level, a growth per hour, and what a real
 * reading carries on top: garbage still in flight at the collection (a sawtooth left over from the
 * allocation cycle, up to `jitter` bytes) and a warm-up that fills caches in the first minutes.
 */
function history(n: number, perHour: number, jitter: number, seed = 1): GaugeHistory {
  const h = new GaugeHistory({ capacity: 512 });
  const rand = noise(seed);
  for (let i = 0; i < n; i++) {
    const t = i * 60_000;
    const warmup = 2 * MiB * (1 - Math.exp(-i / 3));
    const sawtooth = ((i * 7) % 5) * (jitter / 5);
    h.record(t, { heapAfterGC: 300 * MiB + warmup + (perHour * t) / HOUR + sawtooth + rand() * jitter });
  }
  return h;
}

describe('forecastLimit()', () => {
  it('says when the heap reaches V8’s limit at the current rate', () => {
    const f = forecastLimit({
      slope: MiB / HOUR,
      heap: 600 * MiB,
      rss: 700 * MiB,
      heapLimit: 700 * MiB,
      cgroupLimit: null,
    })!;
    expect(f.source).toBe('heap');
    expect(f.eta).toBeCloseTo(100 * HOUR, -3);
    expect(f.text).toBe(
      'heap +1.0 MiB/h; reaches the 700 MiB limit (heap limit, --max-old-space-size) in ~4.2 days',
    );
  });

  it('takes the cgroup’s limit when RSS reaches it first', () => {
    const f = forecastLimit({
      slope: (10 * MiB) / HOUR,
      heap: 200 * MiB,
      rss: 900 * MiB,
      heapLimit: 4096 * MiB,
      cgroupLimit: 1024 * MiB,
    })!;
    expect(f.source).toBe('cgroup');
    expect(f.limit).toBe(1024 * MiB);
    expect(f.eta).toBeCloseTo(12.4 * HOUR, -4);
    expect(f.text).toMatch(/reaches the 1\.0 GiB limit \(cgroup memory\.max\) in ~12 h$/);
  });

  it('leaves Buffers out of the heap limit: they reach only the container’s', () => {
    // 10 MiB/h of growth, 9 of it in ArrayBuffers: the heap's own 1 MiB/h reaches its limit in
    // (700 - (600 - 500)) MiB / 1 MiB/h = 600 h; RSS reaches the cgroup's in 100 MiB / 10 MiB/h.
    const input = {
      slope: (10 * MiB) / HOUR,
      heap: 600 * MiB,
      external: 500 * MiB,
      externalSlope: (9 * MiB) / HOUR,
      rss: 900 * MiB,
      heapLimit: 700 * MiB,
    };
    const none = forecastLimit({ ...input, cgroupLimit: null })!;
    expect(none.source).toBe('heap');
    expect(none.eta).toBeCloseTo(600 * HOUR, -4);
    expect(none.text).toMatch(/^heap and buffers \+10\.0 MiB\/h; reaches the 700 MiB limit \(heap limit/);
    const capped = forecastLimit({ ...input, cgroupLimit: 1000 * MiB })!;
    expect(capped.source).toBe('cgroup');
    expect(capped.eta).toBeCloseTo(10 * HOUR, -4);
    // All of the growth in Buffers and no container limit: no limit is ever reached.
    expect(forecastLimit({ ...input, externalSlope: input.slope, cgroupLimit: null })).toBeUndefined();
  });

  it('gives nothing for a heap that does not grow', () => {
    expect(
      forecastLimit({ slope: 0, heap: MiB, rss: MiB, heapLimit: 10 * MiB, cgroupLimit: null }),
    ).toBeUndefined();
    expect(
      forecastLimit({ slope: -1, heap: MiB, rss: MiB, heapLimit: 10 * MiB, cgroupLimit: null }),
    ).toBeUndefined();
  });
});

describe('the monitor’s trend and forecast', () => {
  it('finds a slow leak under GC noise ten times its hourly growth and forecasts it', () => {
    // +1.1 MiB/h for 4 hours, readings scattered by up to 1 MiB: the seed's pod.
    const a = analyse(history(240, 1.1 * MiB, MiB), { heap: 700 * MiB, cgroup: null }, 400 * MiB);
    expect(a.trend?.verdict).toBe('leak');
    expect(a.trend!.slope * HOUR).toBeGreaterThan(0.9 * MiB);
    expect(a.trend!.slope * HOUR).toBeLessThan(1.3 * MiB);
    expect(a.forecast?.source).toBe('heap');
    // ~395 MiB to go at ~1.1 MiB/h: about 15 days.
    expect(a.forecast!.eta / (24 * HOUR)).toBeGreaterThan(12);
    expect(a.forecast!.eta / (24 * HOUR)).toBeLessThan(18);
    expect(a.forecast!.text).toMatch(/^heap \+1\.\d MiB\/h; reaches the 700 MiB limit/);
  });

  it('is not fooled by the sawtooth and the warm-up of a bounded heap', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const a = analyse(history(240, 0, MiB, seed), { heap: 700 * MiB, cgroup: null }, 400 * MiB);
      expect(a.trend?.verdict).not.toBe('leak');
      expect(a.forecast === undefined || a.trend?.verdict === 'maybe-leak').toBe(true);
    }
  });

  it('says nothing before there are readings', () => {
    const a = analyse(new GaugeHistory(), { heap: MiB, cgroup: null }, MiB);
    expect(a.trend).toBeUndefined();
    expect(a.forecast).toBeUndefined();
  });
});
