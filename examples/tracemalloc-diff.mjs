// The seed story in Node: a prediction API times every request into a registry that is meant to be
// aggregated and cleared every minute, but the `.clear()` call is missing. Two allocation snapshots
// and `compareTo(old, 'lineno')` name the leaking line, exactly as Python's tracemalloc did.
//
//   node examples/tracemalloc-diff.mjs
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { start, stop, takeSnapshot } from '@leakkit/core';

// A codetiming-like registry: one entry per timed call, kept until someone aggregates and clears it.
const TimerMetrics = {
  timers: new Map(),
  add(name, elapsed) {
    let list = TimerMetrics.timers.get(name);
    if (list === undefined) {
      list = [];
      TimerMetrics.timers.set(name, list);
    }
    list.push({ name, elapsed }); // the leak: appended on every request, never cleared
  },
  aggregate() {
    const out = {};
    for (const [name, list] of TimerMetrics.timers) out[name] = list.length;
    return out; // ...and `TimerMetrics.timers.clear()` was forgotten here
  },
};

// Work that allocates a lot but keeps nothing: parsing, validation, rendering a response.
const recent = [];
function predict(request) {
  const started = performance.now();
  const body = JSON.parse(request);
  const features = body.values.map((v) => v * 2);
  const response = JSON.stringify({ score: features.reduce((a, b) => a + b, 0), id: body.id });
  recent.push(response);
  if (recent.length > 100) recent.shift(); // a bounded buffer: churn, not a leak
  TimerMetrics.add('predict', performance.now() - started);
  return response;
}

function serve(requests) {
  for (let i = 0; i < requests; i++) predict(`{"id":${i},"values":[1,2,3,4,5,6,7,8]}`);
  TimerMetrics.aggregate();
}

// Forced GCs make the demo's numbers steady; a server would just take snapshots minutes apart.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

// The default interval (512 KiB) is for servers that leak for days; this demo leaks ~12 MB in a
// second, so it samples every 16 KiB and keeps inlined functions on their own lines.
start({ samplingInterval: '16 KiB', precise: true });
serve(20_000); // day 1
gc();
const day1 = await takeSnapshot();
serve(200_000); // day 5
gc();
const day5 = await takeSnapshot();
stop();

console.log('Top 10 lines by growth (compareTo(day1, "lineno")):');
for (const diff of day5.compareTo(day1, 'lineno').slice(0, 10)) console.log(String(diff));
