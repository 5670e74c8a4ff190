import { isReaction, reactionNext } from './chains.js';
import type { HeapGraphData } from './data.js';
import type { HeapGraph } from './graph.js';
import type { SourceLocation } from './names.js';
import { findEdge, functionLocation, vocabulary } from './names.js';

/**
 * Promise chains: an async function that calls itself and returns the call.
 *
 * ```js
 * async function poll() {
 *   await sleep(1000);
 *   …
 *   return poll(); // the caller's promise now waits on this call's
 * }
 * ```
 *
 * Each call's promise resolves with the next call's promise, so V8 hangs a reaction on the newer
 * promise that settles the older: newest promise → its one PromiseReaction → the promise it
 * settles → … → the first call's promise. Nothing ever settles, every round adds a promise and a
 * reaction, and no collection grows. The newest promise is held only by the suspended call (its
 * async function object), which a timer or an I/O callback reaches: a new place every round. What
 * stays is the far end, the first call's promise, the same object (by id) in every graph: chains
 * are matched across graphs by it.
 */

/** A chain of promises found in every graph of a series. */
export interface PromiseChain {
  /** Per graph: the node index of the chain's newest promise. */
  heads: number[];
  /** Per graph: the number of promises on the chain. */
  lengths: number[];
  /** The async function whose calls make the chain (from the newest call), when the graph says. */
  fn?: { name: string; location: SourceLocation | undefined };
}

/** Per graph: each promise's chain length and far end, computed once. */
interface ChainIndex {
  /** Per node: promises from it to the far end, itself included (0: not a promise on a chain). */
  length: Uint32Array;
  /** Per node: the far end's node index. */
  end: Uint32Array;
  /** Per node: 1 when a chain's promise leads to it (it is not a head). */
  led: Uint8Array;
}

/**
 * Chains whose far end is the same object in every graph and that get longer at the newest end.
 *
 * @param series - Graphs of one process, oldest first.
 * @param minPerStep - Least growth per step, in promises, for a chain to count.
 * @param own - Per node of the last graph: 1 for leakkit's own objects, left out.
 */
export function findPromiseChains(
  series: readonly HeapGraph[],
  minPerStep: number,
  own: Uint8Array,
): PromiseChain[] {
  const k = series.length;
  const last = series[k - 1]!.data;
  const lastIndex = chainIndex(last);
  if (lastIndex === undefined) return [];
  // The longest chain per far end in the last graph, when long enough to have grown.
  const least = minPerStep * (k - 1) + 1;
  const byEnd = new Map<number, number>();
  for (let n = 0; n < last.nodeCount; n++) {
    const length = lastIndex.length[n]!;
    if (length < least || lastIndex.led[n] === 1 || own[n] === 1) continue;
    const end = lastIndex.end[n]!;
    const best = byEnd.get(end);
    if (best === undefined || lastIndex.length[best]! < length) byEnd.set(end, n);
  }
  if (byEnd.size === 0) return [];
  const indexes: (ChainIndex | undefined)[] = [];
  const out: PromiseChain[] = [];
  for (const [end, head] of byEnd) {
    const heads: number[] = [];
    const lengths: number[] = [];
    const id = last.nodeId[end]!;
    for (let g = 0; g < k - 1; g++) {
      const data = series[g]!.data;
      const e = series[g]!.nodeIndexOf(id);
      if (e < 0) break;
      indexes[g] ??= chainIndex(data);
      const index = indexes[g];
      const found = index === undefined ? -1 : longestEndingAt(data, index, e);
      if (found < 0) break;
      heads.push(found);
      lengths.push(index!.length[found]!);
    }
    if (heads.length < k - 1) continue;
    heads.push(head);
    lengths.push(lastIndex.length[head]!);
    const chain: PromiseChain = { heads, lengths };
    const fn = callOf(last, head);
    if (fn !== undefined) chain.fn = fn;
    out.push(chain);
  }
  return out;
}

