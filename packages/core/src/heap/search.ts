/**
 * The breadth-first search behind retaining paths (paths.ts sets it up and reads it): its state and
 * its hot loops. Everything here is plain data and self-contained functions (no name from outside
 * a function's body but these functions themselves; constants are local), because a worker thread
 * runs the same code from its source text (edge-worker.ts) while the calling thread computes
 * dominators.
 */

/** How a node was first reached, per node in {@link SearchState.via}. */
export const UNREACHED = 0;
/** A start node: the root, or a root the search was seeded with. */
export const START = 1;
/** Reached by edge e: FIRST_EDGE + e. */
export const FIRST_EDGE = 2;

// What the clean passes make of an edge, by edge type (SearchState.edgeClass).
/** Never followed. */
export const E_WEAK = 0;
/** Element and context edges: clean when the target is. */
export const E_PLAIN = 1;
/** Clean unless it is `__proto__`. */
export const E_PROPERTY = 2;
/** Clean for scopes, tables and the slots of a Map/Set hash table. */
export const E_INTERNAL = 3;
/** Never followed by any pass. */
export const E_SHORTCUT = 4;
/** Hidden and anything else strong: only the last pass follows it. */
export const E_OTHER = 5;

/** The steps of the search, in order: a clean pass per root tier (0 to 3), then pass 3. */
export const S_DONE = 8;

/**
 * The search's state. The graph's arrays are the parsed snapshot's own (on SharedArrayBuffers when
 * a worker runs the search).
 */
export interface SearchState {
  readonly nodeCount: number;
  readonly root: number;
  readonly firstEdge: Uint32Array;
  readonly edgeTo: Uint32Array;
  readonly edgeType: Uint8Array;
  readonly edgeNameOrIndex: Uint32Array;
  readonly nodeType: Uint8Array;
  readonly stringBytes: Uint8Array;
  readonly stringOffsets: Uint32Array;
  readonly stringCount: number;
  /** Per edge type: E_*. */
  readonly edgeClass: Uint8Array;
  /** Per node type: 1 when a clean pass may enter such a node (not code, shapes, hidden, synthetic). */
  readonly cleanTarget: Uint8Array;
  readonly arrayType: number;
  readonly syntheticType: number;
  /** String indices of `__proto__`, `table`, `context` and `previous` (-1: absent). */
  readonly proto: number;
  readonly table: number;
  readonly context: number;
  readonly previous: number;
  /** Root tiers, best first: the nodes each clean pass starts from. */
  readonly tiers: readonly (readonly number[])[];

  /** Per node: UNREACHED, START, or FIRST_EDGE + the edge that first reached it. */
  readonly via: Uint32Array;
  /**
   * One bit per node, set once reached: the test every edge makes reads this instead of `via` (32×
   * smaller, it stays in the processor's cache where `via` would not on a big heap).
   */
  seen: Int32Array;
  queue: Uint32Array;
  head: number;
  tail: number;
  /** The next step (0 to S_DONE). */
  step: number;
  /** Whether the current clean pass has queued its tier's roots. */
  seeded: boolean;
  /** Position in the deferred list being taken. */
  taken: number;
  /** Node whose path is asked for: the search pauses as soon as it is reached (-1: run to the end). */
  target: number;
  /** Per string, filled on first use: 1 when the name is all digits (a hash table slot), 2 when not. */
  digits: Uint8Array | undefined;
  /**
   * Strong edges the clean passes skipped while their target was unreached, in the order the passes
   * met them (the order of the queue, then of the edges): the only edges the last pass can take
   * from a node the clean passes reached. Those leaving a root category go to `deferredRoots`.
   */
  deferred: Uint32Array;
  deferredCount: number;
  /**
   * One bit per node: some edge to it is in `deferred` already. A later one could never be the
   * first to reach it, so it is not listed (most skipped edges lead to a few shared hidden classes).
   */
  deferredTo: Int32Array;
  deferredRoots: number[];
  /**
   * Per string, 1 for the names of root edges this search never takes: V8's bookkeeping entries of
   * `(Strong roots)` (`41 / IdentityMapBase`), which hold whatever the compiler or the snapshot
   * writer happened to have open. Absent (the usual search): every root edge is taken, last.
   */
  skipRootNames?: Uint8Array | undefined;
  /** A root category whose edges this search never takes (`(Handle scope)`), or absent. */
  skipRootFrom?: number | undefined;
}

