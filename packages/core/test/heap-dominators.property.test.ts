import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HeapGraphData } from '../src/heap/data.js';
import { computeDominators } from '../src/heap/dominators.js';
import type { EdgeTypeName, SyntheticEdge } from './heap-graph-builder.js';
import { buildGraph } from './heap-graph-builder.js';

// The oracle, written the slow and obvious way: an edge retains unless it is weak or a shortcut
// from anything but the root; retained(x) = self sizes of the nodes that stop being reachable
// from the root when x is removed.
function retains(data: HeapGraphData, from: number, e: number): boolean {
  const type = data.edgeTypeNames[data.edgeType[e]!];
  if (type === 'weak') return false;
  if (type === 'shortcut') return from === data.rootIndex;
  return true;
}

function reach(data: HeapGraphData, removed: number): Uint8Array {
  const seen = new Uint8Array(data.nodeCount);
  if (removed === data.rootIndex) return seen;
  const queue = [data.rootIndex];
  seen[data.rootIndex] = 1;
  while (queue.length > 0) {
    const n = queue.pop()!;
    for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
      const to = data.edgeTo[e]!;
      if (to === removed || seen[to] || !retains(data, n, e)) continue;
      seen[to] = 1;
      queue.push(to);
    }
  }
  return seen;
}

interface Oracle {
  reachable: Uint8Array;
  retained: number[];
  idom: number[];
}

function oracle(data: HeapGraphData): Oracle {
  const all = reach(data, -1);
  const n = data.nodeCount;
  const retained: number[] = [];
  // dominatedBy[x] = strict dominators of x
  const strictDominators: number[][] = Array.from({ length: n }, () => []);
  for (let x = 0; x < n; x++) {
    if (!all[x]) {
      retained.push(data.nodeSelfSize[x]!);
      continue;
    }
    const without = reach(data, x);
    let sum = 0;
    for (let y = 0; y < n; y++) {
      if (all[y] && !without[y]) {
        sum += data.nodeSelfSize[y]!;
        if (y !== x) strictDominators[y]!.push(x);
      }
    }
    retained.push(sum);
  }
  // The immediate dominator is the strict dominator with the most dominators of its own.
  const idom = strictDominators.map((doms, x) => {
    if (x === data.rootIndex || !all[x]) return data.rootIndex;
    let best = doms[0]!;
    for (const d of doms) if (strictDominators[d]!.length > strictDominators[best]!.length) best = d;
    return best;
  });
  return { reachable: all, retained, idom };
}

const edgeType = fc.constantFrom<EdgeTypeName>(
  'property',
  'property',
  'element',
  'internal',
  'context',
  'hidden',
  'weak',
  'shortcut',
);

/** Random graphs: cyclic or DAG-shaped, with self loops, duplicate, weak and shortcut edges. */
const graphArb = fc
  .record({
    n: fc.integer({ min: 1, max: 24 }),
    dag: fc.boolean(),
    sizes: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 24, maxLength: 24 }),
    rootEdges: fc.array(fc.tuple(fc.nat(), edgeType), { maxLength: 6 }),
    edges: fc.array(fc.tuple(fc.nat(), fc.nat(), edgeType), { maxLength: 60 }),
  })
  .map(({ n, dag, sizes, rootEdges, edges }) => {
    const list: SyntheticEdge[] = [];
    for (const [to, type] of rootEdges) list.push({ from: 0, to: to % n, type });
    for (const [a, b, type] of edges) {
      let from = a % n;
      let to = b % n;
      if (dag && from > to) [from, to] = [to, from];
      if (dag && from === to) continue;
      list.push({ from, to, type });
    }
    const nodes = Array.from({ length: n }, (_, i) => ({ self: i === 0 ? 0 : sizes[i]! }));
    return buildGraph(nodes, list);
  });

describe('computeDominators() against the naive reference', () => {
  it('agrees on retained sizes, immediate dominators and reachability', () => {
    fc.assert(
      fc.property(graphArb, (data) => {
        const dom = computeDominators(data);
        const ref = oracle(data);
        // The same with a gathering buffer of one to three predecessors: several passes over the
        // edges, and vertices with more predecessors than fit evaluated during a pass.
        for (const gatherCapacity of [1, 2, 3]) {
          const small = computeDominators(data, undefined, { gatherCapacity });
          expect(Array.from(small.idom)).toEqual(Array.from(dom.idom));
          expect(Array.from(small.retainedSize)).toEqual(Array.from(dom.retainedSize));
        }
        expect(Array.from(dom.reachable)).toEqual(Array.from(ref.reachable));
        expect(Array.from(dom.retainedSize)).toEqual(ref.retained);
        expect(Array.from(dom.idom)).toEqual(ref.idom);
        expect(dom.reachableCount).toBe(ref.reachable.reduce((a, b) => a + b, 0));
        // Preorder puts every dominator before the nodes it dominates.
        const position = new Map<number, number>();
        dom.preorder.forEach((node, i) => {
          position.set(node, i);
        });
        for (const node of dom.preorder) {
          if (node === data.rootIndex) continue;
          expect(position.get(dom.idom[node]!)!).toBeLessThan(position.get(node)!);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('matches the reference on long chains and wide fans built to stress path compression', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 60 }), fc.array(fc.nat(), { maxLength: 40 }), (n, extra) => {
        // A chain 0 -> 1 -> ... -> n-1 plus random back and forward edges.
        const edges: SyntheticEdge[] = [];
        for (let i = 0; i + 1 < n; i++) edges.push({ from: i, to: i + 1 });
        for (let k = 0; k + 1 < extra.length; k += 2)
          edges.push({ from: extra[k]! % n, to: extra[k + 1]! % n });
        const data = buildGraph(
          Array.from({ length: n }, (_, i) => ({ self: i })),
          edges,
        );
        const ref = oracle(data);
        for (const gatherCapacity of [undefined, 1, 4]) {
          const dom = computeDominators(
            data,
            undefined,
            gatherCapacity === undefined ? undefined : { gatherCapacity },
          );
          expect(Array.from(dom.retainedSize)).toEqual(ref.retained);
          expect(Array.from(dom.idom)).toEqual(ref.idom);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('matches the reference on graphs with hubs (hidden classes every object points at), in small passes', () => {
    // Most nodes point at one of a few hubs, as every V8 object points at its hidden class: hubs
    // have many later predecessors, more than a small gathering buffer holds.
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 30 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
        fc.integer({ min: 1, max: 6 }),
        (n, hubs, extra, hubOf, gatherCapacity) => {
          const edges: SyntheticEdge[] = [];
          for (let i = 1; i < n; i++) edges.push({ from: (hubOf[i]! * 7) % i, to: i });
          for (let i = hubs + 1; i < n; i++) edges.push({ from: i, to: 1 + (hubOf[i]! % hubs) });
          for (const [a, b] of extra) edges.push({ from: a % n, to: b % n });
          const data = buildGraph(
            Array.from({ length: n }, (_, i) => ({ self: i === 0 ? 0 : i })),
            edges,
          );
          const ref = oracle(data);
          const dom = computeDominators(data, undefined, { gatherCapacity });
          expect(Array.from(dom.retainedSize)).toEqual(ref.retained);
          expect(Array.from(dom.idom)).toEqual(ref.idom);
        },
      ),
      { numRuns: 300 },
    );
  });
});
