import { describeValue, LeakkitError } from '../errors.js';
import type { HeapGraphData } from './data.js';
import { WEAK_EDGE_TYPE } from './data.js';

/**
 * The dominator tree of a heap graph and the retained size of every node.
 *
 * Node `d` dominates node `n` when every retaining path from the root to `n` passes through `d`:
 * freeing `d` frees `n`. The retained size of `d` is the self size of everything it dominates,
 * itself included: the memory a garbage collection would give back if `d` went away.
 *
 * Which edges retain (the semantics of Chrome DevTools, with the differences called out):
 * - `weak` edges never retain.
 * - `shortcut` edges retain only when they leave the root. V8 emits shortcuts as a second, short
 *   name for a path that exists anyway (a bound function's `bound_argument_0` next to its
 *   `bound_arguments` array); the one from the root to the global object is how V8 marks the user
 *   global, and DevTools keeps it, so do we.
 * - A WeakMap value is held by two `internal` edges, one from the key and one from the table,
 *   named `… / part of key (…) -> value (…) pair in WeakMap (table @id)`. The value lives only
 *   while both do (an AND no dominator tree can express), so like DevTools we drop the edge from
 *   the table and let the key dominate the value: "this key keeps that value" is what a
 *   developer can act on.
 * - Every edge from the root retains, whether it leads to a GC-roots category (`(GC roots)`,
 *   `C++ roots`, `Node / Environment`) or straight to an object (the global).
 * - Unlike DevTools, no "page-owned" filtering: DevTools ignores edges from objects outside the
 *   window's reach into it (browser-only debugger references). In Node most state (ES modules,
 *   handles) is outside `global`'s reach, and dropping those edges would make a retained size
 *   mean something other than "what is freed if this object goes".
 * - Nodes the root does not reach through retaining edges (only weakly held, about to be freed)
 *   are `reachable[n] = 0`, have the root as `idom` (so walking up always ends) and keep their
 *   self size as retained size; they are not added to any other node's retained size, the
 *   root's included. DevTools instead hangs them under the root and counts them in its total.
 */
export interface Dominators {
  /** Per node: node index of the immediate dominator. The root's is itself; see {@link reachable}. */
  readonly idom: Uint32Array;
  /** Per node: retained size in bytes. Float64: totals pass 4 GB on big heaps. */
  readonly retainedSize: Float64Array;
  /** Per node: 1 when the root reaches the node through retaining edges, else 0. */
  readonly reachable: Uint8Array;
  /**
   * The reachable nodes in depth-first preorder from the root (the root first). A node's
   * dominator always comes before it, so a forward pass sees every dominator before the nodes it
   * dominates and a backward pass sees children before parents.
   */
  readonly preorder: Uint32Array;
  /** Number of reachable nodes (the length of {@link preorder}). */
  readonly reachableCount: number;
}

/**
 * Marks, per edge, whether it keeps its target alive for dominator purposes: 1 retains, 0 does
 * not (weak edges, shortcuts not from the root, the table side of a WeakMap entry). One byte per
 * edge, computed once so the hot loops read a byte instead of re-deciding.
 *
 * @param data - A parsed heap graph.
 * @returns A Uint8Array of length `edgeCount`.
 *
 * @example
 * ```ts
 * const mask = retainingEdgeMask(graph.data);
 * const strongEdges = mask.reduce((a, b) => a + b, 0);
 * ```
 */
export function retainingEdgeMask(data: HeapGraphData): Uint8Array {
  const { nodeCount, edgeCount, firstEdge, edgeType, edgeNameOrIndex, nodeId, strings, rootIndex } = data;
  const mask = new Uint8Array(edgeCount);
  // Per edge type: 0 never retains, 1 always, 2 only from the root, 3 internal (WeakMap check).
  const kinds = new Uint8Array(256).fill(1);
  const types = data.edgeTypeNames;
  for (let t = 0; t < types.length && t < 256; t++) {
    const name = types[t];
    if (name === WEAK_EDGE_TYPE) kinds[t] = 0;
    else if (name === 'shortcut') kinds[t] = 2;
    else if (name === 'internal') kinds[t] = 3;
  }
  // Per string, filled on first sight: 1 = not a WeakMap entry name, 2 = one, tableIds = its table.
  const nameState = new Uint8Array(strings.count);
  let tableIds: Uint32Array | undefined;
  for (let n = 0; n < nodeCount; n++) {
    const end = firstEdge[n + 1]!;
    for (let e = firstEdge[n]!; e < end; e++) {
      const kind = kinds[edgeType[e]!]!;
      if (kind === 1) mask[e] = 1;
      else if (kind === 2) mask[e] = n === rootIndex ? 1 : 0;
      else if (kind === 3) {
        const name = edgeNameOrIndex[e]!;
        let state = nameState[name];
        if (state === 0) {
          const table = weakMapTableId(strings.bytes, strings.offsets[name]!, strings.offsets[name + 1]!);
          if (table < 0) state = 1;
          else {
            state = 2;
            tableIds ??= new Uint32Array(strings.count);
            tableIds[name] = table;
          }
          nameState[name] = state;
        }
        mask[e] = state === 2 && tableIds![name] === nodeId[n] ? 0 : 1;
      }
    }
  }
  return mask;
}

