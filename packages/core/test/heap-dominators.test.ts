import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeapGraphData } from '../src/heap/data.js';
import { computeDominators, retainingEdgeMask } from '../src/heap/dominators.js';
import { HeapGraph } from '../src/heap/graph.js';
import { buildRetainers } from '../src/heap/retainers.js';
import { buildGraph } from './heap-graph-builder.js';
import { captureInChild, loadReference, nodesOfClass, propertyTarget } from './heap-snapshot-fixture.js';

describe('buildRetainers()', () => {
  it('lists, for every node, the edges that point at it, in (node, edge) order', () => {
    const data = buildGraph(
      [{}, {}, {}, {}],
      [
        { from: 0, to: 1 },
        { from: 0, to: 2 },
        { from: 1, to: 2 },
        { from: 2, to: 2 },
        { from: 1, to: 2, type: 'weak' },
        { from: 3, to: 1 },
      ],
    );
    const r = buildRetainers(data);
    const retainersOf = (n: number) => {
      const out: [number, number][] = [];
      for (let i = r.firstRetainer[n]!; i < r.firstRetainer[n + 1]!; i++) {
        out.push([r.retainerNode[i]!, r.retainerEdge[i]!]);
      }
      return out;
    };
    // Edges in node order: 0:(0->1) 1:(0->2) 2:(1->2) 3:(1->2 weak) 4:(2->2) 5:(3->1)
    expect(retainersOf(0)).toEqual([]);
    expect(retainersOf(1)).toEqual([
      [0, 0],
      [3, 5],
    ]);
    expect(retainersOf(2)).toEqual([
      [0, 1],
      [1, 2],
      [1, 3],
      [2, 4],
    ]);
    expect(retainersOf(3)).toEqual([]);
    expect(r.firstRetainer[4]).toBe(data.edgeCount);
  });
});

describe('computeDominators()', () => {
  it('finds the diamond join dominated by the root, not by either branch', () => {
    // root -> a -> {b, c} -> d
    const data = buildGraph(
      [{}, { self: 1 }, { self: 2 }, { self: 4 }, { self: 8 }],
      [
        { from: 0, to: 1 },
        { from: 1, to: 2 },
        { from: 1, to: 3 },
        { from: 2, to: 4 },
        { from: 3, to: 4 },
      ],
    );
    const dom = computeDominators(data);
    expect(Array.from(dom.idom)).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from(dom.retainedSize)).toEqual([15, 15, 2, 4, 8]);
    expect(Array.from(dom.preorder)[0]).toBe(0);
  });

  it('does not let weak edges or shortcuts (except from the root) retain', () => {
    const data = buildGraph(
      [{}, { self: 1 }, { self: 2 }, { self: 4 }, { self: 8 }],
      [
        { from: 0, to: 1 },
        { from: 1, to: 2 },
        { from: 3, to: 2, type: 'weak' },
        { from: 0, to: 3, type: 'shortcut' },
        { from: 3, to: 4 },
        { from: 1, to: 4, type: 'shortcut' },
      ],
    );
    const dom = computeDominators(data);
    expect(dom.idom[2]).toBe(1);
    expect(dom.idom[4]).toBe(3);
    expect(dom.retainedSize[1]).toBe(3);
    expect(dom.retainedSize[3]).toBe(12);
    // Edge order is by source node: 0->1, 0->3 (shortcut), 1->2, 1->4 (shortcut), 3->2 (weak), 3->4.
    expect(Array.from(retainingEdgeMask(data))).toEqual([1, 1, 1, 0, 0, 1]);
  });

  it('reports unreachable nodes: not reachable, root as idom, own size only, not in the root total', () => {
    // 3 is held only weakly; 4 only by 3.
    const data = buildGraph(
      [{}, { self: 1 }, { self: 2 }, { self: 4 }, { self: 8 }],
      [
        { from: 0, to: 1 },
        { from: 1, to: 2 },
        { from: 2, to: 3, type: 'weak' },
        { from: 3, to: 4 },
        { from: 4, to: 4 },
      ],
    );
    const dom = computeDominators(data);
    expect(Array.from(dom.reachable)).toEqual([1, 1, 1, 0, 0]);
    expect(dom.reachableCount).toBe(3);
    expect(dom.idom[3]).toBe(0);
    expect(dom.idom[4]).toBe(0);
    expect(Array.from(dom.retainedSize)).toEqual([3, 3, 2, 4, 8]);
  });

  it('lets a WeakMap key, not the table, dominate its value (as DevTools does)', () => {
    const entry = (table: number) =>
      `1 / part of key (Object @5) -> value (Value @7) pair in WeakMap (table @${table})`;
    const data = buildGraph(
      [
        {},
        { name: 'WeakMap' },
        { type: 'array', id: 99 },
        { name: 'Object', id: 5 },
        { name: 'Value', id: 7 },
      ],
      [
        { from: 0, to: 1 },
        { from: 0, to: 3 },
        { from: 1, to: 2, type: 'internal', name: 'table' },
        { from: 2, to: 4, type: 'internal', name: entry(99) },
        { from: 3, to: 4, type: 'internal', name: entry(99) },
        // Same pattern, other table: an ordinary internal edge.
        { from: 2, to: 3, type: 'internal', name: entry(12) },
      ],
    );
    expect(Array.from(retainingEdgeMask(data))).toEqual([1, 1, 1, 0, 1, 1]);
    const dom = computeDominators(data);
    expect(dom.idom[4]).toBe(3);
    expect(dom.idom[3]).toBe(0);
  });

  it('handles a 1,000,000-node chain without recursion', () => {
    const n = 1_000_000;
    const data: HeapGraphData = chain(n);
    const dom = computeDominators(data);
    expect(dom.reachableCount).toBe(n);
    expect(dom.retainedSize[0]).toBe((n - 1) * 10);
    expect(dom.idom[n - 1]).toBe(n - 2);
  });

  it('copes with an empty-edged root and a single node', () => {
    const dom = computeDominators(buildGraph([{}], []));
    expect(Array.from(dom.idom)).toEqual([0]);
    expect(dom.reachableCount).toBe(1);
  });
});

