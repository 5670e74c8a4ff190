// memlab (@memlab/core + @memlab/heap-analysis) doing the bench's four steps with its public API:
//   parse      utils.getSnapshotFromFile(file, { buildNodeIdIndex: true })  (what getFullHeapFromFile does first)
//   summary    per class: count and self size over heap.nodes (memlab has no class-summary API)
//   path       TraceFinder.annotateShortestPaths + getPathToGCRoots (what `memlab trace` prints)
//   retained   TraceFinder.calculateAllNodesRetainedSizes (dominators), then node.retainedSize
import memlab from '@memlab/core';

const { config, TraceFinder, utils } = memlab;

import { fileArg, makeRecorder, summaryInfo, TARGET_CLASS, TARGET_PROP } from './common.mjs';

const file = fileArg();
const rec = makeRecorder('memlab', file);
config.verbose = false;
config.isContinuousTest = true; // no interactive console redraws

const heap = await rec.phase('parse', () => utils.getSnapshotFromFile(file, { buildNodeIdIndex: true }));
rec.info.nodes = heap.nodes.length;
rec.info.edges = heap.edges.length;

rec.info.summary = await rec.phase('summary', () => {
  const byClass = new Map();
  heap.nodes.forEach((node) => {
    const key = node.type === 'object' || node.type === 'closure' ? node.name : `(${node.type})`;
    let row = byClass.get(key);
    if (!row) {
      row = { name: key, count: 0, self: 0 };
      byClass.set(key, row);
    }
    row.count++;
    row.self += node.self_size;
  });
  return summaryInfo([...byClass.values()]);
});

const target = await rec.phase('find', () => {
  let found = null;
  // biome-ignore lint/suspicious/useIterableCallbackReturn: memlab's forEach stops when the callback returns false
  heap.nodes.forEach((node) => {
    if (node.type !== 'closure' || node.name !== TARGET_CLASS) return;
    const edge = node.findAnyReference((e) => e.name_or_index === TARGET_PROP && e.type === 'property');
    if (edge) {
      found = edge.toNode;
      return false;
    }
  });
  return found;
});
if (!target) throw new Error('target not found');
rec.info.target = { id: target.id, name: target.name };

const finder = new TraceFinder();
rec.info.path = await rec.phase('path', () => {
  finder.annotateShortestPaths(heap);
  const parts = [];
  for (let p = finder.getPathToGCRoots(heap, target); p; p = p.next) {
    if (parts.length === 0 && p.node) parts.push(p.node.name || '(root)');
    if (p.edge) parts.push(String(p.edge.name_or_index));
  }
  return parts.join(' → ');
});

rec.info.targetRetained = await rec.phase('retained', () => {
  finder.calculateAllNodesRetainedSizes(heap);
  return target.retainedSize;
});
rec.done();
process.exit(0);
