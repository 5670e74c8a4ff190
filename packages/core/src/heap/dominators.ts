import { describeValue, LeakkitError } from '../errors.js';
import type { HeapGraphData } from './data.js';
import { WEAK_EDGE_TYPE } from './data.js';
import { borrowScratch, lendScratchSplit } from './scratch.js';

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
  /**
   * Per position in {@link preorder}: the position there of the node's immediate dominator (0,
   * the root, for the root itself). Always smaller than the node's own position except for the
   * root: the dominator tree by preorder positions, for walks that read it front to back.
   */
  readonly dominatorPosition: Uint32Array;
}

/**
 * Marks, per edge, whether it keeps its target alive for dominator purposes: 1 retains, 0 does
 * not (weak edges, shortcuts not from the root, the table side of a WeakMap entry).
 *
 * @param data - A parsed heap graph.
 * @param indexOf - The node index of a V8 object id, or -1 (`graph.nodeIndexOf`): finds WeakMap
 *   tables without a pass over every node.
 * @returns A Uint8Array of length `edgeCount`.
 *
 * @example
 * ```ts
 * const mask = retainingEdgeMask(graph.data);
 * const strongEdges = mask.reduce((a, b) => a + b, 0);
 * ```
 */
export function retainingEdgeMask(data: HeapGraphData, indexOf?: (id: number) => number): Uint8Array {
  const { nodeCount, edgeCount, firstEdge, edgeType } = data;
  const rule = retainRule(data, indexOf);
  const mask = new Uint8Array(edgeCount);
  const byType = rule.byType;
  for (let e = 0; e < edgeCount; e++) mask[e] = byType[edgeType[e]!]!;
  for (let n = 0; n < nodeCount; n++) {
    if (!isSpecial(rule.special, n)) continue;
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) mask[e] = retainsAt(rule, edgeType, n, e) ? 1 : 0;
  }
  return mask;
}

/**
 * Which edges retain, decided without a byte per edge: by edge type alone, except at a few
 * "special" nodes (the root, whose shortcuts retain, and WeakMap tables, whose entry edges do
 * not), where {@link retainsAt} decides edge by edge.
 */
interface RetainRule {
  /** Per edge type: 1 when an edge of that type retains (away from special nodes). */
  readonly byType: Uint8Array;
  /** Per edge type: 1 when an edge of that type leaving the root retains. */
  readonly fromRoot: Uint8Array;
  /** Per node, one bit (see {@link isSpecial}): set when its edges need {@link retainsAt}. */
  readonly special: Int32Array;
  readonly rootIndex: number;
  /** Edges that do not retain although their type does: the table side of WeakMap entries. */
  readonly except: Set<number>;
}

function retainRule(data: HeapGraphData, indexOf: ((id: number) => number) | undefined): RetainRule {
  const { nodeCount, rootIndex } = data;
  const byType = new Uint8Array(256).fill(1);
  const fromRoot = new Uint8Array(256).fill(1);
  const types = data.edgeTypeNames;
  let internal = -1;
  for (let t = 0; t < types.length && t < 256; t++) {
    const name = types[t];
    if (name === WEAK_EDGE_TYPE) byType[t] = fromRoot[t] = 0;
    // Shortcuts retain only when they leave the root.
    else if (name === 'shortcut') byType[t] = 0;
    else if (name === 'internal') internal = t;
  }
  // A bit per node, not a byte: it is alive through the dominators' peak.
  const special = new Int32Array((nodeCount + 31) >>> 5);
  if (nodeCount > 0) markSpecial(special, rootIndex);
  const except = new Set<number>();
  if (internal >= 0) weakMapTableEdges(data, internal, indexOf, special, except);
  return { byType, fromRoot, special, rootIndex, except };
}

function markSpecial(special: Int32Array, n: number): void {
  special[n >>> 5]! |= 1 << (n & 31);
}

function isSpecial(special: Int32Array, n: number): boolean {
  return (special[n >>> 5]! & (1 << (n & 31))) !== 0;
}

