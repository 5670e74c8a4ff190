import type { HeapGraphData } from './data.js';
import type { SourceLocation } from './names.js';
import { edgeName, functionLocation, isIdentifier, vocabulary } from './names.js';

/**
 * Chains: objects that each hold the one made before them. The leak no collection shows:
 *
 * ```js
 * let theThing = null;
 * function replaceThing() {
 *   const originalThing = theThing;
 *   const unused = () => originalThing;          // shares the scope with someMethod...
 *   theThing = { someMethod() {} };              // ...so every theThing keeps the last one
 * }
 * ```
 *
 * Nothing grows in place: `theThing` is a new two-property object each time. What grows is the
 * chain behind it, `theThing.someMethod › originalThing.someMethod › originalThing…`. The same
 * shape comes from `head = new Node(head)`, from wrapping a function in a new one per call
 * (`handler = wrap(handler)`), from doubly linked lists that are appended to and never cut, and
 * from the reactions V8 keeps on a promise that never settles (`Promise.race([work, shutdown])`).
 *
 * A chain is found from its head by a repeating link: the hops from the head to the nearest node of
 * the same type and name (same class, same function), then the same hops again and again.
 */

/** The `name` of a chain of a promise's reactions (V8's `system / PromiseReaction`). */
export const REACTION = 'PromiseReaction';

/** One hop of a link: an edge by type and name (decoded, so it can be followed in another graph). */
export interface LinkHop {
  /** The edge's type name: 'property', 'context', 'internal', 'element'. */
  edgeType: string;
  /** The property or variable name, the internal slot name, or the element index as text. */
  name: string;
}

/** How one element of a chain holds the next (older) one. */
export interface ChainLink {
  hops: LinkHop[];
  /** As code, from one element to the next: `.someMethod › originalThing`, `.prev`, `[0]`. */
  text: string;
}

// The link search from a head: hops deep, nodes visited, edges looked at per node, links kept.
// A link longer than four hops is no longer something a reader recognises as "holds the last one".
const MAX_LINK_HOPS = 4;
const MAX_SEARCH_NODES = 64;
const MAX_EDGES_PER_NODE = 48;
const MAX_LINKS = 4;
/** Links followed at most per chain walk: a bound, not a limit real chains reach. */
const MAX_CHAIN_LENGTH = 50_000_000;

/**
 * The links that lead from `head` to another node of its type and name within a few hops,
 * shortest first (breadth first). Only through edges that retain and that a developer writes
 * (properties, scope variables, a closure's scope, array elements): not weak edges, hidden classes,
 * prototypes or code.
 *
 * @param data - A parsed heap graph.
 * @param head - Node index of the chain's head (an object, a closure or an array).
 * @param visited - Scratch per node of `data`, with `stamp` not yet used in it.
 * @returns Up to four links; empty when nothing alike is near.
 */
export function findLinks(
  data: HeapGraphData,
  head: number,
  visited: Uint32Array,
  stamp: number,
): ChainLink[] {
  const v = vocabulary(data);
  const type = data.nodeType[head]!;
  const name = data.nodeName[head]!;
  if (isReaction(data, head)) {
    // A promise's reactions: the next one is a hidden slot (see reactionNext).
    const e = reactionNext(data, head);
    return e < 0 ? [] : [linkThrough(data, [e])];
  }
  if (type !== v.type.object && type !== v.type.closure && type !== v.type.array) return [];
  // Breadth first, each node once; `via[i]` is the edge that reached `nodes[i]`, `from[i]` its parent.
  const nodes = [head];
  const via = [-1];
  const from = [-1];
  const depth = [0];
  visited[head] = stamp;
  const links: ChainLink[] = [];
  for (let i = 0; i < nodes.length && links.length < MAX_LINKS; i++) {
    const n = nodes[i]!;
    if (depth[i]! >= MAX_LINK_HOPS) continue;
    const end = Math.min(data.firstEdge[n + 1]!, data.firstEdge[n]! + MAX_EDGES_PER_NODE);
    for (let e = data.firstEdge[n]!; e < end && links.length < MAX_LINKS; e++) {
      if (!isLinkEdge(data, e)) continue;
      const t = data.edgeTo[e]!;
      if (visited[t] === stamp || !isLinkNode(data, t)) continue;
      visited[t] = stamp;
      if (data.nodeType[t] === type && data.nodeName[t] === name) {
        const edges = [e];
        for (let j = i; via[j]! >= 0; j = from[j]!) edges.push(via[j]!);
        edges.reverse();
        links.push(linkThrough(data, edges));
        continue;
      }
      if (nodes.length >= MAX_SEARCH_NODES) continue;
      nodes.push(t);
      via.push(e);
      from.push(i);
      depth.push(depth[i]! + 1);
    }
  }
  return links;
}

