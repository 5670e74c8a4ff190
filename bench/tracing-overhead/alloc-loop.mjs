// (a) An allocation-bound loop, timed without tracing and with tracing on, interleaved in one process.
//   node tracing-overhead/alloc-loop.mjs [--rounds 9] [--modes off,default,32768,8192] [--work 1200000]
// Each round runs every mode once (order rotated each round) on the same fixed work; prints one
// JSON line: per-mode medians of wall and CPU time (process.cpuUsage, user + system, all threads)
// and the medians of per-round ratios against 'off' in the same round.
import { performance } from 'node:perf_hooks';
import { label, traceOff, traceOn, tracerKind } from './tracer.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const rounds = Number(opt('rounds', '9'));
const modes = opt('modes', 'off,default,32768,8192').split(',');
const WORK = Number(opt('work', '1200000'));

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
let sink = 0;
// Fixed work: small objects, arrays and strings, built and mostly dropped; a small sliding window
// survives a while (like request-scoped data), so the young generation sees realistic churn.
function work(n) {
  const window = new Array(256);
  for (let i = 0; i < n; i++) {
    const o = {
      id: i,
      name: `${WORDS[i & 7]}-${i}`,
      tags: [WORDS[(i >> 3) & 7], WORDS[(i >> 6) & 7]],
      at: i * 1.5,
    };
    const s = JSON.stringify(o);
    const parts = s.split(',');
    window[i & 255] = { o, len: s.length + parts.length };
    sink += window[(i * 7) & 255]?.len ?? 0;
  }
  return sink;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// warm-up: JIT, heap sizing, and one start/stop of each mode (loads leakkit, connects the session)
for (const m of modes) {
  await traceOn(m);
  work(WORK / 4);
  await traceOff(m);
}
work(WORK);

const times = Object.fromEntries(modes.map((m) => [m, []]));
const ratios = Object.fromEntries(modes.map((m) => [m, []]));
const cpus = Object.fromEntries(modes.map((m) => [m, []]));
const cpuRatios = Object.fromEntries(modes.map((m) => [m, []]));
for (let r = 0; r < rounds; r++) {
  const order = modes.map((_, i) => modes[(i + r) % modes.length]);
  const t = {};
  const c = {};
  for (const m of order) {
    await traceOn(m);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    work(WORK);
    t[m] = performance.now() - t0;
    const dc = process.cpuUsage(c0);
    c[m] = (dc.user + dc.system) / 1000;
    await traceOff(m);
    times[m].push(t[m]);
    cpus[m].push(c[m]);
  }
  for (const m of modes) {
    ratios[m].push(t[m] / t.off);
    cpuRatios[m].push(c[m] / c.off);
  }
}
const result = {
  bench: 'alloc-loop',
  tracer: tracerKind,
  node: process.version,
  rounds,
  work: WORK,
  modes: modes.map((m) => ({
    mode: label(m),
    medianMs: +median(times[m]).toFixed(1),
    minMs: +Math.min(...times[m]).toFixed(1),
    ratio: +median(ratios[m]).toFixed(3),
    medianCpuMs: +median(cpus[m]).toFixed(1),
    cpuRatio: +median(cpuRatios[m]).toFixed(3),
  })),
};
console.log(JSON.stringify(result));
