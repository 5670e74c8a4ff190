#!/usr/bin/env node
// bench/monitor-overhead/soak.mjs: the memory of a monitored idle process over many ticks.
// A process that does nothing but run the monitor (default options, a short interval) for --ticks
// ticks; every --every ticks it collects garbage twice and records the heap (without code space),
// RSS and external memory. The monitor's own memory must stay flat once its ring buffers are full.
//
//   node --expose-gc monitor-overhead/soak.mjs [--ticks 10000] [--interval 10] [--every 500]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { leakkitDist, pinLeakkit } from '../pin-leakkit.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const ticks = Number(opt('ticks', '10000'));
const interval = Number(opt('interval', '10'));
const every = Number(opt('every', '500'));
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const build = process.env.LEAKKIT_DIST ? null : pinLeakkit();
const { createMonitor } = await import(pathToFileURL(path.join(leakkitDist(), 'index.js')).href);

const heap = () =>
  getHeapSpaceStatistics()
    .filter((s) => !/code|trusted|read_only/.test(s.space_name))
    .reduce((a, s) => a + s.space_used_size, 0);
const rows = [];
const monitor = createMonitor({ interval });
let errors = 0;
monitor.on('error', () => errors++);
monitor.on('sample', (s) => {
  if (s.tick % every !== 0) return;
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  rows.push({ tick: s.tick, heap: heap(), rss: m.rss, external: m.external });
  console.error(
    `tick ${s.tick}: heap ${(heap() / 1024).toFixed(0)} KiB, rss ${(m.rss / 2 ** 20).toFixed(1)} MiB`,
  );
});
const started = Date.now();
monitor.start();
await new Promise((resolve) => {
  const check = setInterval(() => {
    if (rows.length > 0 && rows[rows.length - 1].tick >= ticks) {
      clearInterval(check);
      resolve();
    }
  }, 200);
});
await monitor.stop();
// From the second record on (the first includes the monitor's own warm-up: JIT, buffers filling).
const base = rows[1];
const last = rows[rows.length - 1];
// Theil–Sen: the median of the pairwise slopes, per 1,000 ticks (one noisy record cannot tilt it).
const slope = (key) => {
  const pts = rows.slice(1);
  const slopes = [];
  for (let i = 0; i < pts.length; i++)
    for (let j = i + 1; j < pts.length; j++)
      slopes.push(((pts[j][key] - pts[i][key]) / (pts[j].tick - pts[i].tick)) * 1000);
  slopes.sort((a, b) => a - b);
  return slopes.length === 0 ? Number.NaN : slopes[slopes.length >> 1];
};
const result = {
  node: process.version,
  leakkitBuild: build,
  ticks: last.tick,
  seconds: Math.round((Date.now() - started) / 1000),
  interval,
  errors,
  heapGrowth: last.heap - base.heap,
  heapGrowthPerKiloTick: ((last.heap - base.heap) / (last.tick - base.tick)) * 1000,
  rssGrowth: last.rss - base.rss,
  heapSlopePerKiloTick: slope('heap'),
  rssSlopePerKiloTick: slope('rss'),
  rows,
};
console.log(
  `${result.ticks} ticks in ${result.seconds} s: heap ${(base.heap / 1024).toFixed(0)} KiB at tick ${base.tick} → ${(last.heap / 1024).toFixed(0)} KiB at tick ${last.tick} (${result.heapGrowth >= 0 ? '+' : ''}${(result.heapGrowth / 1024).toFixed(1)} KiB; Theil–Sen ${(result.heapSlopePerKiloTick / 1024).toFixed(2)} KiB per 1,000 ticks), rss ${(base.rss / 2 ** 20).toFixed(1)} → ${(last.rss / 2 ** 20).toFixed(1)} MiB, monitor errors ${errors}`,
);
console.log(JSON.stringify({ ...result, rows: undefined }));