/** Whether `n` is one of a promise's pending reactions (`await p`, `p.then(…)`, `Promise.race([p])`). */
export function isReaction(data: HeapGraphData, n: number): boolean {
  const v = vocabulary(data);
  return data.nodeType[n] === v.type.hidden && data.nodeName[n] === v.name.promiseReaction;
}

/**
 * The edge from reaction `n` to the next (older) one, or -1: its one hidden slot that holds a
 * reaction (slot 0 on Node 20, slot 1 on Node 22 and 24, where the hidden class counts as slot 0).
 */
export function reactionNext(data: HeapGraphData, n: number): number {
  const v = vocabulary(data);
  const end = data.firstEdge[n + 1]!;
  for (let e = data.firstEdge[n]!; e < end; e++) {
    if (data.edgeType[e] === v.edge.hidden && isReaction(data, data.edgeTo[e]!)) return e;
  }
  return -1;
}

/** Whether edge `e` can be a hop of a link. */
function isLinkEdge(data: HeapGraphData, e: number): boolean {
  const v = vocabulary(data);
  const et = data.edgeType[e]!;
  const name = data.edgeNameOrIndex[e]!;
  if (et === v.edge.property) return name !== v.name.proto;
  if (et === v.edge.context || et === v.edge.element) return true;
  // A closure's scope, and the scope it was made in (a closure in a closure).
  if (et === v.edge.internal) return name === v.name.context || name === v.name.previous;
  return false;
}

/** Whether node `n` can be on a link: program objects, not strings, code or V8's bookkeeping. */
function isLinkNode(data: HeapGraphData, n: number): boolean {
  const v = vocabulary(data);
  const t = data.nodeType[n]!;
  if (t === v.type.object || t === v.type.closure || t === v.type.array) return true;
  // Scopes are `system / Context` hidden nodes.
  return t === v.type.hidden && data.nodeName[n] === v.name.systemContext;
}

