import type { HeapGraphData } from './data.js';

/**
 * A parsed V8 heap snapshot. Holds {@link HeapGraphData} (typed arrays, one string table) and
 * computes derived structures (retainers, dominators, id index) lazily, once.
 *
 * CONTRACT between heap modules (each file owns one concern):
 *   parse.ts       parseHeapSnapshot / HeapSnapshotParser: bytes -> HeapGraphData
 *   capture.ts     captureHeap(), resetHeapTracking()
 *   retainers.ts   reverse edges
 *   dominators.ts  dominator tree + retained sizes
 *   summary.ts     graph.summary()
 *   diff.ts        diffHeaps()
 *   names.ts       how a node / edge reads to a developer
 *   paths.ts       graph.pathTo()
 *   growth.ts      findGrowth()
 */
export class HeapGraph {
  readonly data: HeapGraphData;

  constructor(data: HeapGraphData) {
    this.data = data;
  }

  /** Number of nodes in the snapshot. */
  get nodeCount(): number {
    return this.data.nodeCount;
  }

  /** Number of edges in the snapshot. */
  get edgeCount(): number {
    return this.data.edgeCount;
  }
}