/** root -> 1 -> 2 -> ... -> n-1, built straight into typed arrays (the builder is too slow for 1 M). */
function chain(n: number): HeapGraphData {
  const base = buildGraph([{}, {}], [{ from: 0, to: 1 }]);
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0; i <= n; i++) firstEdge[i] = Math.min(i, n - 1);
  const edgeTo = new Uint32Array(n - 1);
  for (let i = 0; i < n - 1; i++) edgeTo[i] = i + 1;
  const sizes = new Uint32Array(n).fill(10);
  sizes[0] = 0;
  return {
    ...base,
    nodeCount: n,
    edgeCount: n - 1,
    nodeType: new Uint8Array(n).fill(3),
    nodeName: new Uint32Array(n),
    nodeId: Uint32Array.from({ length: n }, (_, i) => 2 * i + 1),
    nodeSelfSize: sizes,
    firstEdge,
    nodeTraceId: undefined,
    nodeDetachedness: undefined,
    edgeType: new Uint8Array(n - 1).fill(2),
    edgeNameOrIndex: new Uint32Array(n - 1),
    edgeTo,
  };
}

describe('HeapGraph dominator methods', () => {
  const data = buildGraph(
    [{}, { self: 1, id: 11 }, { self: 2, id: 13 }, { self: 4, id: 15 }],
    [
      { from: 0, to: 1 },
      { from: 1, to: 2 },
      { from: 2, to: 3, type: 'weak' },
    ],
  );
  const graph = new HeapGraph(data);

  it('answers retainedSize and dominatorOf by V8 object id', () => {
    expect(graph.retainedSize(11)).toBe(3);
    expect(graph.retainedSize(15)).toBe(4);
    expect(graph.dominatorOf(13)).toBe(11);
    expect(graph.dominatorOf(11)).toBe(1);
    expect(graph.dominatorOf(1)).toBeUndefined();
    expect(graph.dominatorOf(15)).toBeUndefined();
    expect(graph.dominators).toBe(graph.dominators);
    expect(graph.retainers).toBe(graph.retainers);
  });

  it('throws ERR_LEAKKIT_UNKNOWN_NODE for an id the graph does not hold', () => {
    expect(() => graph.retainedSize(12345)).toThrow(
      expect.objectContaining({ code: 'ERR_LEAKKIT_UNKNOWN_NODE', name: 'LeakkitError' }),
    );
    expect(() => graph.dominatorOf(-1)).toThrow(
      expect.objectContaining({ code: 'ERR_LEAKKIT_UNKNOWN_NODE' }),
    );
  });
});

describe('computeDominators() on a real snapshot', () => {
  let fixture: ReturnType<typeof captureInChild>;
  beforeAll(() => {
    fixture = captureInChild(`
      class DomProbeValue { constructor(i) { this.payload = new Array(64).fill(i); } }
      class DomProbeKey {}
      globalThis.probeMap = new Map();
      for (let i = 0; i < 200; i++) globalThis.probeMap.set('key' + i, new Array(100).fill(i));
      function setup() {
        globalThis.probeKey = new DomProbeKey();
        globalThis.probeWeak = new WeakMap();
        globalThis.probeWeak.set(globalThis.probeKey, new DomProbeValue(7));
      }
      setup();
      await snap('s');
    `);
  });
  afterAll(() => fixture?.dispose());

  it('agrees with removal-reachability for the Map, its entries and a WeakMap value', () => {
    const graph = loadReference(fixture.path('s'));
    const { data } = graph;
    const mask = retainingEdgeMask(data);
    const reach = (removed: number) => {
      const seen = new Uint8Array(data.nodeCount);
      const stack = [data.rootIndex];
      seen[data.rootIndex] = 1;
      while (stack.length > 0) {
        const n = stack.pop()!;
        for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
          const to = data.edgeTo[e]!;
          if (mask[e] && to !== removed && !seen[to]) {
            seen[to] = 1;
            stack.push(to);
          }
        }
      }
      return seen;
    };
    const all = reach(-1);
    const naiveRetained = (x: number) => {
      const without = reach(x);
      let sum = 0;
      for (let n = 0; n < data.nodeCount; n++) if (all[n] && !without[n]) sum += data.nodeSelfSize[n]!;
      return sum;
    };
    const map = propertyTarget(data, 'probeMap');
    expect(data.strings.get(data.nodeName[map]!)).toBe('Map');
    expect(graph.retainedSize(data.nodeId[map]!)).toBeGreaterThan(200 * 100 * 8);
    const dom = graph.dominators;
    expect(dom.retainedSize[map]).toBe(naiveRetained(map));
    const [value] = nodesOfClass(data, 'DomProbeValue');
    const [key] = nodesOfClass(data, 'DomProbeKey');
    expect(graph.dominatorOf(data.nodeId[value!]!)).toBe(data.nodeId[key!]);
    expect(dom.retainedSize[key!]).toBe(naiveRetained(key!));
    expect(dom.retainedSize[key!]).toBeGreaterThan(64 * 8);
    // Every reachable node's retained size is at least its own and at most the root's.
    const total = dom.retainedSize[data.rootIndex]!;
    for (let n = 0; n < data.nodeCount; n++) {
      expect(dom.retainedSize[n]! >= data.nodeSelfSize[n]! && dom.retainedSize[n]! <= total).toBe(true);
    }
  });
});
