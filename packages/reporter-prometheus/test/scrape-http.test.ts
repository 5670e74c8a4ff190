import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Detector, Monitor } from '@leakkit/core';
import { createMonitor } from '@leakkit/core';
import type { PrometheusRegistry } from '@leakkit/reporter-prometheus';
import { prometheusReporter } from '@leakkit/reporter-prometheus';
import type { OpenMetricsContentType } from 'prom-client';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, series, single } from './exposition.js';

// Scraped as Prometheus scrapes it: an HTTP GET of /metrics from a real server in this process.

let monitor: Monitor | undefined;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await monitor?.stop({ report: false });
  await close?.();
  monitor = undefined;
  close = undefined;
});

async function serve(registries: Record<string, PrometheusRegistry>): Promise<string> {
  const server = createServer((req, res) => {
    const registry = registries[req.url ?? ''];
    if (registry === undefined) {
      res.statusCode = 404;
      res.end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.setHeader('content-type', registry.contentType);
        res.end(text);
      },
      (error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const queue: Detector = {
  name: 'queue',
  check: () => [
    {
      id: 'queue:jobs',
      detector: 'queue',
      severity: 'leak',
      title: 'jobs are never removed',
      path: 'Queue.jobs',
      site: { file: '/srv/app/queue.js', line: 12 },
      route: 'POST /jobs',
      growth: { bytesPerMinute: 1200 },
      confidence: 0.9,
      advice: 'remove finished jobs',
    },
  ],
};

describe('prometheusReporter() over HTTP', () => {
  it('serves the metrics a Prometheus server scrapes, in text and OpenMetrics formats', async () => {
    const text = new Registry();
    const open = new Registry<OpenMetricsContentType>();
    open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    monitor = createMonitor({
      interval: '1h',
      tracing: false,
      heapSnapshots: 'off',
      detectors: [queue],
      reporters: [prometheusReporter({ registry: text }), prometheusReporter({ registry: open })],
    }).start();
    await monitor.check();
    const sample = await monitor.check();
    const base = await serve({ '/metrics': text, '/openmetrics': open });

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const e = parseExposition(await res.text());
    expect(single(e, 'leakkit_heap_used_bytes')).toBe(sample.heapUsed);
    expect(single(e, 'leakkit_rss_bytes')).toBe(sample.rss);
    expect(single(e, 'leakkit_heap_limit_bytes')).toBe(sample.heapLimit);
    expect(series(e, 'leakkit_finding_confidence')).toEqual([
      {
        name: 'leakkit_finding_confidence',
        labels: {
          id: 'queue:jobs',
          detector: 'queue',
          severity: 'leak',
          path: 'Queue.jobs',
          site: '/srv/app/queue.js:12',
          route: 'POST /jobs',
        },
        value: 0.9,
      },
    ]);
    expect(series(e, 'leakkit_finding_growth_bytes_per_second')[0]?.value).toBe(20);
    expect(
      series(e, 'leakkit_findings').find((s) => s.labels.detector === 'queue' && s.labels.severity === 'leak')
        ?.value,
    ).toBe(1);

    const om = await fetch(`${base}/openmetrics`);
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const body = await om.text();
    expect(body.endsWith('# EOF\n')).toBe(true);
    const o = parseExposition(body);
    expect(o.type.get('leakkit_findings')).toBe('gauge');
    expect(single(o, 'leakkit_rss_bytes')).toBe(sample.rss);
    expect(series(o, 'leakkit_finding_confidence').map((s) => s.labels.id)).toEqual(['queue:jobs']);

    // Once the monitor stops, the next scrape no longer has its metrics.
    await monitor.stop();
    monitor = undefined;
    const after = await (await fetch(`${base}/metrics`)).text();
    expect(after).not.toContain('leakkit_');
  });
});
