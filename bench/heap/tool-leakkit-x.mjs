// leakkit (@leakkit/core/heap, the built dist of packages/core) doing the bench's four steps:
//   parse      HeapGraph.fromFile(file, { onProgress })
//   summary    graph.summary()
//   path       graph.pathTo(target)
//   retained   graph.retainedSize(target) (dominator tree over all nodes)
// The target (the Map behind TimerMetrics.timers) is found on the parsed typed arrays, the way
// the other workers find it with their tools' node APIs.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { leakkitDist } from '../pin-leakkit.mjs';
import { fileArg, makeRecorder, TARGET_CLASS, TARGET_PROP } from './common.mjs';

const file = fileArg();
const rec = makeRecorder('leakkit', file);
// The built package (`pnpm run build` at the root; the driver pins a copy); bench/ has its own
// install, so import by path.
const { HeapGraph } = await import(pathToFileURL(path.join(leakkitDist(), 'heap', 'index.js')).href);

let progressCalls = 0;
const ph = async (n, f) => { const v = await rec.phase(n, f); console.log('PH', n, (process.memoryUsage().rss/1048576).toFixed(1), 'ab', (process.memoryUsage().arrayBuffers/1048576).toFixed(1)); return v; };
const graph = await ph('parse', () =>
  HeapGraph.fromFile(file, {
    parallel: process.env.PAR === undefined ? undefined : process.env.PAR === "1", onProgress: () => {
      progressCalls++;
    },
  }),
);
const d = graph.data;
rec.info.nodes = d.nodeCount;
rec.info.edges = d.edgeCount;
rec.info.progressCalls = progressCalls;

rec.info.summary = await ph('summary', () => {
  const s = graph.summary();
  const rows = Array.isArray(s) ? s : (s?.rows ?? s?.classes ?? s?.entries ?? []);
  const top = [...rows]
    .sort((a, b) => (b.selfSize ?? b.self ?? 0) - (a.selfSize ?? a.self ?? 0))
    .slice(0, 3)
    .map((r) => `${r.name ?? r.className ?? r.key}:${r.count}`);
  return { classes: rows.length, objects: rows.reduce((a, r) => a + (r.count ?? 0), 0), top };
});

const targetIndex = await ph('find', () => {
  const closure = d.nodeTypeNames.indexOf('closure');
  const property = d.edgeTypeNames.indexOf('property');
  for (let n = 0; n < d.nodeCount; n++) {
    if (d.nodeType[n] !== closure || d.strings.get(d.nodeName[n]) !== TARGET_CLASS) continue;
    for (let e = d.firstEdge[n]; e < d.firstEdge[n + 1]; e++) {
      if (d.edgeType[e] === property && d.strings.get(d.edgeNameOrIndex[e]) === TARGET_PROP)
        return d.edgeTo[e];
    }
  }
  return -1;
});
if (targetIndex < 0) throw new Error('target not found');
// pathTo / retainedSize take the snapshot's object id (stable between snapshots of one process).
const targetId = d.nodeId[targetIndex];
rec.info.target = { id: targetId, name: d.strings.get(d.nodeName[targetIndex]) };

rec.info.path = await ph('path', () => {
  const p = graph.pathTo(targetId);
  return p == null ? null : typeof p === 'string' ? p : String(p.text ?? p.path ?? p);
});

rec.info.targetRetained = await ph('retained', () => graph.retainedSize(targetId));
rec.done();
process.exit(0);
