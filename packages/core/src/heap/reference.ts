import type { HeapGraphData } from './data.js';
import { StringTable } from './data.js';

/** The parts of a `.heapsnapshot` JSON document the graph needs. */
export interface HeapSnapshotJson {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
      location_fields?: string[];
    };
    node_count: number;
    edge_count: number;
    root_index?: number;
  };
  nodes: number[];
  edges: number[];
  locations?: number[];
  strings: string[];
}

/**
 * Builds {@link HeapGraphData} from an already parsed snapshot object. This is the simple,
 * non-streaming reference: tests use it as the oracle for the streaming parser and to make small
 * synthetic graphs. Real files go through the streaming parser, never through `JSON.parse`.
 */
export function graphDataFromJson(json: HeapSnapshotJson): HeapGraphData {
  const meta = json.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const f = (name: string) => meta.node_fields.indexOf(name);
  const iType = f('type');
  const iName = f('name');
  const iId = f('id');
  const iSelf = f('self_size');
  const iEdges = f('edge_count');
  const iTrace = f('trace_node_id');
  const iDet = f('detachedness');
  const eType = meta.edge_fields.indexOf('type');
  const eName = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const nodeCount = json.nodes.length / nf;
  const edgeCount = json.edges.length / ef;
  const data: HeapGraphData = {
    nodeCount,
    edgeCount,
    rootIndex: json.snapshot.root_index ?? 0,
    nodeTypeNames: meta.node_types[0],
    edgeTypeNames: meta.edge_types[0],
    nodeType: new Uint8Array(nodeCount),
    nodeName: new Uint32Array(nodeCount),
    nodeId: new Uint32Array(nodeCount),
    nodeSelfSize: new Uint32Array(nodeCount),
    firstEdge: new Uint32Array(nodeCount + 1),
    nodeTraceId: iTrace >= 0 ? new Uint32Array(nodeCount) : undefined,
    nodeDetachedness: iDet >= 0 ? new Uint8Array(nodeCount) : undefined,
    edgeType: new Uint8Array(edgeCount),
    edgeNameOrIndex: new Uint32Array(edgeCount),
    edgeTo: new Uint32Array(edgeCount),
    strings: StringTable.fromStrings(json.strings),
    locationNode: new Uint32Array(0),
    locationScriptId: new Uint32Array(0),
    locationLine: new Uint32Array(0),
    locationColumn: new Uint32Array(0),
  };
  let edge = 0;
  for (let n = 0; n < nodeCount; n++) {
    const base = n * nf;
    data.nodeType[n] = json.nodes[base + iType]!;
    data.nodeName[n] = json.nodes[base + iName]!;
    data.nodeId[n] = json.nodes[base + iId]!;
    data.nodeSelfSize[n] = json.nodes[base + iSelf]!;
    if (data.nodeTraceId) data.nodeTraceId[n] = json.nodes[base + iTrace]!;
    if (data.nodeDetachedness) data.nodeDetachedness[n] = json.nodes[base + iDet]!;
    data.firstEdge[n] = edge;
    edge += json.nodes[base + iEdges]!;
  }
  data.firstEdge[nodeCount] = edge;
  for (let e = 0; e < edgeCount; e++) {
    data.edgeType[e] = json.edges[e * ef + eType]!;
    data.edgeNameOrIndex[e] = json.edges[e * ef + eName]!;
    data.edgeTo[e] = json.edges[e * ef + eTo]! / nf;
  }
  const lf = meta.location_fields ?? [];
  const locs = json.locations ?? [];
  if (lf.length > 0) {
    const count = locs.length / lf.length;
    const col = (name: string) => {
      const i = lf.indexOf(name);
      const out = new Uint32Array(count);
      for (let k = 0; k < count; k++) out[k] = locs[k * lf.length + i]!;
      return out;
    };
    data.locationNode = col('object_index').map((v) => v / nf);
    data.locationScriptId = col('script_id');
    data.locationLine = col('line');
    data.locationColumn = col('column');
  }
  return data;
}
