import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMonitor, JSON_REPORT_SCHEMA, jsonReporter, LeakkitError } from '@leakkit/core';
import { describe, expect, it } from 'vitest';

function lines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('jsonReporter()', () => {
  it('writes one versioned JSON line per event, NaN as null, and the final report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakkit-json-'));
    const file = join(dir, 'monitor.jsonl');
    try {
      const monitor = createMonitor({
        interval: '1h',
        tracing: false,
        reporters: [jsonReporter({ file, samples: true })],
        detectors: [
          {
            name: 'q',
            check: () => [
              {
                id: 'q:a',
                detector: 'q',
                severity: 'warning',
                title: 'a grows',
                path: 'a',
                growth: { count: 1 },
                confidence: 0.5,
                advice: 'bound a',
              },
            ],
          },
        ],
      }).start();
      await monitor.check();
      await monitor.check();
      await monitor.stop();
      const out = lines(readFileSync(file, 'utf8'));
      expect(out.map((l) => l.event)).toEqual(['start', 'finding', 'sample', 'sample', 'report', 'stop']);
      for (const l of out) {
        expect(l.schema).toBe(JSON_REPORT_SCHEMA);
        expect(l.pid).toBe(process.pid);
        expect(Date.parse(l.time as string)).not.toBeNaN();
      }
      expect(JSON_REPORT_SCHEMA).toBe('leakkit.monitor/1');
      expect(out[1]).toMatchObject({ change: 'new', finding: { id: 'q:a', severity: 'warning', path: 'a' } });
      const report = out[4]!.report as Record<string, unknown>;
      expect(report).toMatchObject({ ticks: 2, findings: [{ id: 'q:a' }] });
      // Infinite standard errors and NaN readings are written as null.
      expect(JSON.stringify(out)).not.toMatch(/NaN|Infinity/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes to a stream, and leaves samples out by default', async () => {
    const written: string[] = [];
    const monitor = createMonitor({
      interval: '1h',
      tracing: false,
      reporters: [jsonReporter({ stream: { write: (t) => written.push(t) } })],
    });
    monitor.start();
    await monitor.check();
    await monitor.stop();
    expect(lines(written.join('')).map((l) => l.event)).toEqual(['start', 'report', 'stop']);
  });

  it('rejects bad options', () => {
    expect(() => jsonReporter({ file: '' })).toThrow(LeakkitError);
    expect(() => jsonReporter({ stream: {} as never })).toThrow(/Expected `stream`/);
    expect(() => jsonReporter({ samples: 'yes' as never })).toThrow(/Expected `samples` to be a boolean/);
  });
});
