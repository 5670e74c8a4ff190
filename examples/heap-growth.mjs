// The seed story, second half: allocation tracing said *where* the memory was allocated; a short
// series of heap graphs says *what keeps it alive*. A prediction API times every request into a
// registry on a class that is meant to be aggregated and cleared, but the `.clear()` call is
// missing. Next to it, churn that allocates a lot and keeps a bounded amount: a capped buffer of
// recent responses and per-request sessions that are deleted when the request ends.
//
// Four in-process captures between batches of requests, then `findGrowth` ranks what grew and
// `pathTo` names the culprit: `TimerMetrics.timers`.
//
//   pnpm run demo:heap          (builds first; or: node examples/heap-growth.mjs after a build)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureHeap, diffHeaps, findGrowth, HeapGraph, resetHeapTracking } from '@leakkit/core/heap';

// One record per timed request: a class, so diffHeaps can count them by name.
class Timing {
  constructor(route, start, elapsed) {
    this.route = route;
    this.start = start;
    this.elapsed = elapsed;
  }
}

// A codetiming-like registry: per route, every timing since the last aggregation.
// biome-ignore lint/complexity/noStaticOnlyClass: the seed's registry is shaped like this.
class TimerMetrics {
  static timers = new Map();

  static record(route, start) {
    let list = TimerMetrics.timers.get(route);
    if (list === undefined) {
      list = [];
      TimerMetrics.timers.set(route, list);
    }
    list.push(new Timing(route, start, performance.now() - start)); // the leak: never cleared
  }

  static aggregate() {
    const out = {};
    for (const [route, list] of TimerMetrics.timers) out[route] = list.length;
    return out; // ...and `TimerMetrics.timers.clear()` was forgotten here
  }
}

// Churn: bounded on purpose, so it must not show up as growth.
const recent = []; // the last 200 responses
const sessions = new Map(); // one entry per request in flight, deleted when it ends
let requestId = 0;

function handle(route, values) {
  const id = ++requestId;
  const start = performance.now();
  sessions.set(id, { id, route, user: `user-${id % 50}`, values });
  const features = values.map((v) => v * 2);
  const response = JSON.stringify({ id, score: features.reduce((a, b) => a + b, 0) });
  recent.push(response);
  if (recent.length > 200) recent.shift();
  sessions.delete(id);
  TimerMetrics.record(route, start);
  return response;
}

function serve(requests) {
  for (let i = 0; i < requests; i++) {
    // Nine predictions for every health check: two keys of the Map, growing at different rates.
    handle(i % 10 === 0 ? 'GET /health' : 'POST /predict', [1, 2, 3, 4, 5, 6, 7, 8]);
  }
  TimerMetrics.aggregate();
}

const REQUESTS_PER_BATCH = 2000;
const started = performance.now();

// Warm-up first: the bounded buffers fill up before the first capture, as they would in a server
// that has been running for a while.
serve(REQUESTS_PER_BATCH);

// Each capture garbage-collects, snapshots and parses this process's heap (a few MB here: a few
// hundred ms) and also writes it to a file. The graph it returns is dropped at once: a graph kept in
// this heap while the next capture is taken would itself show up as growth (its backing stores are
// in the snapshot). The files are read back once all captures are done.
// (The file names are made up front: an array at module scope that grows by one per step is a
// leak too, a small one, and findGrowth would rightly report it.)
const dir = await mkdtemp(join(tmpdir(), 'leakkit-heap-growth-'));
const files = [0, 1, 2, 3].map((step) => join(dir, `step-${step}.heapsnapshot`));
for (const [step, file] of files.entries()) {
  if (step > 0) serve(REQUESTS_PER_BATCH);
  await captureHeap({ file });
}
const captured = performance.now();
// Every garbage collection after the first capture is several times slower (V8 tracks object
// moves to keep ids stable; the first capture printed a one-time LEAKKIT_HEAP_TRACKING warning
// saying so): give the process its speed back as soon as the captures are done. It also resets
// V8's ids, so later captures could not be compared with these four.
await resetHeapTracking();

const series = [];
let bytes = 0;
for (const file of files) {
  // onProgress fires about once per MiB read and once at the end; a CLI draws a bar from it.
  let read = 0;
  series.push(await HeapGraph.fromFile(file, { onProgress: ({ bytesRead }) => (read = bytesRead) }));
  bytes += read;
}
await rm(dir, { recursive: true, force: true });
const last = series[series.length - 1];
console.log(
  `4 captures of ${(last.nodeCount / 1e3).toFixed(0)} k objects each, ${REQUESTS_PER_BATCH} requests ` +
    `between them, in ${((captured - started) / 1000).toFixed(1)} s; ` +
    `${(bytes / 2 ** 20).toFixed(1)} MiB of snapshots read back with HeapGraph.fromFile\n`,
);

// strings: true prints Map keys as written ("POST /predict"); by default a string shows as a short
// hash, since heap strings can hold tokens and emails.
const growth = findGrowth(series, { strings: true });
console.log('What keeps growing (findGrowth, largest share of the heap growth first):');
for (const g of growth.slice(0, 5)) {
  const per = g.unit === 'bytes' ? `${g.countPerStep.toFixed(0)} B` : `${g.countPerStep.toFixed(0)} entries`;
  console.log(
    `  ${g.path}\n    ${g.kind} (${g.name}), +${per} and +${(g.bytesPerStep / 1024).toFixed(0)} KiB per step, ` +
      `${(g.share * 100).toFixed(0)}% of the growth` +
      (g.file ? `, ${g.file}:${g.line ?? '?'}` : ''),
  );
}

const top = growth[0];
if (top === undefined) {
  console.log('  (nothing)');
} else {
  // One entry of the growing array: its last element, found through the graph's edge accessors.
  const index = last.nodeIndexOf(top.nodeId);
  let entryId;
  for (let e = last.edgeStart(index); e < last.edgeEnd(index); e++) {
    if (last.edgeTypeName(e) === 'element') entryId = last.nodeId(last.edgeTarget(e));
  }
  if (entryId !== undefined) {
    const path = last.pathTo(entryId, { strings: true });
    console.log(`\nWhat keeps one of its entries alive (pathTo(${entryId})):\n  ${path?.text}`);
    console.log(`  anchored at ${path?.file}:${path?.line}, ${path?.steps.length} hops from a GC root`);
  }
  // The Map itself is a step of the path: `timers` is the edge that reaches it.
  const map = top.steps.find((s) => s.edge === 'timers');
  if (map) {
    const kib = (last.retainedSize(map.nodeId) / 1024).toFixed(0);
    console.log(`\nretainedSize of TimerMetrics.timers: ${kib} KiB (freed if the Map were cleared)`);
  }
}

const diff = diffHeaps(series[0], last);
const timings = diff.groups.find((g) => g.name === 'Timing');
console.log(
  `diffHeaps(first, last): ${timings?.added ?? 0} Timing objects new and alive, ${timings?.removed ?? 0} freed`,
);

console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
