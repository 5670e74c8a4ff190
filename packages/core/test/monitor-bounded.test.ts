import { createMonitor } from '@leakkit/core';
import { checkBounded } from '@leakkit/core/testing';
import { describe, expect, it } from 'vitest';

// The monitor's own memory stays bounded however long it runs: one tick (gauges, trend, route
// regression, detectors, findings) is checked with checkBounded like any function under test.
describe('createMonitor() memory', () => {
  it('keeps a bounded heap over a thousand ticks and more', async () => {
    const monitor = createMonitor({
      interval: '1h',
      // checkBounded collects garbage and traces allocations itself.
      tracing: false,
      collectGarbage: false,
      history: 64,
      detectors: [
        {
          name: 'queue',
          check: (ctx) => [
            {
              id: 'queue:q',
              detector: 'queue',
              severity: 'info',
              title: 'q',
              path: 'q',
              growth: { count: ctx.gauges.length },
              confidence: 0.5,
              advice: 'none',
            },
          ],
        },
      ],
    }).start();
    try {
      // Warm-up beyond the history's capacity, so the ring buffers are full before measuring.
      const result = await checkBounded(() => monitor.check(), {
        iterations: 200,
        warmup: 400,
        handles: false,
      });
      expect(result.findings).toEqual([]);
      expect(result.bounded).toBe(true);
    } finally {
      await monitor.stop();
    }
  });

  it('is caught by the same check when a detector it runs keeps what it is given (the twin)', async () => {
    const kept: unknown[] = [];
    const monitor = createMonitor({
      interval: '1h',
      tracing: false,
      collectGarbage: false,
      history: 64,
      detectors: [
        {
          name: 'hoarder',
          check: (ctx) => {
            // About a kilobyte a tick.
            kept.push({ at: ctx.now(), gauges: ctx.gauges.names(), notes: new Array(100).fill(ctx.now()) });
            return [];
          },
        },
      ],
    }).start();
    try {
      const result = await checkBounded(() => monitor.check(), {
        iterations: 200,
        warmup: 400,
        handles: false,
      });
      expect(result.bounded).toBe(false);
    } finally {
      await monitor.stop();
    }
  });
});