/** The promise one link on from promise `p` (the one its only reaction settles), or -1. */
function settles(data: HeapGraphData, p: number): number {
  const v = vocabulary(data);
  const e = findEdge(data, p, v.edge.internal, v.name.reactionsOrResult);
  if (e < 0) return -1;
  const r = data.edgeTo[e]!;
  // One reaction only: a promise several callers wait on is shared, not a link of a chain.
  if (!isReaction(data, r) || reactionNext(data, r) >= 0) return -1;
  let next = -1;
  const end = data.firstEdge[r + 1]!;
  for (let f = data.firstEdge[r]!; f < end; f++) {
    if (data.edgeType[f] === v.edge.hidden && isPromise(data, data.edgeTo[f]!)) next = data.edgeTo[f]!;
  }
  return next;
}

function isPromise(data: HeapGraphData, n: number): boolean {
  const v = vocabulary(data);
  return data.nodeType[n] === v.type.object && data.nodeName[n] === v.name.Promise;
}

/**
 * Every promise's chain, walked once: from each promise not yet measured to the first one that is
 * (or the far end), then measured backwards. Undefined when the graph has no promise chain at all.
 */
function chainIndex(data: HeapGraphData): ChainIndex | undefined {
  const v = vocabulary(data);
  if (v.name.Promise < 0 || v.name.promiseReaction < 0) return undefined;
  const { nodeCount } = data;
  let index: ChainIndex | undefined;
  let walk = new Uint32Array(64);
  for (let n = 0; n < nodeCount; n++) {
    if (!isPromise(data, n) || (index !== undefined && index.length[n] !== 0)) continue;
    const first = settles(data, n);
    if (first < 0) continue;
    index ??= {
      length: new Uint32Array(nodeCount),
      end: new Uint32Array(nodeCount),
      led: new Uint8Array(nodeCount),
    };
    const { length, end, led } = index;
    let depth = 0;
    let at = n;
    let next = first;
    // A chain never comes back on itself (a promise cannot wait on one that waits on it); the
    // bound keeps a damaged graph from looping.
    while (depth < nodeCount) {
      if (depth === walk.length) {
        const grown = new Uint32Array(walk.length * 2);
        grown.set(walk);
        walk = grown;
      }
      walk[depth++] = at;
      if (next < 0 || length[next] !== 0) break;
      at = next;
      next = settles(data, at);
    }
    let count = next >= 0 ? length[next]! : 0;
    const far = next >= 0 ? end[next]! : walk[depth - 1]!;
    for (let i = depth - 1; i >= 0; i--) {
      const p = walk[i]!;
      length[p] = ++count;
      end[p] = far;
      // Each promise on the walk but the first is led to by the one before it.
      if (i > 0) led[p] = 1;
    }
    if (next >= 0) led[next] = 1;
  }
  return index;
}

/** The longest chain's newest promise among the chains that end at `end`, or -1. */
function longestEndingAt(data: HeapGraphData, index: ChainIndex, end: number): number {
  let best = -1;
  for (let n = 0; n < data.nodeCount; n++) {
    if (index.length[n] === 0 || index.end[n] !== end || index.led[n] === 1) continue;
    if (best < 0 || index.length[n]! > index.length[best]!) best = n;
  }
  return best;
}

/**
 * The async function whose suspended call holds promise `head`: an object with a `function` edge
 * (V8's async function object, which DevTools shows as a Generator) that holds it by a hidden slot.
 */
function callOf(data: HeapGraphData, head: number): PromiseChain['fn'] {
  const v = vocabulary(data);
  for (let n = 0; n < data.nodeCount; n++) {
    if (data.nodeType[n] !== v.type.object) continue;
    const fe = findEdge(data, n, v.edge.internal, v.name.function);
    if (fe < 0) continue;
    const end = data.firstEdge[n + 1]!;
    for (let e = data.firstEdge[n]!; e < end; e++) {
      if (data.edgeTo[e] !== head || data.edgeType[e] !== v.edge.hidden) continue;
      const closure = data.edgeTo[fe]!;
      return { name: data.strings.get(data.nodeName[closure]!), location: functionLocation(data, closure) };
    }
  }
  return undefined;
}
