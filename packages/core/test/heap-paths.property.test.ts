import { HeapGraph } from '@leakkit/core/heap';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EdgeTypeName, NodeTypeName, SyntheticEdge, SyntheticNode } from './heap-graph-builder.js';
import { buildGraph, EDGE_TYPES } from './heap-graph-builder.js';

// Random graphs with what the path search treats specially: V8's internal node types (only the last
// pass enters them), weak edges and shortcuts (never followed), internal edges named like scopes and
// hash table slots, a global object and GC-root categories under the root.
const NODE_KINDS: NodeTypeName[] = [
  'object',
  'object',
  'array',
  'closure',
  'string',
  'hidden',
  'code',
  'object shape',
];
const EDGE_NAMES = ['table', 'context', 'previous', 'map', '__proto__', 'x', '3', '17'];

const graphArb = fc
  .record({
    n: fc.integer({ min: 4, max: 40 }),
    kinds: fc.array(fc.nat(NODE_KINDS.length - 1), { minLength: 40, maxLength: 40 }),
    edges: fc.array(
      fc.record({
        from: fc.nat(),
        to: fc.nat(),
        type: fc.nat(EDGE_TYPES.length - 1),
        name: fc.nat(EDGE_NAMES.length - 1),
      }),
      { maxLength: 120 },
    ),
  })
  .map(({ n, kinds, edges }) => {
    // 0 the root, 1 the global object, 2 "(GC roots)" with 3 "(Stack roots)" under it.
    const nodes: SyntheticNode[] = Array.from({ length: n }, (_, i): SyntheticNode => {
      if (i === 0) return { type: 'synthetic', name: '' };
      if (i === 1) return { type: 'object', name: 'global / ' };
      if (i === 2) return { type: 'synthetic', name: '(GC roots)' };
      if (i === 3) return { type: 'synthetic', name: '(Stack roots)' };
      return { type: NODE_KINDS[kinds[i]!]!, name: `N${i}` };
    });
    const list: SyntheticEdge[] = [
      { from: 0, to: 1, type: 'shortcut', name: 'global' },
      { from: 0, to: 2, type: 'element', name: 1 },
      { from: 2, to: 3, type: 'element', name: 1 },
    ];
    for (const e of edges) {
      const type: EdgeTypeName = EDGE_TYPES[e.type]!;
      const name = type === 'element' || type === 'hidden' ? e.name : EDGE_NAMES[e.name]!;
      list.push({ from: 1 + (e.from % (n - 1)), to: 1 + (e.to % (n - 1)), type, name });
    }
    return buildGraph(nodes, list);
  });

describe('graph.pathTo() (properties)', () => {
  it('answers every node the same, whatever order the paths are asked in', () => {
    fc.assert(
      fc.property(graphArb, fc.array(fc.nat(), { maxLength: 40 }), (data, order) => {
        const all = Array.from({ length: data.nodeCount }, (_, i) => i);
        const paths = (asked: number[]) => {
          // A copy of the data is a graph of its own: no search is shared between the two.
          const graph = new HeapGraph({ ...data });
          const byNode = new Map<number, string>();
          for (const n of asked) {
            const path = graph.pathTo(graph.nodeId(n), { raw: true });
            byNode.set(
              n,
              path === undefined ? 'none' : `${path.text} | ${path.steps.map((s) => s.nodeId).join(',')}`,
            );
          }
          return all.map((n) => byNode.get(n));
        };
        // A random order (random nodes first, then all) against node order.
        const shuffled = [...order.map((k) => k % data.nodeCount), ...all.reverse()];
        expect(paths(shuffled)).toEqual(paths([...all].reverse()));
      }),
      { numRuns: 300, seed: 20_261_125 },
    );
  });
});
