// Chrome DevTools' heap snapshot engine (the `heap-snapshot-toolkit` package re-exports it).
//   parse      parse(createReadStream(file)) — loads, then builds the snapshot: retainers, distances,
//              dominators and retained sizes are all computed here, as in DevTools' worker.
//   summary    snapshot.aggregatesWithFilter({}) — the Summary view (count, self, retained per class)
//   path       the Retainers view's shortest path: from the target, follow the retainer whose
//              distance from the roots is one less, skipping weak edges
//   retained   node.retainedSize() (already computed during parse)
import { createReadStream } from 'node:fs';
import { parse } from 'heap-snapshot-toolkit';
import { fileArg, makeRecorder, summaryInfo, TARGET_CLASS, TARGET_PROP } from './common.mjs';

const file = fileArg();
const rec = makeRecorder('devtools', file);

const snap = await rec.phase('parse', () => parse(createReadStream(file, 'utf-8')));
rec.info.nodes = snap.nodeCount;

rec.info.summary = await rec.phase('summary', () => {
  const aggregates = snap.aggregatesWithFilter({});
  return summaryInfo(Object.values(aggregates).map((a) => ({ name: a.name, count: a.count, self: a.self })));
});

const targetIndex = await rec.phase('find', () => {
  for (let it = snap.allNodes(); it.hasNext(); it.next()) {
    const node = it.item();
    if (node.type() !== 'closure' || node.name() !== TARGET_CLASS) continue;
    for (let e = node.edges(); e.hasNext(); e.next()) {
      const edge = e.item();
      if (edge.type() === 'property' && edge.name() === TARGET_PROP) return edge.nodeIndex();
    }
  }
  return -1;
});
if (targetIndex < 0) throw new Error('target not found');
const target = snap.createNode(targetIndex);
rec.info.target = { id: target.id(), name: target.name() };

rec.info.path = await rec.phase('path', () => {
  const parts = [];
  let node = snap.createNode(targetIndex);
  const filter = snap.retainingEdgesFilter();
  for (let guard = 0; guard < 1000; guard++) {
    const d = node.distance();
    let next = null;
    for (let it = node.retainers(); it.hasNext(); it.next()) {
      const r = it.item();
      if (!filter(r)) continue;
      if (r.node().distance() === d - 1) {
        parts.push(String(r.name()));
        next = snap.createNode(r.nodeIndex());
        break;
      }
    }
    if (!next) {
      parts.push(node.name());
      break;
    }
    node = next;
  }
  return parts.reverse().join(' → ');
});

rec.info.targetRetained = await rec.phase('retained', () => target.retainedSize());
rec.done();
process.exit(0);
