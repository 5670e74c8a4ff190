import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Detector, Finding, Monitor } from '@leakkit/core';
import { createMonitor, JSON_REPORT_SCHEMA, jsonReporter } from '@leakkit/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';

// The JSON lines schema (packages/core/schema/report-v1.json, documented in docs/json-schema.md)
// checked against what jsonReporter() really writes: a live monitor on 100 ms ticks watching an HTTP
// server in this process whose route keeps part of every request, so samples carry a real trend and
// forecast, the report real routes; a scripted detector's finding appears and is resolved, and a
// throwing detector gives an error line.

const root = new URL('../../../', import.meta.url);
const schema = JSON.parse(
  readFileSync(new URL('packages/core/schema/report-v1.json', root), 'utf8'),
) as Record<string, unknown>;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * The schema with every object that lists its properties closed (`additionalProperties: false`):
 * the published schema lets consumers meet fields added later; the test must fail on a field the
 * reporter writes but the schema (and so the docs) does not describe.
 */
function closed(node: Json): Json {
  if (Array.isArray(node)) return node.map(closed);
  if (node === null || typeof node !== 'object') return node;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) out[k] = closed(v);
  if (out.properties !== undefined && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

function validators() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  return {
    open: ajv.compile(schema),
    strict: new Ajv2020({ strict: true, allErrors: true }).compile(closed(schema as Json) as object),
  };
}

let monitor: Monitor | undefined;
let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await monitor?.stop({ report: false });
  await closeServer?.();
  monitor = undefined;
  closeServer = undefined;
});

