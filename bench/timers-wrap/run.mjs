// The cost of timers()'s setup: setTimeout / setInterval wrapped (global and node:timers) to record
// intervals and long timeouts with their creation site. Measures `clearTimeout(setTimeout(fn, d))`
// (and the interval pair) per call, unwrapped and wrapped, interleaved in one process.
//   pnpm run build            # at the repository root: the bench imports packages/*/dist
//   node bench/timers-wrap/run.mjs [--rounds 7] [--calls 200000] [--depth 12]
// Prints a table and one JSON line: per case, median ns per call off and on, and the difference.
import { performance } from 'node:perf_hooks';
import { createDetectorContext, GaugeHistory, setupDetectors } from '../../packages/core/dist/index.js';
import { timers } from '../../packages/detector-timers/dist/index.js';

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const rounds = Number(opt('rounds', '7'));
const calls = Number(opt('calls', '200000'));
// Stack depth under the call: the stack capture walks it (up to `frames` frames are kept).
const depth = Number(opt('depth', '12'));

const noop = () => {};
const cases = {
  // Below the grace (1 min): the wrapper only reads the delay.
  'setTimeout 1 s': () => clearTimeout(setTimeout(noop, 1000)),
  // Above it: recorded, with a stack capture for the site.
  'setTimeout 10 min': () => clearTimeout(setTimeout(noop, 600_000)),
  'setInterval 1 s': () => clearInterval(setInterval(noop, 1000)),
};

function nested(d, fn) {
  return d === 0 ? fn() : nested(d - 1, fn);
}

function measure(fn) {
  const t0 = performance.now();
  nested(depth, () => {
    for (let i = 0; i < calls; i++) fn();
  });
  return ((performance.now() - t0) * 1e6) / calls;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = Object.fromEntries(Object.keys(cases).map((k) => [k, { off: [], on: [] }]));
const ctx = createDetectorContext({ gauges: new GaugeHistory() });
const detector = timers({ registries: false, performance: false, consoleTime: false });

for (let r = 0; r < rounds; r++) {
  // Alternate which mode goes first, so warm-up and drift do not favour one.
  const order = r % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (const mode of order) {
    const dispose = mode === 'on' ? await setupDetectors([detector], ctx) : undefined;
    for (const [name, fn] of Object.entries(cases)) results[name][mode].push(measure(fn));
    await dispose?.();
  }
}

const summary = {};
console.log(`node ${process.version}, ${rounds} rounds of ${calls} calls at stack depth ${depth}`);
console.log('case                 off ns/call   on ns/call   added ns/call');
for (const [name, { off, on }] of Object.entries(results)) {
  const o = median(off);
  const w = median(on);
  summary[name] = { offNs: Math.round(o), onNs: Math.round(w), addedNs: Math.round(w - o) };
  console.log(
    `${name.padEnd(20)} ${String(Math.round(o)).padStart(11)} ${String(Math.round(w)).padStart(12)} ${String(Math.round(w - o)).padStart(15)}`,
  );
}
console.log(JSON.stringify({ node: process.version, rounds, calls, depth, summary }));