/** The link made of `edges`, hop by hop, with its text. */
function linkThrough(data: HeapGraphData, edges: readonly number[]): ChainLink {
  const v = vocabulary(data);
  const hops: LinkHop[] = [];
  let text = '';
  for (const e of edges) {
    const et = data.edgeType[e]!;
    const name = edgeName(data, e);
    hops.push({ edgeType: data.edgeTypeNames[et] ?? '', name });
    if (isReaction(data, data.edgeTo[e]!)) text += '[[next reaction]]';
    else if (et === v.edge.property) text += isIdentifier(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
    else if (et === v.edge.element) text += `[${name}]`;
    else if (et === v.edge.context) text += ` › ${name}`;
    // A closure's scope reads as the variable after it: `.someMethod › originalThing`.
  }
  // A link that starts in the head's own scope (a closure's variable): `scope › prev`.
  return { hops, text: text === '' ? 'scope' : text.startsWith(' › ') ? `scope${text}` : text };
}

/**
 * The links from `n` straight to another node of its type and name, one per property name
 * (`.next`, `.prev`): how a linked list's elements hold each other. Objects only.
 */
export function directLinks(data: HeapGraphData, n: number): ChainLink[] {
  const v = vocabulary(data);
  if (data.nodeType[n] !== v.type.object) return [];
  const name = data.nodeName[n]!;
  const out: ChainLink[] = [];
  const end = Math.min(data.firstEdge[n + 1]!, data.firstEdge[n]! + MAX_EDGES_PER_NODE);
  for (let e = data.firstEdge[n]!; e < end && out.length < MAX_LINKS; e++) {
    if (data.edgeType[e] !== v.edge.property || data.edgeNameOrIndex[e] === v.name.proto) continue;
    const t = data.edgeTo[e]!;
    if (t !== n && data.nodeType[t] === v.type.object && data.nodeName[t] === name)
      out.push(linkThrough(data, [e]));
  }
  return out;
}

/**
 * Follows `link` in any graph of the same process. The names of the hops are found in that graph's
 * string table on first use (string indices differ between graphs) and kept in `names`.
 */
export class LinkFollower {
  readonly #data: HeapGraphData;
  readonly #types: number[];
  readonly #indexes: number[];
  readonly #names: (number | undefined)[];
  readonly #hops: LinkHop[];

  constructor(data: HeapGraphData, link: ChainLink) {
    this.#data = data;
    this.#hops = link.hops;
    this.#types = link.hops.map((h) => data.edgeTypeNames.indexOf(h.edgeType));
    // Element (and hidden) edges are named by their index.
    this.#indexes = link.hops.map((h) =>
      h.edgeType === 'element' || h.edgeType === 'hidden' ? Number(h.name) : -1,
    );
    this.#names = link.hops.map(() => undefined);
  }

  /**
   * The node `link` leads to from `n`, or -1 when a hop is missing. `through`, when given, gets the
   * nodes each hop leaves from (`n` first).
   */
  next(n: number, through?: number[]): number {
    const data = this.#data;
    let at = n;
    for (let h = 0; h < this.#hops.length; h++) {
      through?.push(at);
      const type = this.#types[h]!;
      if (type < 0) return -1;
      const index = this.#indexes[h]!;
      const known = this.#names[h];
      let to = -1;
      const end = data.firstEdge[at + 1]!;
      for (let e = data.firstEdge[at]!; e < end; e++) {
        if (data.edgeType[e] !== type) continue;
        const raw = data.edgeNameOrIndex[e]!;
        if (
          index >= 0
            ? raw === index
            : known !== undefined
              ? raw === known
              : edgeName(data, e) === this.#hops[h]!.name
        ) {
          if (index < 0) this.#names[h] = raw;
          to = data.edgeTo[e]!;
          break;
        }
      }
      if (to < 0) return -1;
      at = to;
    }
    return at;
  }
}

/**
 * Where the link of a chain is made, when a function holds it: the first closure on the link from
 * `head` (the head itself for `scope › prev`, `someMethod` for `.someMethod › originalThing`), whose
 * definition is the line that makes each element keep the last. Undefined for links of plain
 * properties (`.previous`): the allocation site says more there.
 */
export function linkSite(data: HeapGraphData, head: number, link: ChainLink): SourceLocation | undefined {
  const v = vocabulary(data);
  const through: number[] = [];
  if (new LinkFollower(data, link).next(head, through) < 0) return undefined;
  const closure = through.find((n) => data.nodeType[n] === v.type.closure);
  return closure === undefined ? undefined : functionLocation(data, closure);
}

/**
 * Whether `end`, where a walk of chain elements of `type` and `name` stopped, is the sentinel of a
 * ring: its own link leads back to one of the chain's kind (the newest element, which a walk from
 * an older one has not seen).
 */
export function isSentinel(
  data: HeapGraphData,
  follower: LinkFollower,
  end: number,
  type: number,
  name: number,
): boolean {
  const back = follower.next(end);
  return back >= 0 && data.nodeType[back] === type && data.nodeName[back] === name;
}

/**
 * How many elements the chain from `head` has: the head, then every node `link` leads to, until a
 * hop is missing or leads to `null` or anything not of the head's type and name.
 *
 * `ring` when the chain closes on itself: the walk comes back to a node it has seen, or ends at a
 * node of another kind whose own link leads to one of the chain's kind (the sentinel of an
 * intrusive list, as Node's timer lists are kept). A ring is how a program keeps a list of live things (timers,
 * handles) whose length says how many are live now; a chain that leaks ends at nothing.
 *
 * @param visited - Scratch per node of `data`, with `stamp` not yet used in it.
 * @returns The length, and whether the walk ended on a node it had seen (a ring).
 */
