/**
 * The in-memory form of a V8 heap snapshot, shared by the parser (which fills it) and every
 * analysis (which reads it). Everything per node or per edge lives in typed arrays indexed by
 * node index (0..nodeCount-1) or edge index (0..edgeCount-1); there is no object per node.
 *
 * Node index, not V8's "node field offset": `edgeTo[e]` is already divided by the node field count.
 * The edges of node `n` are `firstEdge[n] .. firstEdge[n + 1] - 1`.
 */
export interface HeapGraphData {
  /** Number of nodes. */
  nodeCount: number;
  /** Number of edges. */
  edgeCount: number;
  /** Index of the synthetic root node (V8 puts it first: 0). */
  rootIndex: number;

  /** Node type names from `snapshot.meta.node_types[0]`: 'hidden', 'array', 'string', 'object', … */
  nodeTypeNames: string[];
  /** Edge type names from `snapshot.meta.edge_types[0]`: 'context', 'element', 'property', … */
  edgeTypeNames: string[];

  /** Per node: index into `nodeTypeNames`. */
  nodeType: Uint8Array;
  /** Per node: index into `strings` (constructor or class name, string value, closure name, …). */
  nodeName: Uint32Array;
  /** Per node: V8's object id, stable between snapshots of one process. */
  nodeId: Uint32Array;
  /** Per node: shallow size in bytes. */
  nodeSelfSize: Uint32Array;
  /** Per node, length nodeCount + 1: index of the node's first edge; prefix sums of edge_count. */
  firstEdge: Uint32Array;
  /**
   * Per node: allocation trace node id, or undefined when the snapshot has no `trace_node_id` or all
   * are 0 (no allocation tracking).
   */
  nodeTraceId: Uint32Array | undefined;
  /**
   * Per node: detachedness (0 unknown, 1 attached, 2 detached), or undefined when absent or all 0
   * (always, outside a browser).
   */
  nodeDetachedness: Uint8Array | undefined;

  /** Per edge: index into `edgeTypeNames`. */
  edgeType: Uint8Array;
  /**
   * Per edge: for 'element' and 'hidden' edges the numeric index; for every other type an index
   * into `strings` (the property or variable name).
   */
  edgeNameOrIndex: Uint32Array;
  /** Per edge: the node index the edge points to. */
  edgeTo: Uint32Array;

  /** The string table: names, string values, script paths. Kept as UTF-8 bytes, decoded on demand. */
  strings: StringTable;

  /** Source locations (closures, scripts): parallel arrays, one entry per location. */
  locationNode: Uint32Array;
  locationScriptId: Uint32Array;
  /** 0-based line. */
  locationLine: Uint32Array;
  /** 0-based column. */
  locationColumn: Uint32Array;

  /**
   * Allocation traces, present only when the snapshot was taken with allocation tracking on
   * (`HeapProfiler.startTrackingHeapObjects({ trackAllocations: true })`) and holds any.
   * `nodeTraceId[n]` is a trace node id; look it up in `allocationTraces.traceNodeId`.
   */
  allocationTraces?: AllocationTraces;
}

/**
 * A snapshot's `trace_function_infos` and `trace_tree`, flattened into typed arrays. Numbers the
 * snapshot writes as -1 (unknown) read as 0xffffffff, as a Uint32Array store wraps them.
 */
export interface AllocationTraces {
  /** From `snapshot.meta.trace_function_info_fields`: function_id, name, script_name, script_id, line, column. */
  functionInfoFields: string[];
  /**
   * Function info records back to back, `functionInfoFields.length` numbers each; `name` and
   * `script_name` index `strings`; `line` and `column` are 1-based (0: unknown).
   */
  functionInfos: Uint32Array;
  /** Trace tree nodes in pre-order (a parent before its children): the id `nodeTraceId` refers to. */
  traceNodeId: Uint32Array;
  /** Per trace node: index of its function info record (record `i` starts at `i * functionInfoFields.length`). */
  traceNodeFunctionInfo: Uint32Array;
  /** Per trace node: live objects allocated at this stack (count and bytes, as V8 reports them). */
  traceNodeCount: Uint32Array;
  traceNodeSize: Uint32Array;
  /** Per trace node: index of its parent trace node, -1 for a top-level node. */
  traceNodeParent: Int32Array;
}

/**
 * The snapshot's strings as one UTF-8 byte blob plus offsets. Millions of small JS strings would cost
 * more than the graph itself and, held in the heap, would show up as growth in the next capture of
 * the same process; bytes in an ArrayBuffer do neither.
 */
export class StringTable {
  /** UTF-8 bytes of all strings, back to back. */
  readonly bytes: Uint8Array;
  /** Length count + 1: string i is bytes[offsets[i] .. offsets[i + 1]). */
  readonly offsets: Uint32Array;
  readonly count: number;
  // A decoded-string cache for names asked for again and again (constructor names, properties).
  #cache = new Map<number, string>();
  static #decoder = new TextDecoder();

  constructor(bytes: Uint8Array, offsets: Uint32Array, count: number) {
    this.bytes = bytes;
    this.offsets = offsets;
    this.count = count;
  }

  /** Builds a table from JS strings (tests, small synthetic graphs). */
  static fromStrings(strings: readonly string[]): StringTable {
    const encoder = new TextEncoder();
    const encoded = strings.map((s) => encoder.encode(s));
    const offsets = new Uint32Array(strings.length + 1);
    let total = 0;
    for (let i = 0; i < encoded.length; i++) {
      offsets[i] = total;
      total += encoded[i]!.length;
    }
    offsets[strings.length] = total;
    const bytes = new Uint8Array(total);
    for (let i = 0; i < encoded.length; i++) bytes.set(encoded[i]!, offsets[i]!);
    return new StringTable(bytes, offsets, strings.length);
  }

  /** The string at `index`; '' for an index outside the table. */
  get(index: number): string {
    if (index >= this.count || index < 0) return '';
    const cached = this.#cache.get(index);
    if (cached !== undefined) return cached;
    const value = StringTable.#decoder.decode(
      this.bytes.subarray(this.offsets[index]!, this.offsets[index + 1]!),
    );
    // Bounded: names repeat, values rarely need a second decode.
    if (this.#cache.size < 65_536) this.#cache.set(index, value);
    return value;
  }

  /** Byte length of string `index` (no decoding). */
  byteLength(index: number): number {
    return index >= this.count || index < 0 ? 0 : this.offsets[index + 1]! - this.offsets[index]!;
  }
}

/** Type names that mark edges the garbage collector does not follow for liveness. */
export const WEAK_EDGE_TYPE = 'weak';
