import type { HeapGraphData } from '../src/heap/data.js';
import type { HeapSnapshotJson } from '../src/heap/reference.js';
import { graphDataFromJson } from '../src/heap/reference.js';

// Small synthetic heap graphs for the graph-algorithm tests, built through the reference loader
// so they have exactly the layout a parsed snapshot has.

/** V8's node types, in V8's order (Node 22). */
export const NODE_TYPES = [
  'hidden',
  'array',
  'string',
  'object',
  'code',
  'closure',
  'regexp',
  'number',
  'native',
  'synthetic',
  'concatenated string',
  'sliced string',
  'symbol',
  'bigint',
  'object shape',
] as const;
/** V8's edge types, in V8's order. */
export const EDGE_TYPES = [
  'context',
  'element',
  'property',
  'internal',
  'hidden',
  'shortcut',
  'weak',
] as const;

export type NodeTypeName = (typeof NODE_TYPES)[number];
export type EdgeTypeName = (typeof EDGE_TYPES)[number];

export interface SyntheticNode {
  type?: NodeTypeName;
  name?: string;
  /** Defaults to 2 * index + 1 (V8 gives JS objects odd ids). */
  id?: number;
  self?: number;
}
export interface SyntheticEdge {
  from: number;
  to: number;
  type?: EdgeTypeName;
  /** Property name, or the index for element / hidden edges. */
  name?: string | number;
}

/** Builds graph data; node 0 is the root. */
export function buildGraph(nodes: readonly SyntheticNode[], edges: readonly SyntheticEdge[]): HeapGraphData {
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const str = (s: string) => {
    let i = stringIndex.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      stringIndex.set(s, i);
    }
    return i;
  };
  const nf = 6;
  const byFrom: SyntheticEdge[][] = nodes.map(() => []);
  for (const e of edges) byFrom[e.from]!.push(e);
  const flatNodes: number[] = [];
  const flatEdges: number[] = [];
  nodes.forEach((n, i) => {
    const out = byFrom[i]!;
    flatNodes.push(
      NODE_TYPES.indexOf(n.type ?? (i === 0 ? 'synthetic' : 'object')),
      str(n.name ?? (i === 0 ? '' : `N${i}`)),
      n.id ?? 2 * i + 1,
      n.self ?? (i === 0 ? 0 : 10),
      out.length,
      0,
    );
    for (const e of out) {
      const type = e.type ?? 'property';
      const name =
        type === 'element' || type === 'hidden'
          ? typeof e.name === 'number'
            ? e.name
            : 0
          : str(String(e.name ?? `p${e.to}`));
      flatEdges.push(EDGE_TYPES.indexOf(type), name, e.to * nf);
    }
  });
  const json: HeapSnapshotJson = {
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'detachedness'],
        node_types: [[...NODE_TYPES]],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [[...EDGE_TYPES]],
      },
      node_count: nodes.length,
      edge_count: flatEdges.length / 3,
    },
    nodes: flatNodes,
    edges: flatEdges,
    strings,
  };
  return graphDataFromJson(json);
}