const SPACE = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const CLOSE_PAREN = 0x29;
const AT = 0x40;
const PART_OF_KEY = new TextEncoder().encode(' / part of key (');
const TABLE_AT = new TextEncoder().encode('(table @');

/**
 * Reads V8's WeakMap entry edge name `<n> / part of key (…) -> value (…) pair in WeakMap
 * (table @<id>)` straight from the UTF-8 bytes and returns the table's id, or -1 when the name
 * is something else. Bytes, not a decoded string and a RegExp: it runs once per distinct name.
 */
function weakMapTableId(bytes: Uint8Array, begin: number, end: number): number {
  let i = begin;
  while (i < end && bytes[i]! >= DIGIT_0 && bytes[i]! <= DIGIT_9) i++;
  if (i === begin || end - i < PART_OF_KEY.length + TABLE_AT.length + 2) return -1;
  for (let k = 0; k < PART_OF_KEY.length; k++) if (bytes[i + k] !== PART_OF_KEY[k]) return -1;
  // The table id sits at the very end: "(table @1234)".
  if (bytes[end - 1] !== CLOSE_PAREN) return -1;
  let d = end - 2;
  while (d > i && bytes[d]! >= DIGIT_0 && bytes[d]! <= DIGIT_9) d--;
  if (d === end - 2 || bytes[d] !== AT) return -1;
  const at = d - TABLE_AT.length + 1;
  for (let k = 0; k < TABLE_AT.length; k++) if (bytes[at + k] !== TABLE_AT[k]) return -1;
  if (bytes[at - 1] !== SPACE) return -1;
  let id = 0;
  for (let k = d + 1; k < end - 1; k++) id = id * 10 + (bytes[k]! - DIGIT_0);
  return id;
}

/**
 * Computes the dominator tree and retained sizes with the Semi-NCA algorithm (Georgiadis,
 * Tarjan, Werneck: Lengauer–Tarjan's semidominators with path compression, then immediate
 * dominators as nearest common ancestors in one preorder pass). Near-linear in nodes + edges;
 * iterative throughout (no recursion, so no stack overflow on a 10 M-deep linked list).
 *
 * It does not need the graph's general reverse edges: the DFS counts, per node, its retaining
 * predecessors, and one more pass lays them out by preorder number (4 bytes per retaining edge
 * instead of 8 per edge, read sequentially later). Working memory: eight Uint32Arrays of
 * nodeCount, those predecessors and a one-byte edge mask; the result keeps two of the arrays.
 *
 * See {@link Dominators} for which edges retain and how unreachable nodes are reported.
 *
 * @param data - A parsed heap graph.
 * @returns idom, retained sizes, reachability and the DFS preorder.
 *
 * @example
 * ```ts
 * const { idom, retainedSize } = computeDominators(graph.data);
 * console.log(`root retains ${retainedSize[graph.data.rootIndex]} bytes`);
 * ```
 */
