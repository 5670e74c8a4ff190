import { describeValue, LeakkitError } from '../errors.js';
import type { HeapGraphData } from './data.js';
import type { HeapGraph } from './graph.js';
import type { HeapVocabulary, NodeKind, RenderOptions, SourceLocation } from './names.js';
import {
  describeHeapValue,
  displayFile,
  edgeName,
  findEdge,
  functionLocation,
  isIdentifier,
  nodeKind,
  tableKeyNode,
  tableSlot,
  vocabulary,
} from './names.js';
import { borrowScratch } from './scratch.js';
import type { SearchState } from './search.js';
import {
  advance,
  E_INTERNAL,
  E_OTHER,
  E_PLAIN,
  E_PROPERTY,
  E_SHORTCUT,
  E_WEAK,
  FIRST_EDGE,
  S_DONE,
  START,
  searchArrays,
  UNREACHED,
} from './search.js';

/** Options of {@link pathTo}. */
export interface PathOptions extends RenderOptions {
  /**
   * Print every edge as V8 recorded it (`(GC roots) → [[7]] (Stack roots) → …`) instead of the
   * developer's notation.
   * @default false
   */
  raw?: boolean;
  /**
   * Keep V8's internal hops (hash tables, contexts, hidden and shortcut edges) in the printed path
   * as `[[name]]` instead of leaving them out.
   * @default false
   */
  internals?: boolean;
}

/** One hop of a retaining path: the edge taken and the node it leads to. */
export interface PathStep {
  /** V8's object id of the node this step reaches (stable between snapshots of one process). */
  nodeId: number;
  /** The edge's name as V8 recorded it: property or variable name, index, internal slot name. */
  edge: string;
  /** The edge's type: 'property', 'element', 'context', 'internal', 'hidden', 'shortcut'. */
  edgeType: string;
  /**
   * The node's name: constructor or class name, closure name, root category. A string node's
   * contents only with `strings: true`, else `'<string>'`.
   */
  name: string;
  /** What the node is. */
  kind: NodeKind;
}

/** The shortest retaining path of a node, as data and as the developer would write it. */
export interface RetainingPath {
  /** The path as code: `TimerMetrics.timers.get(<string #1a2b3c>)`, `log.js › seen[3].history`. */
  text: string;
  /** Every hop from the first root the path starts at (a step with an empty edge) to the node. */
  steps: PathStep[];
  /** The file that anchors the path: a module-scope variable's module, a class's file. */
  file?: string;
  /** 1-based line of the class or function that anchors the path, when the snapshot records it. */
  line?: number;
  /** 1-based column of that class or function. */
  column?: number;
}

/**
 * The shortest retaining path from a GC root to the node with V8 object id `nodeId`, skipping weak
 * edges, rendered the way the developer wrote the code that keeps it alive.
 *
 * Notation:
 * - `TimerMetrics.timers`: a static property of a class (or any named function) starts the path at
 *   the class name; the class's file and line go to `file` / `line`;
 * - `log.js › seen`: a module-scope variable, reached through a closure (CJS) or the module's body
 *   (ESM); `file` is the module's path;
 * - `cache.js › makeCache() › store`: a variable of a function's scope, kept by a closure the
 *   function returned (the function's name comes from the scope, so it shows even when the function
 *   itself is gone);
 * - `cache.js › module.exports.cache`: CommonJS exports, reached through `require.cache`;
 * - `myGlobal`: a property of the global object;
 * - `.history`, `["x-y"]`, `[3]`: properties and array indices;
 * - `.get(<string #9c1d4f>)`: a Map value under a string key (`.get("db")` with `strings: true`),
 *   `.get(<number>)` under a number key, `.get(<Session @1234>)` under an object key;
 *   `.keys()[i]` a Map key itself, `.values()[i]` a Set member (i: the entry's position in the hash
 *   table, insertion order as long as nothing was deleted);
 * - `session[[WeakMap value]]`: the value a WeakMap holds for a live key (`.get(<Object @12>)` when
 *   the path runs through the WeakMap itself);
 * - `<Module @6177>.exports`: an object with no name of its own (V8 id after the `@`);
 * - `(Stack roots) › …`: a path that starts at a V8 root and meets no name on the way.
 *
 * Hops through V8's internals (hash tables, scopes, hidden and shortcut edges, backing stores) are
 * left out of `text`; `steps` has every hop, and `internals: true` prints them as `[[name]]`.
 *
 * Roots are tried the way DevTools does: everything reachable from the global object first, then
 * V8's and Node's other roots, with the stack and handle scopes last; within a tier the path avoids
 * V8's internal objects (hidden classes, code, feedback) whenever another path exists.
 *
 * @param graph - the graph.
 * @param nodeId - V8's object id of the node.
 * @returns the path, or undefined when the node is not strongly reachable (garbage not yet collected,
 * or held by weak references only).
 * @throws LeakkitError `ERR_LEAKKIT_UNKNOWN_NODE` when the graph has no node with that id.
 *
 * @example
 * ```ts
 * const path = graph.pathTo(growth.nodeId);
 * path?.text   // 'TimerMetrics.timers'
 * path?.file   // '/app/log.js'
 * ```
 */