/** The working arrays of a new search (its `via` given, and its queue if the caller has one), the root already reached. */
export function searchArrays(
  nodeCount: number,
  root: number,
  via: Uint32Array,
  queue?: Uint32Array,
): Pick<SearchState, 'seen' | 'queue' | 'deferred' | 'deferredTo'> {
  const seen = new Int32Array((nodeCount + 31) >>> 5);
  if (nodeCount > 0) {
    via[root] = 1; // START
    seen[root >>> 5]! |= 1 << (root & 31);
  }
  return {
    seen,
    queue: queue ?? new Uint32Array(nodeCount),
    deferred: new Uint32Array(Math.max(1024, nodeCount >>> 2)),
    deferredTo: new Int32Array((nodeCount + 31) >>> 5),
  };
}

/**
 * Runs the search's steps until `target` is reached (-1: to the end). Three passes over one queue:
 * (1) from the global object, (2) from V8's and Node's other roots, stack and handle scopes last,
 * both over "clean" edges only; (3) what the clean passes skipped, in the order they met it, then
 * everything from there over every strong edge, the root categories' own edges last.
 */
export function advance(s: SearchState, target: number): void {
  const UNREACHED = 0;
  const START = 1;
  const S_DEFERRED = 4;
  const S_DRAIN_DEFERRED = 5;
  const S_ROOT_EDGES = 6;
  const S_DRAIN_ROOT_EDGES = 7;
  const S_DONE = 8;
  s.target = target;
  const { via, seen, queue } = s;
  const reached = () => target >= 0 && via[target] !== UNREACHED;
  while (s.step < S_DONE && !reached()) {
    const step = s.step;
    if (step < S_DEFERRED) {
      if (!s.seeded) {
        for (const node of s.tiers[step]!) {
          if (via[node] !== UNREACHED) continue;
          via[node] = START;
          seen[node >>> 5]! |= 1 << (node & 31);
          queue[s.tail++] = node;
        }
        s.seeded = true;
        if (reached()) break;
      }
      drainClean(s);
    } else if (step === S_DEFERRED) {
      takeDeferred(s, s.deferred, s.deferredCount);
    } else if (step === S_ROOT_EDGES) {
      // The root categories' own edges go last: their direct edges into V8's bookkeeping (`(Strong
      // roots)`' IdentityMap entries, handles the snapshot's own machinery opened) would otherwise
      // win over the longer path a developer can read (a suspended ES module's body reached
      // through its module).
      takeDeferred(s, Uint32Array.from(s.deferredRoots), s.deferredRoots.length);
    } else if (step === S_DRAIN_DEFERRED || step === S_DRAIN_ROOT_EDGES) drainAll(s);
    // A step left unfinished stopped at the target; a finished one hands over to the next.
    if (reached() && !stepDone(s)) break;
    s.step++;
    s.seeded = false;
    s.taken = 0;
  }
  if (s.step === S_DONE) {
    // Only `via` is needed from now on.
    s.queue = new Uint32Array(0);
    s.seen = new Int32Array(0);
    s.deferredTo = new Int32Array(0);
    s.deferred = new Uint32Array(0);
    s.deferredRoots = [];
    s.digits = undefined;
  }
}

/** Whether the current step has nothing left to do. */
export function stepDone(s: SearchState): boolean {
  if (s.step === 4) return s.taken >= s.deferredCount; // S_DEFERRED
  if (s.step === 6) return s.taken >= s.deferredRoots.length; // S_ROOT_EDGES
  return s.head >= s.tail;
}