/** Whether edge `e`, which leaves node `n`, retains: the rule's answer for any node. */
function retainsAt(rule: RetainRule, edgeType: Uint8Array, n: number, e: number): boolean {
  if (rule.except.has(e)) return false;
  return (n === rule.rootIndex ? rule.fromRoot : rule.byType)[edgeType[e]!] === 1;
}

/**
 * The table side of every WeakMap entry: an internal edge whose name says "… pair in WeakMap (table
 * @id)" and that leaves the node with that id. The names are found in the string table (a WeakMap
 * entry's names are its own strings), then only the tables' edges are looked at. Adds the edges to
 * `except` and marks their tables `special`.
 */
function weakMapTableEdges(
  data: HeapGraphData,
  internal: number,
  indexOf: ((id: number) => number) | undefined,
  special: Int32Array,
  except: Set<number>,
): void {
  const { nodeCount, firstEdge, edgeType, edgeNameOrIndex, nodeId, strings } = data;
  const { bytes, offsets, count } = strings;
  // Per WeakMap entry name (a string index): its table's id. A Map: there are few of them.
  const tableOf = new Map<number, number>();
  const tables = new Set<number>();
  for (let s = 0; s < count; s++) {
    // Every entry name ends with `)` and starts with a digit: cheap tests before the real one.
    const end = offsets[s + 1]!;
    if (bytes[end - 1] !== CLOSE_PAREN) continue;
    const start = offsets[s]!;
    const first = bytes[start]!;
    if (!(first >= DIGIT_0 && first <= DIGIT_9)) continue;
    const table = weakMapTableId(bytes, start, end);
    if (table < 0) continue;
    tableOf.set(s, table);
    tables.add(table);
  }
  if (tableOf.size === 0) return;
  const visit = (n: number) => {
    const id = nodeId[n]!;
    const end = firstEdge[n + 1]!;
    for (let e = firstEdge[n]!; e < end; e++) {
      if (edgeType[e] === internal && tableOf.get(edgeNameOrIndex[e]!) === id) {
        except.add(e);
        markSpecial(special, n);
      }
    }
  };
  if (indexOf !== undefined) {
    for (const id of tables) {
      const n = indexOf(id);
      if (n >= 0) visit(n);
    }
    return;
  }
  // A 64 Kibit filter over the table ids (V8's ids are odd: bit 0 says nothing) keeps the Set
  // lookups to the tables and a few others.
  const filter = new Uint8Array(8192);
  for (const id of tables) filter[(id >>> 4) & 0x1fff]! |= 1 << ((id >>> 1) & 7);
  for (let n = 0; n < nodeCount; n++) {
    const id = nodeId[n]!;
    if ((filter[(id >>> 4) & 0x1fff]! & (1 << ((id >>> 1) & 7))) !== 0 && tables.has(id)) visit(n);
  }
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
 * Memory is what bounds the size of heap it can analyse, so the working set is five Uint32Arrays
 * of nodeCount that become the result, a bit per node, and the back and cross predecessors:
 * - the general reverse edges are never built. The DFS counts, per node, the retaining
 *   predecessors numbered after it (back and cross edges; a forward edge only lowers the initial
 *   semidominator, kept at once), and step 3 needs them grouped by node, in reverse preorder. A V8
 *   heap has about two and a half node counts of them (every object points at its hidden class):
 *   up to three they are gathered in one pass over the edges, into a buffer the summary then
 *   borrows as the two node arrays it needs beside the result, so the two passes peak alike.
 *   Beyond, they are gathered a range of nodes at a time, two node counts each, one more pass over
 *   the edges per range (a node with more than that is evaluated as the pass finds them);
 * - no `label` array: path compression keeps, per vertex, the least semidominator on its
 *   compressed path in `semi` itself, and each vertex's final semidominator moves to its counter's
 *   slot, free by then;
 * - the DFS stack grows as deep as the DFS goes, not to nodeCount up front;
 * - `pre` (node → preorder number) becomes `idom`, the ancestors the preorder (`vertex`), and the
 *   semidominators with the counters the retained sizes.
 * Which edges retain is decided by edge type, with an exact check at the few nodes where the type
 * is not enough (see `retainingEdgeMask`), so no byte per edge either. The gathering buffer is lent
 * to the next pass over the graph (see scratch.ts). Measured on an 88 MB snapshot (1 M nodes,
 * 2.3 M back and cross predecessors): the dominators add 25.5 MiB to the parsed graph's RSS at
 * their peak, 32.6 MiB with a `label` array, the DFS stack sized up front and the predecessors kept
 * apart from the summary's arrays.
 *
 * See {@link Dominators} for which edges retain and how unreachable nodes are reported.
 *
 * @param data - A parsed heap graph.
 * @param indexOf - The node index of a V8 object id, or -1 (`graph.nodeIndexOf`), when the caller has
 *   an id index: saves a pass over the nodes.
 * @returns idom, retained sizes, reachability and the DFS preorder.
 *
 * @example
 * ```ts
 * const { idom, retainedSize } = computeDominators(graph.data);
 * console.log(`root retains ${retainedSize[graph.data.rootIndex]} bytes`);
 * ```
 */
export function computeDominators(
  data: HeapGraphData,
  indexOf?: (id: number) => number,
  internal?: DominatorTuning,
): Dominators {
  const { nodeCount, firstEdge, edgeTo, rootIndex } = data;
  if (nodeCount > 0 && !(rootIndex >= 0 && rootIndex < nodeCount)) {
    throw new LeakkitError(
      'ERR_LEAKKIT_INVALID_ARGUMENT',
      `Expected a root index below the node count ${nodeCount}, got \`${describeValue(rootIndex)}\``,
    );
  }
  if (nodeCount === 0) {
    return {
      idom: new Uint32Array(0),
      retainedSize: new Float64Array(0),
      reachable: new Uint8Array(0),
      preorder: new Uint32Array(0),
      reachableCount: 0,
      dominatorPosition: new Uint32Array(0),
    };
  }

  // Preorder numbers are 1-based so 0 can mean "not reached"; arrays indexed by preorder number
  // have nodeCount + 1 (or + 2) slots. Each step is a function of its own: V8 optimises a small
  // function with one hot loop sooner than a big one with many.
  const rule = retainRule(data, indexOf);
  const pre = zeroed(data, nodeCount);
  const parent = new Uint32Array(nodeCount + 1);
  // semi and count share one buffer that becomes the retained sizes at the end.
  const shared = new ArrayBuffer(8 * (nodeCount + 2));
  const semi = new Uint32Array(shared, 0, nodeCount + 1);
  // Per preorder number: its later predecessors' count, then (step 3) its final semidominator.
  const count = new Uint32Array(shared, 4 * (nodeCount + 2), nodeCount + 2);
  const reached = depthFirst(data.edgeType, firstEdge, edgeTo, rule, rootIndex, pre, parent, semi, count);
  const ancestor = zeroed(data, nodeCount + 1);
  const gathered = semidominators(data, rule, reached, pre, parent, semi, count, ancestor, internal);
  // In place: parent becomes the immediate dominator, by preorder number.
  immediateDominators(reached, count, parent);

  // The preorder (number -> node) takes the ancestors' memory, done with; the immediate dominators
  // by node take `pre`'s, done with once the preorder is read from it.
  const vertex = ancestor;
  inversePreorder(pre, vertex);
  const idom = pre;
  const reachable = new Uint8Array(nodeCount);
  const retainedSize = new Float64Array(shared, 0, nodeCount);
  results(data, reached, vertex, parent, idom, reachable, retainedSize);
  // As node-count arrays: the summary borrows two.
  if (gathered !== undefined) lendScratchSplit(data, gathered, nodeCount);
  return {
    idom,
    retainedSize,
    reachable,
    preorder: vertex.subarray(1, reached + 1),
    reachableCount: reached,
    dominatorPosition: parent.subarray(1, reached + 1),
  };
}

/**
 * How many predecessors the gathering buffer holds; tests make it tiny so that real graphs take
 * the multi-pass and one-vertex paths.
 *
 * @internal
 */
export interface DominatorTuning {
  gatherCapacity?: number;
}

/** A Uint32Array of `length` zeros: lent memory when there is some (see scratch.ts). */
function zeroed(data: HeapGraphData, length: number): Uint32Array {
  return borrowScratch(data, length).fill(0);
}

/** `vertex[pre[n]] = n` for every node the DFS numbered. */
function inversePreorder(pre: Uint32Array, vertex: Uint32Array): void {
  const n = pre.length;
  for (let node = 0; node < n; node++) {
    const p = pre[node]!;
    if (p !== 0) vertex[p] = node;
  }
}

// The DFS stack's first size; it doubles as the DFS goes deeper.
const STACK_START = 4096;

/**
 * 1. Iterative DFS over retaining edges from the root: numbers the nodes (`pre`, `parent`)
 * and sorts every other retaining edge v → w by the numbers. When v comes first (a forward edge) it
 * can only lower w's semidominator to v, and nothing else about it matters: `semi[w]` starts as the
 * smallest such v (the DFS parent included). When w comes first (back and cross edges), v counts as
 * a predecessor for step 3 (`count`). Returns the number of reached nodes.
 */
function depthFirst(
  edgeType: Uint8Array,
  firstEdge: Uint32Array,
  edgeTo: Uint32Array,
  rule: RetainRule,
  root: number,
  pre: Uint32Array,
  parent: Uint32Array,
  semi: Uint32Array,
  count: Uint32Array,
): number {
  const { byType, special } = rule;
  let stackNode: Uint32Array = new Uint32Array(Math.min(STACK_START, pre.length));
  let stackEdge: Uint32Array = new Uint32Array(stackNode.length);
  let top = 0;
  let reached = 1;
  pre[root] = 1;
  semi[1] = 1;
  stackNode[0] = root;
  stackEdge[0] = firstEdge[root]!;
  while (top >= 0) {
    const v = stackNode[top]!;
    const pv = pre[v]!;
    const end = firstEdge[v + 1]!;
    const slow = isSpecial(special, v);
    let e = stackEdge[top]!;
    let w = -1;
    for (; e < end; e++) {
      if (slow ? !retainsAt(rule, edgeType, v, e) : byType[edgeType[e]!] === 0) continue;
      const to = edgeTo[e]!;
      const pt = pre[to]!;
      if (pt === 0) {
        w = to;
        break;
      }
      if (pt > pv) {
        if (pv < semi[pt]!) semi[pt] = pv;
      } else if (pt < pv) count[pt]!++;
      // pt === pv: an edge to itself says nothing about dominators.
    }
    if (w < 0) {
      top--;
      continue;
    }
    stackEdge[top] = e + 1;
    reached++;
    pre[w] = reached;
    parent[reached] = pv;
    semi[reached] = pv;
    top++;
    if (top === stackNode.length) {
      stackNode = grown(stackNode);
      stackEdge = grown(stackEdge);
    }
    stackNode[top] = w;
    stackEdge[top] = firstEdge[w]!;
  }
  return reached;
}

function grown(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Path compression's working state: the stack of one compression, grown when a path is long. */
interface Forest {
  /** Per preorder number: the forest parent (0 = a tree root, not yet linked). */
  readonly ancestor: Uint32Array;
  /** Per preorder number: the least semidominator on its compressed path (its own when a root). */
  readonly best: Uint32Array;
  stack: Uint32Array;
}

/**
 * eval(v) of Lengauer–Tarjan, for a vertex already processed: the least semidominator on the
 * forest path from v up to (not including) its tree root, compressing the path on the way.
 */
function evaluate(f: Forest, v: number): number {
  const { ancestor, best } = f;
  if (ancestor[v] === 0) return best[v]!;
  let sp = 0;
  let x = v;
  while (ancestor[ancestor[x]!] !== 0) {
    if (sp === f.stack.length) f.stack = grown(f.stack);
    f.stack[sp++] = x;
    x = ancestor[x]!;
  }
  while (sp > 0) {
    const y = f.stack[--sp]!;
    const a = ancestor[y]!;
    if (best[a]! < best[y]!) best[y] = best[a]!;
    ancestor[y] = ancestor[a]!;
  }
  return best[v]!;
}

/**
 * 2 and 3. Semidominators, in reverse preorder, a range of vertices at a time: the range's back
 * and cross predecessors are gathered by one pass over the edges (counting sort into `buffer`),
 * then each vertex takes the least `evaluate()` over them and is linked into the forest. A vertex
 * with more predecessors than the buffer holds is a range of its own, evaluated during the pass.
 * Predecessors numbered before w are not gathered: their contribution (the smallest of them) is
 * `semi[w]` already. `semi` ends as the forest's best values; each vertex's final semidominator
 * is left in `count[w]`. Returns the buffer, for lending.
 */
function semidominators(
  data: HeapGraphData,
  rule: RetainRule,
  reached: number,
  pre: Uint32Array,
  parent: Uint32Array,
  semi: Uint32Array,
  count: Uint32Array,
  ancestor: Uint32Array,
  tuning: DominatorTuning | undefined,
): Uint32Array | undefined {
  let total = 0;
  for (let w = 2; w <= reached; w++) total += count[w]!;
  // All at once (one pass over the edges) up to three node counts, about what a V8 heap has: the
  // summary needs two node arrays beside the result next, which it borrows from this buffer, so
  // holding the predecessors raises the peak of the two by less than a node array. Beyond (dense
  // graphs), two node counts at a time, a pass over the edges each.
  const n = data.nodeCount + 1;
  const capacity = tuning?.gatherCapacity ?? (total <= 3 * n ? total : Math.max(GATHER_MIN, 2 * n));
  const buffer = capacity > 0 ? new Uint32Array(Math.min(capacity, total)) : undefined;
  const forest: Forest = { ancestor, best: semi, stack: new Uint32Array(4096) };
  let hi = reached;
  while (hi >= 2) {
    if (count[hi]! > capacity) {
      streamVertex(data, rule, pre, hi, forest, count);
      ancestor[hi] = parent[hi]!;
      hi--;
      continue;
    }
    let lo = hi;
    let size = count[hi]!;
    while (lo > 2 && size + count[lo - 1]! <= capacity) size += count[--lo]!;
    if (size > 0) gather(data, rule, pre, lo, hi, count, buffer!);
    // After gathering, count[w] is where w's predecessors start; they end where w + 1's start
    // (for hi, at `size`), read before w + 1's slot took its final semidominator.
    let endOf = size;
    for (let w = hi; w >= lo; w--) {
      const start = size > 0 ? count[w]! : 0;
      let best = semi[w]!;
      for (let p = start; p < endOf; p++) {
        const s = evaluate(forest, buffer![p]!);
        if (s < best) best = s;
      }
      endOf = start;
      semi[w] = best;
      count[w] = best;
      ancestor[w] = parent[w]!;
    }
    hi = lo - 1;
  }
  return buffer;
}

// Below this the buffer is not worth splitting passes for: 256 KiB.
const GATHER_MIN = 1 << 16;

/**
 * The later predecessors of vertices `lo .. hi` into `buffer`, by vertex (counting sort: prefix
 * sums of the counts within the range, then each slice filled from its end). Walks the nodes in
 * index order, so the edge arrays are read front to back; only nodes numbered after `lo` can be one.
 */
function gather(
  data: HeapGraphData,
  rule: RetainRule,
  pre: Uint32Array,
  lo: number,
  hi: number,
  count: Uint32Array,
  buffer: Uint32Array,
): void {
  const { nodeCount, edgeType, firstEdge, edgeTo } = data;
  const { byType, special } = rule;
  let sum = 0;
  for (let w = lo; w <= hi; w++) {
    sum += count[w]!;
    count[w] = sum;
  }
  for (let n = 0; n < nodeCount; n++) {
    const v = pre[n]!;
    if (v <= lo) continue;
    const end = firstEdge[n + 1]!;
    const slow = isSpecial(special, n);
    for (let e = firstEdge[n]!; e < end; e++) {
      if (slow ? !retainsAt(rule, edgeType, n, e) : byType[edgeType[e]!] === 0) continue;
      const pt = pre[edgeTo[e]!]!;
      if (pt >= lo && pt <= hi && pt < v) buffer[--count[pt]!] = v;
    }
  }
}

/**
 * Vertex w's semidominator when its later predecessors do not fit the buffer (a hidden class every
 * object points at): evaluated as one pass over the edges finds them. Leaves it in `semi[w]` and
 * `count[w]`.
 */
function streamVertex(
  data: HeapGraphData,
  rule: RetainRule,
  pre: Uint32Array,
  w: number,
  forest: Forest,
  count: Uint32Array,
): void {
  const { nodeCount, edgeType, firstEdge, edgeTo } = data;
  const { byType, special } = rule;
  let best = forest.best[w]!;
  for (let n = 0; n < nodeCount; n++) {
    const v = pre[n]!;
    if (v <= w) continue;
    const end = firstEdge[n + 1]!;
    const slow = isSpecial(special, n);
    for (let e = firstEdge[n]!; e < end; e++) {
      if (slow ? !retainsAt(rule, edgeType, n, e) : byType[edgeType[e]!] === 0) continue;
      if (pre[edgeTo[e]!] !== w) continue;
      const s = evaluate(forest, v);
      if (s < best) best = s;
    }
  }
  forest.best[w] = best;
  count[w] = best;
}

/**
 * 4. Immediate dominators: idom(w) is the nearest common ancestor of parent(w) and semi(w) in the
 * dominator tree built so far; preorder guarantees idom of smaller numbers is final, so `parent`
 * can become `idom` in place.
 */
function immediateDominators(reached: number, semi: Uint32Array, parentToIdom: Uint32Array): void {
  parentToIdom[1] = 1;
  for (let w = 2; w <= reached; w++) {
    const s = semi[w]!;
    let d = parentToIdom[w]!;
    while (d > s) d = parentToIdom[d]!;
    parentToIdom[w] = d;
  }
}

/**
 * 5. Back to node indices; retained sizes summed children-first (reverse preorder). Turns
 * `idomPre` (1-based preorder numbers) into 0-based positions in `preorder`, in place. One loop a
 * function (see computeDominators).
 */
function results(
  data: HeapGraphData,
  count: number,
  vertex: Uint32Array,
  idomPre: Uint32Array,
  idom: Uint32Array,
  reachable: Uint8Array,
  retainedSize: Float64Array,
): void {
  idom.fill(data.rootIndex);
  selfSizes(data.nodeSelfSize, retainedSize);
  byNode(count, vertex, idomPre, idom, reachable);
  sumRetained(count, vertex, idomPre, retainedSize);
  toPositions(count, idomPre);
}

function selfSizes(nodeSelfSize: Uint32Array, retainedSize: Float64Array): void {
  const n = retainedSize.length;
  for (let i = 0; i < n; i++) retainedSize[i] = nodeSelfSize[i]!;
}

function byNode(
  count: number,
  vertex: Uint32Array,
  idomPre: Uint32Array,
  idom: Uint32Array,
  reachable: Uint8Array,
): void {
  for (let w = 1; w <= count; w++) {
    const node = vertex[w]!;
    reachable[node] = 1;
    idom[node] = vertex[idomPre[w]!]!;
  }
}

function sumRetained(
  count: number,
  vertex: Uint32Array,
  idomPre: Uint32Array,
  retainedSize: Float64Array,
): void {
  for (let w = count; w >= 2; w--) {
    const node = vertex[w]!;
    const dom = vertex[idomPre[w]!]!;
    retainedSize[dom] = retainedSize[dom]! + retainedSize[node]!;
  }
}

function toPositions(count: number, idomPre: Uint32Array): void {
  for (let w = 1; w <= count; w++) idomPre[w]!--;
}