export function pathTo(
  graph: HeapGraph,
  nodeId: number,
  options: PathOptions = {},
): RetainingPath | undefined {
  const index = graph.nodeIndexOf(nodeId);
  if (index < 0) {
    throw new LeakkitError(
      'ERR_LEAKKIT_UNKNOWN_NODE',
      `Expected the id of an object in this snapshot, got \`${describeValue(nodeId)}\``,
    );
  }
  return pathToIndex(graph.data, index, options);
}

/**
 * {@link pathTo} by node index instead of V8 id, on the bare data: for analyses that already walk
 * node indices. The breadth-first search behind it runs once per graph and is kept.
 *
 * @example
 * ```ts
 * pathToIndex(graph.data, graph.nodeIndexOf(12345), { strings: true })?.text // 'timers.get("db")'
 * ```
 */
export function pathToIndex(
  data: HeapGraphData,
  index: number,
  options: PathOptions = {},
): RetainingPath | undefined {
  const via = retainerTree(data, index);
  if (via[index] === UNREACHED) return undefined;
  let path = walk(data, via, index);
  // A path that starts with one of V8's bookkeeping entries (`(Strong roots) › 41 / IdentityMapBase`:
  // an object the optimizing compiler or the snapshot writer had open at that instant) wins the
  // race of the last pass when it is the shortest; a second search without those edges finds the
  // path a developer can read (a closure on the stack, a suspended module), when there is one.
  if (startsAtBookkeeping(data, path)) {
    const other = bookkeepingFreeTree(data, index);
    if (other[index] !== UNREACHED) path = walk(data, other, index);
  }
  return render(data, path.nodes, path.edges, options);
}

/** The nodes and edges from where the search started to `index`, as `via` reached it. */
function walk(data: HeapGraphData, via: Uint32Array, index: number): { nodes: number[]; edges: number[] } {
  const nodes: number[] = [];
  const edges: number[] = [];
  for (let n = index; ; ) {
    nodes.push(n);
    const reachedBy = via[n]!;
    if (reachedBy === START) {
      edges.push(-1);
      break;
    }
    const e = reachedBy - FIRST_EDGE;
    edges.push(e);
    n = edgeOwner(data.firstEdge, data.nodeCount, e);
  }
  nodes.reverse();
  edges.reverse();
  return { nodes, edges };
}

// ---------------------------------------------------------------------------------------------
// Breadth-first retainer tree

// The tree is one Uint32Array over the nodes: how each node was first reached (search.ts). The
// parent is the edge's owner (a binary search over firstEdge, done only for the few nodes of a
// printed path), so the search writes 4 bytes a node and needs no fill.