/** Passes 1 and 2: the queue over clean edges, listing the strong edges it skips. */
export function drainClean(s: SearchState): void {
  const UNREACHED = 0;
  const FIRST_EDGE = 2;
  const E_WEAK = 0;
  const E_PLAIN = 1;
  const E_PROPERTY = 2;
  const E_INTERNAL = 3;
  const E_SHORTCUT = 4;
  const {
    via,
    seen,
    deferredTo,
    queue,
    edgeClass,
    cleanTarget,
    arrayType,
    syntheticType,
    proto,
    table,
    context,
    previous,
    target,
    firstEdge,
    edgeTo,
    edgeType,
    edgeNameOrIndex,
    nodeType,
  } = s;
  let head = s.head;
  let tail = s.tail;
  // Stops after the node whose edges reach the target (checked once a node, not once an edge).
  while (head < tail && (target < 0 || via[target] === UNREACHED)) {
    const from = queue[head++]!;
    const fromType = nodeType[from]!;
    const end = firstEdge[from + 1]!;
    for (let e = firstEdge[from]!; e < end; e++) {
      const to = edgeTo[e]!;
      if ((seen[to >>> 5]! & (1 << (to & 31))) !== 0) continue;
      const k = edgeClass[edgeType[e]!]!;
      if (k === E_WEAK || k === E_SHORTCUT) continue;
      let clean = false;
      if (cleanTarget[nodeType[to]!] === 1) {
        if (k === E_PLAIN) clean = true;
        else if (k === E_PROPERTY) clean = edgeNameOrIndex[e] !== proto;
        else if (k === E_INTERNAL) {
          const name = edgeNameOrIndex[e]!;
          // Scopes, a collection's table, and the slots of a Map/Set hash table (an internal array
          // whose edges are named by slot number).
          clean =
            name === table ||
            name === context ||
            name === previous ||
            (fromType === arrayType && isDigitName(s, name));
        }
      }
      if (clean) {
        via[to] = FIRST_EDGE + e;
        seen[to >>> 5]! |= 1 << (to & 31);
        queue[tail++] = to;
      } else if (fromType === syntheticType) {
        const skip = s.skipRootNames;
        if ((skip === undefined || skip[edgeNameOrIndex[e]!] !== 1) && from !== s.skipRootFrom)
          s.deferredRoots.push(e);
      } else if ((deferredTo[to >>> 5]! & (1 << (to & 31))) === 0) {
        deferredTo[to >>> 5]! |= 1 << (to & 31);
        defer(s, e);
      }
    }
  }
  s.head = head;
  s.tail = tail;
}

export function defer(s: SearchState, e: number): void {
  if (s.deferredCount === s.deferred.length) {
    const grown = new Uint32Array(s.deferred.length * 2);
    grown.set(s.deferred);
    s.deferred = grown;
  }
  s.deferred[s.deferredCount++] = e;
}

/** Whether string `name` is all digits (a hash table slot's name), decided once per string. */
export function isDigitName(s: SearchState, name: number): boolean {
  s.digits ??= new Uint8Array(s.stringCount);
  let known = s.digits[name];
  if (known === 0) {
    const bytes = s.stringBytes;
    const start = s.stringOffsets[name]!;
    const end = s.stringOffsets[name + 1]!;
    known = end === start ? 2 : 1;
    for (let i = start; i < end && known === 1; i++) {
      const c = bytes[i]!;
      if (c < 48 || c > 57) known = 2;
    }
    s.digits[name] = known;
  }
  return known === 1;
}

/** Pass 3's start: takes the listed edges whose targets are still unreached, in order. */
export function takeDeferred(s: SearchState, edges: Uint32Array, count: number): void {
  const FIRST_EDGE = 2;
  const { via, seen, queue, target, edgeTo } = s;
  let tail = s.tail;
  let i = s.taken;
  while (i < count) {
    const e = edges[i++]!;
    const to = edgeTo[e]!;
    if ((seen[to >>> 5]! & (1 << (to & 31))) !== 0) continue;
    via[to] = FIRST_EDGE + e;
    seen[to >>> 5]! |= 1 << (to & 31);
    queue[tail++] = to;
    if (to === target) break;
  }
  s.taken = i;
  s.tail = tail;
}

/** Pass 3: the queue over every strong edge (all but weak edges and shortcuts). */
export function drainAll(s: SearchState): void {
  const UNREACHED = 0;
  const FIRST_EDGE = 2;
  const E_WEAK = 0;
  const E_SHORTCUT = 4;
  const { via, seen, queue, edgeClass, target, firstEdge, edgeTo, edgeType } = s;
  let head = s.head;
  let tail = s.tail;
  while (head < tail && (target < 0 || via[target] === UNREACHED)) {
    const from = queue[head++]!;
    const end = firstEdge[from + 1]!;
    for (let e = firstEdge[from]!; e < end; e++) {
      const to = edgeTo[e]!;
      if ((seen[to >>> 5]! & (1 << (to & 31))) !== 0) continue;
      const k = edgeClass[edgeType[e]!]!;
      if (k === E_WEAK || k === E_SHORTCUT) continue;
      via[to] = FIRST_EDGE + e;
      seen[to >>> 5]! |= 1 << (to & 31);
      queue[tail++] = to;
    }
  }
  s.head = head;
  s.tail = tail;
}

/** The functions a worker needs to run a search, for its source text (see edge-worker.ts). */
export const SEARCH_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  searchArrays,
  advance,
  stepDone,
  drainClean,
  defer,
  isDigitName,
  takeDeferred,
  drainAll,
];
