// The method of the `leakage` package (npm `leakage` 0.5.0, `iterate()`), reimplemented without its
// native dependency: `npm install leakage` fails to build here (its @aidemaster/node-memwatch fork
// of node-memwatch uses V8 APIs removed before Node 20; see bench/README.md). What it does, from
// its lib/index.js and lib/testConstantHeapSize.js:
//
//   for each of `gcollections` (6) rounds:
//     memwatch.gc(); memwatch.gc();
//     heapDiff = new memwatch.HeapDiff()        // a heap snapshot
//     call the function `iterations` (30) times
//     heapDiffs.push(heapDiff.end())            // another snapshot; change.size_bytes = after - before
//   leak when the longest run of consecutive rounds with change.size_bytes > sensitivity (1 KiB)
//   is longer than floor(6 * 2 / 3) = 4 rounds.
//
// node-memwatch's HeapDiff sizes a snapshot as the sum of the shallow sizes of every node reachable
// from the snapshot's root (heapdiff.cc, buildIDSet), all edges followed. `snapshotSize` does the
// same on `v8.getHeapSnapshot()`. Garbage collection: the `--expose-gc` function obtained at run
// time (what memwatch.gc() does natively: a full collection).
import { getHeapSnapshot, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

/** Sum of the self sizes of the nodes reachable from the root, like node-memwatch's HeapDiff. */
async function snapshotSize(HeapSnapshotParser) {
  const parser = new HeapSnapshotParser({ file: 'leakage', trustCounts: true });
  for await (const chunk of getHeapSnapshot()) parser.write(chunk);
  const data = parser.end();
  const seen = new Uint8Array(data.nodeCount);
  const stack = [data.rootIndex];
  seen[data.rootIndex] = 1;
  let size = 0;
  while (stack.length > 0) {
    const n = stack.pop();
    size += data.nodeSelfSize[n];
    for (let e = data.firstEdge[n]; e < data.firstEdge[n + 1]; e++) {
      const t = data.edgeTo[e];
      if (!seen[t]) {
        seen[t] = 1;
        stack.push(t);
      }
    }
  }
  return size;
}

/**
 * `leakage`'s decision on a series of per-round growths: the longest run of consecutive rounds that
 * grew by more than `sensitivity` bytes must be longer than two thirds of the rounds.
 */
export function leakageVerdict(diffs, sensitivity = 1024) {
  let longest = 0;
  let run = 0;
  for (const d of diffs) {
    run = d > sensitivity ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return { leak: longest > Math.floor((diffs.length * 2) / 3), longest };
}

/**
 * Runs `fn` the way `leakage`'s `iterate()` does. `measure` is `'heapdiff'` (node-memwatch's
 * HeapDiff: heap snapshot sizes) or `'heapUsed'` (`used_heap_size` after a full GC, the cheap
 * variant people write by hand).
 */
export async function leakageIterate(
  fn,
  { iterations = 30, gcollections = 6, measure = 'heapdiff', HeapSnapshotParser },
) {
  const size =
    measure === 'heapdiff'
      ? () => snapshotSize(HeapSnapshotParser)
      : async () => {
          gc();
          return getHeapStatistics().used_heap_size;
        };
  const diffs = new Array(gcollections);
  let i = 0;
  for (let g = 0; g < gcollections; g++) {
    gc();
    gc();
    const before = await size();
    for (let k = 0; k < iterations; k++) fn(i++);
    const after = await size();
    diffs[g] = after - before;
  }
  return { diffs, ...leakageVerdict(diffs) };
}