/** A server whose /items/:id route keeps ~40 KB per request (the leak) and /health keeps nothing. */
async function leakyServer(): Promise<{ url: string; kept: unknown[] }> {
  const kept: unknown[] = [];
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/items/'))
      kept.push(Array.from({ length: 1000 }, (_, i) => ({ i, url: req.url })));
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeServer = () => new Promise((resolve) => server.close(() => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, kept };
}

function full(detector: string): Finding {
  return {
    id: `${detector}:queue`,
    detector,
    severity: 'warning',
    title: 'Queue.jobs grows',
    path: 'Queue.jobs',
    site: { file: '/srv/app/queue.js', line: 12, column: 5 },
    route: 'POST /jobs',
    growth: { bytesPerIteration: 64, objectsPerIteration: 1, bytesPerMinute: 3840, bytes: 6400, count: 100 },
    confidence: 0.7,
    advice: 'remove finished jobs',
    evidence: { checks: 3, nested: { any: ['shape'] } },
  };
}

describe('the jsonReporter() schema, leakkit.monitor/1', () => {
  it('is valid JSON Schema 2020-12 and names the version jsonReporter writes', () => {
    const { open, strict } = validators();
    expect(typeof open).toBe('function');
    expect(typeof strict).toBe('function');
    expect(schema.title).toBe(JSON_REPORT_SCHEMA);
    expect((schema.$defs as Record<string, { const?: string }>).schema!.const).toBe(JSON_REPORT_SCHEMA);
  });

  it('describes every line a real monitor run writes, every record type', async () => {
    const { open, strict } = validators();
    const app = await leakyServer();
    const written: string[] = [];
    let checks = 0;
    const queue: Detector = {
      name: 'queue',
      // Found in the first three checks, then gone: a finding line, then a resolve line.
      check: () => (++checks <= 3 ? [full('queue')] : []),
    };
    const thrower: Detector = {
      name: 'thrower',
      check() {
        throw new Error('boom');
      },
    };
    monitor = createMonitor({
      interval: '100ms',
      collectGarbage: '500ms',
      heapSnapshots: 'off',
      detectors: [queue, thrower],
      reporters: [jsonReporter({ stream: { write: (t) => written.push(t) }, samples: true })],
    }).start();
    const lines = () => written.join('').split('\n').filter(Boolean);
    const deadline = Date.now() + 20_000;
    let i = 0;
    while (Date.now() < deadline) {
      const res = await fetch(`${app.url}/${i % 4 === 0 ? 'health' : `items/${i}`}`);
      await res.text();
      i++;
      const text = written.join('');
      if (text.includes('"forecast":') && text.includes('"event":"resolve"') && checks > 10) break;
    }
    await monitor.stop();
    monitor = undefined;

    const records = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    const problems: string[] = [];
    for (const [n, r] of records.entries()) {
      // Booleans, not the validators' type guards: a guard would narrow `r` to never when it fails.
      const valid: boolean = open(r);
      const described: boolean = strict(r);
      if (!valid) problems.push(`line ${n + 1} (${r.event}): ${JSON.stringify(open.errors?.slice(0, 3))}`);
      if (!described)
        problems.push(
          `line ${n + 1} (${r.event}) has a field the schema does not describe: ${JSON.stringify(strict.errors?.slice(0, 3))}`,
        );
    }
    expect(problems).toEqual([]);

    // Every record type, and the parts that only a real run fills in.
    expect(new Set(records.map((r) => r.event))).toEqual(
      new Set(['start', 'sample', 'finding', 'resolve', 'error', 'report', 'stop']),
    );
    expect(records[0]!.event).toBe('start');
    expect(records.at(-1)!.event).toBe('stop');
    const samples = records
      .filter((r) => r.event === 'sample')
      .map((r) => r.sample as Record<string, unknown>);
    expect(samples.some((s) => s.trend !== undefined && s.forecast !== undefined)).toBe(true);
    const report = records.find((r) => r.event === 'report')!.report as {
      routes: { route: string }[];
      heap: { series: number[] };
    };
    expect(report.routes.map((r) => r.route)).toContain('GET /items/:id');
    expect(report.heap.series.length).toBeGreaterThan(5);
    expect(records.find((r) => r.event === 'error')).toMatchObject({ code: 'ERR_LEAKKIT_DETECTOR_FAILED' });
    expect(records.find((r) => r.event === 'finding')).toMatchObject({
      change: 'new',
      finding: full('queue'),
    });
    expect(app.kept.length).toBeGreaterThan(10);
  });

  it('rejects lines that break it', () => {
    const { open, strict } = validators();
    const base = { schema: JSON_REPORT_SCHEMA, time: '2026-11-25T10:00:00.000Z', pid: 42 };
    expect(open({ ...base, event: 'stop' })).toBe(true);
    expect(open({ ...base, event: 'finding', change: 'new', finding: full('q') })).toBe(true);
    expect(
      open({ ...base, event: 'finding', change: 'new', finding: { ...full('q'), severity: 'critical' } }),
    ).toBe(false);
    expect(open({ ...base, event: 'finding', change: 'new', finding: { ...full('q'), growth: {} } })).toBe(
      false,
    );
    expect(open({ ...base, event: 'stop', schema: 'leakkit.monitor/2' })).toBe(false);
    expect(open({ ...base, event: 'halt' })).toBe(false);
    expect(open({ ...base, event: 'stop', time: 'yesterday' })).toBe(false);
    expect(open({ ...base, event: 'error', code: 'ENOENT', message: 'x' })).toBe(false);
    const { pid: _, ...noPid } = base;
    expect(open({ ...noPid, event: 'stop' })).toBe(false);
    // A field added later is fine for consumers of version 1, and caught by the test's strict form.
    expect(open({ ...base, event: 'stop', host: 'pod-7' })).toBe(true);
    expect(strict({ ...base, event: 'stop', host: 'pod-7' })).toBe(false);
  });

  it('is documented field by field in docs/json-schema.md', () => {
    const doc = readFileSync(new URL('docs/json-schema.md', root), 'utf8');
    const names = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        const props = (node as { properties?: Record<string, unknown> }).properties;
        if (props !== undefined) for (const k of Object.keys(props)) names.add(k);
        Object.values(node).forEach(walk);
      }
    };
    walk(schema);
    expect([...names].filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
    expect(doc).toContain(JSON_REPORT_SCHEMA);
  });
});