/** The node whose edge `e` is: the last node whose first edge is at or before `e`. */
function edgeOwner(firstEdge: Uint32Array, nodeCount: number, e: number): number {
  let lo = 0;
  let hi = nodeCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (firstEdge[mid]! <= e) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const searches = new WeakMap<HeapGraphData, SearchState>();
// The second search of pathToIndex, made only for a graph where a path began at V8's bookkeeping.
const bookkeepingFree = new WeakMap<HeapGraphData, SearchState>();

const BOOKKEEPING_EDGE = / \/ IdentityMapBase$/;
// Handles the snapshot's caller (the snapshot writer itself) happened to have open.
const HANDLE_SCOPE = '(Handle scope)';

/**
 * Whether a path leaves the root's categories by a bookkeeping entry or through the handle scopes:
 * its first node is where the search started, its second edge the one it took from there.
 */
function startsAtBookkeeping(data: HeapGraphData, path: { nodes: number[]; edges: number[] }): boolean {
  const first = path.edges[1];
  if (first === undefined) return false;
  if (data.strings.get(data.nodeName[path.nodes[0]!]!) === HANDLE_SCOPE) return true;
  const internal = data.edgeTypeNames.indexOf('internal');
  return (
    data.edgeType[first] === internal && BOOKKEEPING_EDGE.test(data.strings.get(data.edgeNameOrIndex[first]!))
  );
}

/** The retainer tree of a search that never takes a bookkeeping entry (see startsAtBookkeeping). */
function bookkeepingFreeTree(data: HeapGraphData, target: number): Uint32Array {
  let s = bookkeepingFree.get(data);
  if (s === undefined) {
    s = startSearch(data, new Uint32Array(data.nodeCount));
    const skip = new Uint8Array(data.strings.count);
    for (let i = 0; i < data.strings.count; i++) if (BOOKKEEPING_EDGE.test(data.strings.get(i))) skip[i] = 1;
    s.skipRootNames = skip;
    for (let e = data.firstEdge[data.rootIndex]!; e < data.firstEdge[data.rootIndex + 1]!; e++) {
      // The handle scopes hang under (GC roots), one level down.
      const category = data.edgeTo[e]!;
      for (let c = data.firstEdge[category]!; c < data.firstEdge[category + 1]!; c++) {
        const to = data.edgeTo[c]!;
        if (data.strings.get(data.nodeName[to]!) === HANDLE_SCOPE) s.skipRootFrom = to;
      }
    }
    bookkeepingFree.set(data, s);
  }
  if (s.step < S_DONE && s.via[target] === UNREACHED) advance(s, target);
  return s.via;
}

/**
 * One breadth-first search from the roots, shared by every path asked of a graph. Three passes
 * over one queue: (1) from the global object, (2) from V8's and Node's other roots, stack and
 * handle scopes last, both over "clean" edges only (no hidden classes, code, feedback, backing
 * stores, shortcuts); (3) from everything reached so far over every strong edge, for what only V8's
 * internals hold (ESM module bodies hang off a SourceTextModule). Pass 3 needs only the edges the
 * clean passes skipped, which they list as they go; each node's edges are scanned once.
 *
 * The search runs only until node `target` is reached (a breadth-first search never changes how it
 * reached a node) and goes on from there when a later path needs more: one path of a big heap
 * often needs a fraction of it. A graph read by `HeapGraph.fromFile` on two threads may have the
 * whole search done already by the worker (see {@link backgroundSearch}). Returns `via`: how each
 * node was reached (UNREACHED for `target` means the search ran to the end without reaching it).
 */
function retainerTree(data: HeapGraphData, target: number): Uint32Array {
  let s = searches.get(data);
  if (s === undefined) {
    // The arrays the summary or the dominators left, typically: no new megabytes at the peak.
    s =
      adoptBackgroundSearch(data) ??
      startSearch(data, borrowScratch(data, data.nodeCount).fill(0), borrowScratch(data, data.nodeCount));
    searches.set(data, s);
  }
  if (s.step < S_DONE && s.via[target] === UNREACHED) advance(s, target);
  return s.via;
}

/** The state of a new search of `data`, with `via` as its result array (and `queue`, when given, as its queue). */
function startSearch(data: HeapGraphData, via: Uint32Array, queue?: Uint32Array): SearchState {
  const v = vocabulary(data);
  const { firstEdge, edgeTo, edgeType } = data;
  const edgeClass = new Uint8Array(Math.max(256, data.edgeTypeNames.length)).fill(E_OTHER);
  const setClass = (t: number, c: number) => {
    if (t >= 0) edgeClass[t] = c;
  };
  setClass(v.edge.element, E_PLAIN);
  setClass(v.edge.context, E_PLAIN);
  setClass(v.edge.property, E_PROPERTY);
  setClass(v.edge.internal, E_INTERNAL);
  setClass(v.edge.shortcut, E_SHORTCUT);
  setClass(v.edge.weak, E_WEAK);
  const cleanTarget = new Uint8Array(Math.max(256, data.nodeTypeNames.length)).fill(1);
  for (const t of [v.type.code, v.type.objectShape, v.type.hidden, v.type.synthetic]) {
    if (t >= 0) cleanTarget[t] = 0;
  }

  const root = data.rootIndex;
  // Root tiers, best first: the global object; the embedder's roots (Node's C++ objects, global
  // and traced handles: module wraps, handles, the event loop's queues); V8's own root lists;
  // stack and handle scopes, which only hold what the snapshot's caller happened to touch.
  const globals: number[] = [];
  const embedder: number[] = [];
  const internal: number[] = [];
  const last: number[] = [];
  const classify = (node: number, underGcRoots: boolean) => {
    const name = data.strings.get(data.nodeName[node]!);
    if (name === '(Stack roots)' || name === '(Handle scope)') last.push(node);
    // Only the root's own "(GC roots)" is opened: a damaged snapshot could loop here.
    else if (name === '(GC roots)' && !underGcRoots) {
      for (let e = firstEdge[node]!; e < firstEdge[node + 1]!; e++) {
        if (edgeType[e] !== v.edge.weak) classify(edgeTo[e]!, true);
      }
    } else if (!underGcRoots || EMBEDDER_ROOTS.has(name)) embedder.push(node);
    else internal.push(node);
  };
  for (let e = firstEdge[root]!; e < firstEdge[root + 1]!; e++) {
    const to = edgeTo[e]!;
    if (edgeType[e] === v.edge.weak) continue;
    if (edgeType[e] === v.edge.shortcut || isGlobalName(v, data.nodeName[to]!)) globals.push(to);
    else classify(to, false);
  }
  return {
    nodeCount: data.nodeCount,
    root,
    firstEdge,
    edgeTo,
    edgeType,
    edgeNameOrIndex: data.edgeNameOrIndex,
    nodeType: data.nodeType,
    stringBytes: data.strings.bytes,
    stringOffsets: data.strings.offsets,
    stringCount: data.strings.count,
    edgeClass,
    cleanTarget,
    arrayType: v.type.array,
    syntheticType: v.type.synthetic,
    proto: v.name.proto,
    table: v.name.table,
    context: v.name.context,
    previous: v.name.previous,
    tiers: [globals, embedder, internal, last],
    via,
    ...searchArrays(data.nodeCount, root, via, queue),
    head: 0,
    tail: 0,
    step: 0,
    seeded: false,
    taken: 0,
    target: -1,
    digits: undefined,
    deferredCount: 0,
    deferredRoots: [],
  };
}

// Status of a search run by a worker (BackgroundSearch.status[0]).
const RUNNING = 0;
const FINISHED = 1;
const ABANDONED = 2;

/** A search a worker runs for a graph; see {@link backgroundSearch}. */
export interface BackgroundSearch {
  /**
   * The search's state for the worker, on shared memory where it must be: `via` (the result) and
   * the graph's arrays. Post it whole; the working arrays are the worker's own (see searchArrays).
   */
  readonly job: Omit<SearchState, 'seen' | 'queue' | 'deferred' | 'deferredTo'>;
  /** status[0]: RUNNING, then FINISHED (set by the worker) or ABANDONED (set here). */
  readonly status: Int32Array;
}

const background = new WeakMap<HeapGraphData, BackgroundSearch>();

/**
 * Prepares the whole retainer search of `data` for a worker thread, when the graph's arrays are on
 * shared memory (a parse with the edges on a worker), and registers it: the first path asked of
 * the graph takes the worker's result if it is complete by then, and otherwise searches on this
 * thread (the worker's result is then dropped). Nothing ever waits for the worker. Returns
 * undefined when the graph cannot be shared.
 */
export function backgroundSearch(data: HeapGraphData): BackgroundSearch | undefined {
  const shared = (a: { buffer: ArrayBufferLike }) => a.buffer instanceof SharedArrayBuffer;
  if (
    data.nodeCount === 0 ||
    ![
      data.firstEdge,
      data.edgeTo,
      data.edgeType,
      data.edgeNameOrIndex,
      data.nodeType,
      data.strings.bytes,
      data.strings.offsets,
    ].every(shared)
  ) {
    return undefined;
  }
  const via = new Uint32Array(new SharedArrayBuffer(4 * data.nodeCount));
  const { seen: _s, queue: _q, deferred: _d, deferredTo: _t, ...job } = startSearch(data, via);
  const search: BackgroundSearch = { job, status: new Int32Array(new SharedArrayBuffer(4)) };
  background.set(data, search);
  return search;
}

/**
 * Where the worker's search of `data` stands: 'running', 'finished', 'abandoned' (a path was asked
 * first and searched here), or undefined when it has none (or it was taken). For tests.
 *
 * @internal
 */
export function backgroundSearchStatus(
  data: HeapGraphData,
): 'running' | 'finished' | 'abandoned' | undefined {
  const search = background.get(data);
  if (search === undefined) return undefined;
  const status = Atomics.load(search.status, 0);
  return status === FINISHED ? 'finished' : status === ABANDONED ? 'abandoned' : 'running';
}

/** The worker's finished search of `data`, as a done search; undefined when it is not finished. */
function adoptBackgroundSearch(data: HeapGraphData): SearchState | undefined {
  const search = background.get(data);
  if (search === undefined) return undefined;
  background.delete(data);
  // Only a finished search counts; one still running is abandoned (the worker may stop early).
  if (Atomics.compareExchange(search.status, 0, RUNNING, ABANDONED) !== FINISHED) return undefined;
  const empty = new Uint32Array(0);
  return {
    ...search.job,
    seen: new Int32Array(0),
    queue: empty,
    deferred: empty,
    deferredTo: new Int32Array(0),
    step: S_DONE,
  };
}

/** GC-root categories that hold what the embedder (Node) keeps alive, not V8's own bookkeeping. */
const EMBEDDER_ROOTS = new Set(['(Global handles)', '(Traced handles)', '(Eternal handles)']);

// ---------------------------------------------------------------------------------------------
// Rendering

// Globals Node's own modules keep in their scopes, named as the program names them.
const NODE_GLOBALS = new Set(['process', 'console', 'Buffer', 'performance']);

/**
 * The global name of node `n`, held by a variable of one of Node's own modules: `process` for the
 * process object under any variable name (`_process` in the bootstrap), and a module-scope variable
 * named as a global (`console`); '' otherwise.
 */
function nodeGlobal(data: HeapGraphData, n: number, variable: string): string {
  if (
    data.nodeType[n] === vocabulary(data).type.object &&
    data.strings.get(data.nodeName[n]!) === 'process'
  ) {
    return 'process';
  }
  return NODE_GLOBALS.has(variable) ? variable : '';
}

function render(data: HeapGraphData, nodes: number[], edges: number[], options: PathOptions): RetainingPath {
  const v = vocabulary(data);
  const steps: PathStep[] = nodes.map((n, i) => {
    const e = edges[i]!;
    const kind = nodeKind(data, n);
    return {
      nodeId: data.nodeId[n]!,
      edge: e < 0 ? '' : edgeName(data, e),
      edgeType: e < 0 ? '' : (data.edgeTypeNames[data.edgeType[e]!] ?? ''),
      name: kind === 'string' && !options.strings ? '<string>' : data.strings.get(data.nodeName[n]!),
      kind,
    };
  });
  if (options.raw) {
    const text = steps
      .map((s, i) => {
        const type = data.nodeTypeNames[data.nodeType[nodes[i]!]!] ?? '';
        const label = `${s.name || `(${type})`} @${s.nodeId}`;
        if (i === 0) return label;
        const edge = s.edgeType === 'element' || s.edgeType === 'hidden' ? `[${s.edge}]` : s.edge;
        return `-${s.edgeType} ${edge}-> ${label}`;
      })
      .join(' ');
    return { text, steps };
  }

  let text = '';
  let anchored = false;
  let location: SourceLocation | undefined;
  const label = (n: number) => {
    if (isGlobalName(v, data.nodeName[n]!)) return 'globalThis';
    return describeHeapValue(data, n, options);
  };
  // Starts text at node p when nothing has named it yet: "<Module @6177>".
  const base = (p: number) => {
    if (text !== '') return text;
    if (isGlobalName(v, data.nodeName[p]!) && nodeKind(data, p) !== 'string') return '';
    return label(p);
  };
  const prop = (p: number, name: string) => {
    const b = base(p);
    if (isIdentifier(name)) text = b === '' ? name : `${b}.${name}`;
    else text = `${b === '' ? 'globalThis' : b}[${JSON.stringify(name)}]`;
  };
  const start = nodes[0]!;
  const origin = nodeKind(data, start) === 'synthetic' ? data.strings.get(data.nodeName[start]!) : '';

  for (let i = 1; i < nodes.length; i++) {
    const p = nodes[i - 1]!;
    const c = nodes[i]!;
    const e = edges[i]!;
    const et = data.edgeType[e]!;
    const name = edgeName(data, e);
    const pk = nodeKind(data, p);
    const next = edges[i + 1];
    if (
      data.nodeType[c] === v.type.closure &&
      data.strings.byteLength(data.nodeName[c]!) > 0 &&
      next !== undefined &&
      data.edgeType[next] === v.edge.property
    ) {
      // A static of a class (or a property of a named function): the class name is how the
      // developer refers to it from anywhere; its definition gives file and line.
      text = data.strings.get(data.nodeName[c]!);
      location = functionLocation(data, c);
      anchored = true;
    } else if (et === v.edge.context) {
      // A scope variable: name it by the file of the function (or module body) owning the scope.
      let owner = scopeOwner(data, nodes, edges, i - 1);
      if (owner < 0) owner = contextOwners(data).get(p) ?? -1;
      const loc = owner < 0 ? undefined : functionLocation(data, owner);
      // A function's scope (not the module's) gets the function's name: `cache.js › makeCache() › store`.
      const fn = scopeFunctionName(data, p);
      const scoped = fn === '' ? name : `${fn}() › ${name}`;
      const global = loc?.file.startsWith('node:') === true ? nodeGlobal(data, c, fn === '' ? name : '') : '';
      if (global !== '') {
        // One of Node's own modules holding a global the program uses by name (`process`, whose
        // global property is a getter the search does not follow): `process._events.warning`,
        // not `node:internal/process/task_queues › process._events.warning`.
        text = global;
        location = undefined;
      } else {
        text = loc ? `${displayFile(loc.file)} › ${scoped}` : scoped;
        location = loc ? { file: loc.file } : undefined;
      }
      anchored = true;
    } else if (et === v.edge.property) {
      if (
        pk === 'object' &&
        data.nodeName[p] === v.name.Module &&
        data.edgeNameOrIndex[e] === v.name.exports
      ) {
        const file = moduleFile(data, p);
        text = file ? `${displayFile(file)} › module.exports` : 'module.exports';
        location = file ? { file } : undefined;
        anchored = true;
      } else prop(p, name);
    } else if (et === v.edge.element) {
      if (pk === 'synthetic') continue;
      text = `${base(p) || 'globalThis'}[${name}]`;
    } else if (
      et === v.edge.internal &&
      data.edgeNameOrIndex[e] === v.name.value &&
      data.nodeName[p] === v.name.cell &&
      i >= 3
    ) {
      // An ES module's export (`export const worker = …`): V8 keeps it in a Cell of the module's
      // exports table, whose slot before the Cell holds the export's name. Written as the module's
      // variable, which it is: `jobs.mjs › worker`.
      const exported = moduleExport(data, nodes, edges, i - 1);
      if (exported !== undefined) {
        text = exported.file ? `${displayFile(exported.file)} › ${exported.name}` : exported.name;
        location = exported.file ? { file: exported.file } : undefined;
        anchored = true;
      } else if (options.internals) text = `${base(p)}[[value]]`;
    } else if (et === v.edge.internal && WEAK_MAP_ENTRY.test(name)) {
      // An entry of a WeakMap, held through its table or through its key.
      const key = WEAK_MAP_ENTRY.exec(name)?.[1] ?? 'key';
      const viaTable = pk === 'internal' && i >= 2 && isTableEdge(data, edges[i - 1]!);
      text = viaTable ? `${base(nodes[i - 2]!)}.get(<${key}>)` : `${base(p)}[[WeakMap value]]`;
    } else if (pk === 'internal' && i >= 2 && isTableEdge(data, edges[i - 1]!)) {
      // Mapped through the hash table of a Map or Set.
      const collection = nodes[i - 2]!;
      const ck = nodeKind(data, collection);
      const slot = tableSlot(data, p, e, ck === 'set' ? 2 : 3);
      const b = base(collection);
      if (!slot) text = `${b}[[${name}]]`;
      else if (ck === 'set') text = `${b}.values()[${slot.entry}]`;
      else if (slot.slot === 'key') text = `${b}.keys()[${slot.entry}]`;
      else text = `${b}.get(${describeHeapValue(data, tableKeyNode(data, p, slot.entry), options)})`;
    } else if (
      pk === 'internal' &&
      i >= 2 &&
      data.edgeType[edges[i - 1]!] === v.edge.internal &&
      data.edgeNameOrIndex[edges[i - 1]!] === v.name.registers
    ) {
      // A local of a suspended function (an async function at an await, an ES module body at a
      // top-level await) that no closure captures: V8 keeps it in the generator's registers, whose
      // names the snapshot does not give. Say whose local it is and where that function lives.
      const generator = nodes[i - 2]!;
      const loc = functionLocation(data, generator);
      const moduleBody = i >= 3 && data.nodeName[nodes[i - 3]!] === v.name.sourceTextModule;
      const fe = findEdge(data, generator, v.edge.internal, v.name.function);
      const fn = fe < 0 ? '' : data.strings.get(data.nodeName[data.edgeTo[fe]!]!);
      const owner = moduleBody || !isIdentifier(fn) ? '' : `${fn}() › `;
      const what = moduleBody ? '<top-level variable>' : '<local variable>';
      text = `${loc ? `${displayFile(loc.file)} › ` : ''}${owner}${what}`;
      location = loc && moduleBody ? { file: loc.file } : loc;
      anchored = true;
    } else if (
      isTableEdge(data, e) ||
      data.edgeNameOrIndex[e] === v.name.context ||
      (et === v.edge.internal && data.edgeNameOrIndex[e] === v.name.registers)
    ) {
      // Hash tables and scopes are rendered by the step after them (`.get(…)`, `file › name`).
    } else if (options.internals) {
      text = `${base(p)}[[${name}]]`;
    }
  }
  if (text === '') text = label(nodes[nodes.length - 1]!);
  if (!anchored && origin !== '') text = `${origin} › ${text}`;
  const result: RetainingPath = { text, steps };
  if (location) {
    result.file = location.file;
    if (location.line !== undefined) result.line = location.line;
    if (location.column !== undefined) result.column = location.column;
  }
  return result;
}

/**
 * The export whose Cell is `nodes[at]`, reached from the exports table `nodes[at - 1]` of a
 * SourceTextModule earlier on the path: its name (the table's slot before the Cell's) and the
 * module's file (from its body, a generator), or undefined when the path is not through one.
 */
function moduleExport(
  data: HeapGraphData,
  nodes: readonly number[],
  edges: readonly number[],
  at: number,
): { name: string; file: string | undefined } | undefined {
  const v = vocabulary(data);
  let module = -1;
  for (let j = at - 1; j >= Math.max(0, at - 3); j--) {
    if (data.nodeName[nodes[j]!] === v.name.sourceTextModule) {
      module = nodes[j]!;
      break;
    }
  }
  if (module < 0) return undefined;
  const table = nodes[at - 1]!;
  const slot = Number(edgeName(data, edges[at]!));
  if (!Number.isInteger(slot) || slot < 1) return undefined;
  const want = String(slot - 1);
  let name: string | undefined;
  for (let e = data.firstEdge[table]!; e < data.firstEdge[table + 1]!; e++) {
    if (data.edgeType[e] !== v.edge.internal || edgeName(data, e) !== want) continue;
    const t = data.edgeTo[e]!;
    if (nodeKind(data, t) === 'string') name = data.strings.get(data.nodeName[t]!);
    break;
  }
  if (name === undefined || !isIdentifier(name)) return undefined;
  let file: string | undefined;
  for (let e = data.firstEdge[module]!; e < data.firstEdge[module + 1]! && file === undefined; e++) {
    const t = data.edgeTo[e]!;
    if (data.nodeName[t] === v.name.Generator) file = functionLocation(data, t)?.file;
  }
  return { name, file };
}

/** V8's name for the edges of a WeakMap entry: "3 / part of key (Object @6161) -> value (…) pair in WeakMap (table @77975)". */
const WEAK_MAP_ENTRY = /part of key \((.+?)\) -> value .* pair in WeakMap/;

function isTableEdge(data: HeapGraphData, e: number): boolean {
  const v = vocabulary(data);
  return data.edgeType[e] === v.edge.internal && data.edgeNameOrIndex[e] === v.name.table;
}

/**
 * The closure or generator whose scope chain led the path into the Context at `nodes[at]`: walk back
 * over `previous` hops to the node whose `context` edge entered the chain.
 */
function scopeOwner(data: HeapGraphData, nodes: number[], edges: number[], at: number): number {
  const v = vocabulary(data);
  for (let i = at; i >= 1; i--) {
    const e = edges[i]!;
    if (data.edgeType[e] !== v.edge.internal) return -1;
    const name = data.edgeNameOrIndex[e]!;
    if (name === v.name.context) return nodes[i - 1]!;
    if (name !== v.name.previous) return -1;
  }
  return -1;
}

/**
 * The name of the function whose scope a Context is, read from the Context's ScopeInfo. The
 * function itself is often gone (a factory called once at start-up) but the ScopeInfo stays, and
 * V8 20–24 give its slots as hidden edges: the local names, then the function's name, its
 * inferred name, then the outer scope's ScopeInfo. '' for a module body (it has no outer scope
 * info), an anonymous function, or a layout this does not recognise.
 */
function scopeFunctionName(data: HeapGraphData, context: number): string {
  const v = vocabulary(data);
  const se = findEdge(data, context, v.edge.internal, v.name.scopeInfo);
  if (se < 0) return '';
  const info = data.edgeTo[se]!;
  const scopeInfoName = data.nodeName[info]!;
  let outer = -1;
  const end = data.firstEdge[info + 1]!;
  for (let e = data.firstEdge[info]!; e < end; e++) {
    if (data.edgeType[e] === v.edge.hidden && data.nodeName[data.edgeTo[e]!] === scopeInfoName) {
      outer = Math.max(outer, data.edgeNameOrIndex[e]!);
    }
  }
  if (outer < 2) return '';
  const slot = (index: number) => {
    for (let e = data.firstEdge[info]!; e < end; e++) {
      if (data.edgeType[e] !== v.edge.hidden || data.edgeNameOrIndex[e] !== index) continue;
      const to = data.edgeTo[e]!;
      return nodeKind(data, to) === 'string' ? data.strings.get(data.nodeName[to]!) : '';
    }
    return '';
  };
  const name = slot(outer - 2) || slot(outer - 1);
  return isIdentifier(name) ? name : '';
}

const owners = new WeakMap<HeapGraphData, Map<number, number>>();

/**
 * For paths that enter a scope without its function (a stack root holding a Context): the first
 * closure or generator pointing at each Context, found in one pass over the edges, once per graph.
 */
function contextOwners(data: HeapGraphData): Map<number, number> {
  let map = owners.get(data);
  if (map) return map;
  map = new Map();
  const v = vocabulary(data);
  for (let n = 0; n < data.nodeCount; n++) {
    const t = data.nodeType[n]!;
    if (t !== v.type.closure && !(t === v.type.object && data.nodeName[n] === v.name.Generator)) continue;
    const e = findEdge(data, n, v.edge.internal, v.name.context);
    if (e < 0) continue;
    // Walk up the scope chain too: a module's variables are also reached through inner scopes.
    for (let c = data.edgeTo[e]!, depth = 0; depth < 32; depth++) {
      if (map.has(c)) break;
      map.set(c, n);
      const prev = findEdge(data, c, v.edge.internal, v.name.previous);
      if (prev < 0) break;
      c = data.edgeTo[prev]!;
      if (data.nodeName[c] !== v.name.systemContext) break;
    }
  }
  owners.set(data, map);
  return map;
}

/** A CommonJS Module's `filename` (a path, not user data, so it prints without `strings`). */
function moduleFile(data: HeapGraphData, module: number): string | undefined {
  const v = vocabulary(data);
  const e = findEdge(data, module, v.edge.property, v.name.filename);
  if (e < 0) return undefined;
  const to = data.edgeTo[e]!;
  return nodeKind(data, to) === 'string' ? data.strings.get(data.nodeName[to]!) : undefined;
}

/** The global object: `global` in older snapshots, `global / ` (constructor / tag) in current ones. */
function isGlobalName(v: HeapVocabulary, name: number): boolean {
  return name === v.name.global || name === v.name.globalObject;
}