export function computeDominators(data: HeapGraphData): Dominators {
  const { nodeCount, firstEdge, edgeTo, nodeSelfSize, rootIndex } = data;
  if (nodeCount > 0 && !(rootIndex >= 0 && rootIndex < nodeCount)) {
    throw new LeakkitError(
      'ERR_LEAKKIT_INVALID_ARGUMENT',
      `Expected a root index below the node count ${nodeCount}, got \`${describeValue(rootIndex)}\``,
    );
  }

  // Preorder numbers are 1-based so 0 can mean "not reached"; arrays indexed by preorder number
  // have nodeCount + 1 (or + 2) slots.
  const vertex = new Uint32Array(nodeCount + 1);
  const parent = new Uint32Array(nodeCount + 1);
  const semi = new Uint32Array(nodeCount + 1);
  const label = new Uint32Array(nodeCount + 1);
  const firstPred = new Uint32Array(nodeCount + 2);
  let count = 0;
  let preds: Uint32Array;
  {
    const mask = retainingEdgeMask(data);
    const pre = new Uint32Array(nodeCount);
    // 1. Iterative DFS over retaining edges, counting each node's retaining predecessors on the
    //    way. `semi` and `label` double as the explicit stack (node, next edge); they are
    //    initialised for real afterwards.
    if (nodeCount > 0) {
      const stackNode = semi;
      const stackEdge = label;
      let top = 0;
      count = 1;
      pre[rootIndex] = 1;
      vertex[1] = rootIndex;
      stackNode[0] = rootIndex;
      stackEdge[0] = firstEdge[rootIndex]!;
      while (top >= 0) {
        const v = stackNode[top]!;
        const e = stackEdge[top]!;
        if (e < firstEdge[v + 1]!) {
          stackEdge[top] = e + 1;
          if (mask[e] === 0) continue;
          const w = edgeTo[e]!;
          const pw = pre[w]!;
          if (pw !== 0) {
            firstPred[pw]!++;
            continue;
          }
          count++;
          pre[w] = count;
          firstPred[count]!++;
          vertex[count] = w;
          parent[count] = pre[v]!;
          top++;
          stackNode[top] = w;
          stackEdge[top] = firstEdge[w]!;
        } else {
          top--;
        }
      }
    }
    // 2. Predecessors by preorder number (counting sort: inclusive prefix sums, then fill each
    //    slice from its end). Every retaining edge of a reached node leads to a reached node.
    let total = 0;
    for (let w = 1; w <= count; w++) {
      total += firstPred[w]!;
      firstPred[w] = total;
    }
    firstPred[count + 1] = total;
    preds = new Uint32Array(total);
    for (let v = 1; v <= count; v++) {
      const node = vertex[v]!;
      const end = firstEdge[node + 1]!;
      for (let e = firstEdge[node]!; e < end; e++) {
        if (mask[e] === 0) continue;
        preds[--firstPred[pre[edgeTo[e]!]!]!] = v;
      }
    }
    // mask and pre go out of scope here: the collector may take them back before the next phase.
  }
  for (let i = 1; i <= count; i++) {
    semi[i] = i;
    label[i] = i;
  }

  // 3. Semidominators, in reverse preorder. ancestor[] is the forest of already processed
  //    vertices (0 = a tree root); eval() with path compression finds the vertex of minimal
  //    semidominator on the forest path, compressing iteratively with `scratch` as the stack.
  const ancestor = new Uint32Array(nodeCount + 1);
  const scratch = new Uint32Array(nodeCount + 1);
  for (let w = count; w >= 2; w--) {
    let best = semi[w]!;
    const pEnd = firstPred[w + 1]!;
    for (let p = firstPred[w]!; p < pEnd; p++) {
      const v = preds[p]!;
      let u = v;
      if (ancestor[v] !== 0) {
        // compress(v)
        let sp = 0;
        let x = v;
        while (ancestor[ancestor[x]!] !== 0) {
          scratch[sp++] = x;
          x = ancestor[x]!;
        }
        while (sp > 0) {
          const y = scratch[--sp]!;
          const a = ancestor[y]!;
          if (semi[label[a]!]! < semi[label[y]!]!) label[y] = label[a]!;
          ancestor[y] = ancestor[a]!;
        }
        u = label[v]!;
      }
      const s = semi[u]!;
      if (s < best) best = s;
    }
    semi[w] = best;
    ancestor[w] = parent[w]!;
  }

  // 4. Immediate dominators: idom(w) is the nearest common ancestor of parent(w) and semi(w) in
  //    the dominator tree built so far; preorder guarantees idom of smaller numbers is final.
  const idomPre = scratch;
  idomPre[1] = 1;
  for (let w = 2; w <= count; w++) {
    const s = semi[w]!;
    let d = parent[w]!;
    while (d > s) d = idomPre[d]!;
    idomPre[w] = d;
  }

  // 5. Back to node indices; retained sizes summed children-first (reverse preorder).
  const idom = ancestor.subarray(0, nodeCount);
  idom.fill(rootIndex);
  const reachable = new Uint8Array(nodeCount);
  const retainedSize = new Float64Array(nodeCount);
  for (let n = 0; n < nodeCount; n++) retainedSize[n] = nodeSelfSize[n]!;
  for (let w = 1; w <= count; w++) {
    const node = vertex[w]!;
    reachable[node] = 1;
    idom[node] = vertex[idomPre[w]!]!;
  }
  for (let w = count; w >= 2; w--) {
    const node = vertex[w]!;
    const dom = vertex[idomPre[w]!]!;
    retainedSize[dom] = retainedSize[dom]! + retainedSize[node]!;
  }
  return {
    idom,
    retainedSize,
    reachable,
    preorder: vertex.subarray(1, count + 1),
    reachableCount: count,
  };
}