export function chainLength(
  data: HeapGraphData,
  head: number,
  follower: LinkFollower,
  visited: Uint32Array,
  stamp: number,
): { length: number; ring: boolean } {
  const type = data.nodeType[head]!;
  const name = data.nodeName[head]!;
  let n = head;
  let length = 1;
  visited[n] = stamp;
  while (length < MAX_CHAIN_LENGTH) {
    const next = follower.next(n);
    if (next < 0) break;
    if (data.nodeType[next] !== type || data.nodeName[next] !== name) {
      return { length, ring: isSentinel(data, follower, next, type, name) };
    }
    if (visited[next] === stamp) return { length, ring: true };
    visited[next] = stamp;
    n = next;
    length++;
  }
  return { length, ring: false };
}

/**
 * What to do about a chain that keeps getting longer, naming the link: the generic advice of the
 * monitor and the CLI for a `chain` growth. By the chain's shape:
 * - a promise's reactions (`name: 'PromiseReaction'`): race against something made per call;
 * - a head that stays (`match: 'id'`): a list appended at its far end and never consumed;
 * - a function that closes over the last one (`scope › prev`): it is wrapped anew on every call;
 * - a closure of each object that captured the last object (`.someMethod › originalThing`): the
 *   scope it shares with another closure;
 * - anything else (`.previous`): each new head links to the last.
 *
 * @example
 * ```ts
 * chainAdvice({ path: 'app.js › theThing', link: '.someMethod › originalThing' })
 * // 'Each new `app.js › theThing` keeps the previous one alive through `.someMethod › originalThing`, …'
 * ```
 */
/** The `name` of a chain of promises made by an async function that calls itself (promise-chains.ts). */
export const ASYNC_PROMISE = 'Promise';

export function chainAdvice(g: {
  path: string;
  name?: string;
  link?: string | undefined;
  match?: 'id' | 'path';
}): string {
  if (g.name === REACTION) {
    return (
      `Reactions pile up on the promise \`${g.path}\`, which never settles: every \`await\`, \`.then()\` or ` +
      '`Promise.race([…, it])` on it adds one, holding its callbacks and what they close over until it settles. ' +
      'Race against something made per call instead (an AbortSignal, `events.once(emitter, name, { signal })`), ' +
      'or settle the promise.'
    );
  }
  if (g.name === ASYNC_PROMISE) {
    return (
      `The async function \`${g.path}\` calls itself and returns the call (\`${g.link ?? 'return f()'}\`): each ` +
      "call's promise waits on the next one's, so every round adds a promise that settles only when the " +
      'recursion ends, and it never does. Loop instead (`while (!stopped) { await …; }`), or schedule the ' +
      'next round without returning it (`setTimeout(poll, ms)`, `void poll()`).'
    );
  }
  const through = g.link === undefined ? '' : ` through \`${g.link}\``;
  if (g.match === 'id') {
    return (
      `\`${g.path}\` heads a list that only gets longer at its far end: elements are linked on${through} ` +
      'and never taken off. Remove each one once it is processed (move the head forward), or bound the list.'
    );
  }
  const intro = `Each new \`${g.path}\` keeps the previous one alive${through}, so none is ever freed. `;
  if (g.link?.startsWith('scope ›') === true) {
    return (
      `${intro}A function is wrapped in a new one that calls the last (\`fn = wrap(fn)\`) on every call: ` +
      'wrap it once, at start-up, or keep the wrappers in a list you can bound.'
    );
  }
  if (g.link?.includes('›') === true) {
    return (
      `${intro}A closure made with each one captures a variable that holds the last one (closures made in one scope ` +
      'share it, so a function that never uses the variable still keeps it): set that variable to null once it ' +
      'is used, or move the closure out of that scope.'
    );
  }
  return `${intro}Cut the link when the new one replaces it (\`prev = null\`), or bound the chain.`;
}
