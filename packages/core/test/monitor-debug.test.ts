import { createMonitor } from '@leakkit/core';
import { it } from 'vitest';
import { drive, startApp } from './fixtures/monitor/app.js';
it('debug', async () => {
  const app = await startApp({ leak: true });
  const m = createMonitor({ interval: '100ms', heapSnapshots: 'off', collectGarbage: '500ms' });
  const samples: unknown[] = [];
  m.on('sample', (s) => samples.push([s.tick, s.heapAfterGC, s.collected, s.majorGCs, s.requests, s.level]));
  m.start();
  const stopAt = Date.now() + 15000;
  await drive(app.port, () => Date.now() > stopAt);
  const r = m.report();
  console.log(JSON.stringify(samples));
  console.log(JSON.stringify({ ticks: r.ticks, trend: r.heap.trend, routes: r.routes, alloc: r.allocations, errors: r.errors, findings: r.findings.map((f) => f.title) }, null, 1));
  await m.stop(); await app.close();
}, 60000);
