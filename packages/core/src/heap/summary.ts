import type { HeapGraphData } from './data.js';
import type { Dominators } from './dominators.js';
import { borrowScratch, lendScratch } from './scratch.js';

/** One row of {@link summarize}: the objects of one constructor or V8 type. */
export interface SummaryEntry {
  /** Class (constructor) name for objects and native nodes, else `(string)`, `(closure)`, `(system)`, … */
  name: string;
  /** V8 node type of the group's members: 'object', 'string', 'closure', 'native', … */
  type: string;
  /** Number of objects. */
  count: number;
  /** Sum of the objects' own sizes, in bytes. */
  selfSize: number;
  /**
   * Bytes freed if every object of the group went away: the retained sizes of the members that
   * no other member dominates (nested members are inside their ancestor's retained size already).
   */
  retainedSize: number;
}

/**
 * Which summary group every node belongs to: a dense group number per node and the names.
 * Shared by {@link summarize} and `diffHeaps`, so both group exactly alike.
 */
export interface NodeGroups {
  /** Per node: group number, or -1 for nodes no summary counts (self size 0: roots, synthetic). */
  readonly groupOf: Int32Array;
  /** Per group: display name (see {@link groupName}). */
  readonly names: string[];
  /** Per group: V8 node type of the first member. */
  readonly types: string[];
}

/**
 * The Summary-view name of a node, with Chrome DevTools' conventions: objects and native nodes by
 * their class (constructor) name; `hidden` nodes as `(system)`; `code` as `(compiled code)`; every
 * other type in parentheses: `(string)`, `(concatenated string)`, `(sliced string)`, `(closure)`,
 * `(array)`, `(regexp)`, `(number)`, `(symbol)`, `(bigint)`, `(object shape)`, `(synthetic)`.
 * (DevTools since 2023 shows closures as `Function` and regexps as `RegExp`; we keep the
 * parenthesised form, which says "V8 type" rather than "class" and cannot collide with a class.)
 *
 * @param type - The node's V8 type name.
 * @param name - The node's name (class name for objects).
 * @returns The group name.
 *
 * @example
 * ```ts
 * groupName('object', 'TimerMetrics'); // 'TimerMetrics'
 * groupName('hidden', 'system / Map'); // '(system)'
 * ```
 */
export function groupName(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
      return name;
    case 'hidden':
      return '(system)';
    case 'code':
      return '(compiled code)';
    default:
      return `(${type})`;
  }
}

/**
 * Assigns every node its summary group. Objects and native nodes group by name-string index
 * (V8 deduplicates strings, so one index is one class name); every other node by its type.
 * Nodes with self size 0 (the root, GC-root categories) belong to no group, as in DevTools.
 *
 * @param data - A parsed heap graph.
 * @returns The group of every node and the group names.
 *
 * @example
 * ```ts
 * const { groupOf, names } = groupNodes(graph.data);
 * console.log(names[groupOf[42]!]);
 * ```
 */
export function groupNodes(data: HeapGraphData): NodeGroups {
  const table = groupTable(data, undefined);
  const { nodeCount, nodeType, nodeName, nodeSelfSize } = data;
  const groupOf = new Int32Array(nodeCount);
  for (let n = 0; n < nodeCount; n++) groupOf[n] = groupOfNode(table, nodeType, nodeName, nodeSelfSize, n);
  return { groupOf, names: table.names, types: table.types };
}

/** Count and self size per group, by group number. */
interface GroupTotals {
  count: number[];
  self: number[];
}

/**
 * How nodes map to groups, in tables by type and by name string rather than an entry per node:
 * the summary looks groups up as it walks the dominator tree, and an Int32Array per node would be
 * alive at its peak. See {@link groupOfNode}.
 */
interface GroupTable {
  readonly names: string[];
  readonly types: string[];
  /** Per node type (all 256): 1 when its nodes group by name (objects, native nodes). */
  readonly keyedByName: Uint8Array;
  /** Per node type: the group of its nodes, for types not keyed by name (-1: none seen). */
  readonly byType: Int32Array;
  /** Per string: the group of the nodes of a keyed type with that name (-1: none seen). */
  readonly byName: Int32Array;
  /** Per node type: the group of its nodes whose name is outside the string table (damaged input). */
  readonly unnamed: Int32Array;
}

/** The group of node `n` (-1: none, self size 0), from a table that has seen every node. */
function groupOfNode(
  t: GroupTable,
  nodeType: Uint8Array,
  nodeName: Uint32Array,
  nodeSelfSize: Uint32Array,
  n: number,
): number {
  if (nodeSelfSize[n] === 0) return -1;
  const type = nodeType[n]!;
  if (t.keyedByName[type] === 0) return t.byType[type]!;
  const name = nodeName[n]!;
  return name < t.byName.length ? t.byName[name]! : t.unnamed[type]!;
}

/** Builds the group table in one pass over the nodes, summing each group's count and self size into `totals`. */
function groupTable(data: HeapGraphData, totals: GroupTotals | undefined): GroupTable {
  const { nodeCount, nodeType, nodeName, nodeSelfSize, nodeTypeNames, strings } = data;
  const names: string[] = [];
  const types: string[] = [];
  // Typed arrays instead of a Map: this runs once per node on graphs of tens of millions.
  const byType = new Int32Array(256).fill(-1);
  const unnamed = new Int32Array(256).fill(-1);
  const byName = new Int32Array(strings.count).fill(-1);
  const keyedByName = new Uint8Array(256);
  nodeTypeNames.forEach((t, i) => {
    if (i < 256) keyedByName[i] = t === 'object' || t === 'native' ? 1 : 0;
  });
  // Distinct names can still collide after decoding ('(system)' from two types): merge by name.
  const byDisplayName = new Map<string, number>();
  const groupFor = (type: number, name: number): number => {
    const typeName = nodeTypeNames[type] ?? 'unknown';
    const display = groupName(typeName, keyedByName[type] ? strings.get(name) : '');
    let g = byDisplayName.get(display);
    if (g === undefined) {
      g = names.length;
      names.push(display);
      types.push(typeName);
      totals?.count.push(0);
      totals?.self.push(0);
      byDisplayName.set(display, g);
    }
    return g;
  };
  const count = totals?.count;
  const self = totals?.self;
  for (let n = 0; n < nodeCount; n++) {
    const size = nodeSelfSize[n]!;
    if (size === 0) continue;
    const type = nodeType[n]!;
    let g: number;
    if (keyedByName[type]) {
      const name = nodeName[n]!;
      const table = name < byName.length ? byName : unnamed;
      const key = name < byName.length ? name : type;
      g = table[key]!;
      if (g < 0) table[key] = g = groupFor(type, name);
    } else {
      g = byType[type]!;
      if (g < 0) byType[type] = g = groupFor(type, 0);
    }
    if (count !== undefined && self !== undefined) {
      count[g]!++;
      self[g]! += size;
    }
  }
  return { names, types, keyedByName, byType, byName, unnamed };
}

/**
 * The Summary view: per constructor or type, how many objects, their own size and what they
 * retain, sorted by retained size (largest first).
 *
 * A group's retained size counts each member's retained size unless another member of the same
 * group dominates it (a linked list of `Node`s retains its tail through its head; counting both
 * would double it). Computed like DevTools, by walking the dominator tree with, per group, how far
 * the subtree of its outermost member on the current path reaches: linear time, no per-node
 * objects.
 *
 * @param data - A parsed heap graph.
 * @param dominators - Its dominator tree (from `computeDominators` or `graph.dominators`).
 * @param groups - Its node groups, when the caller has them already.
 * @returns One entry per group that has at least one object.
 *
 * @example
 * ```ts
 * const top = summarize(graph.data, graph.dominators).slice(0, 10);
 * for (const g of top) console.log(g.name, g.count, g.retainedSize);
 * ```
 */
export function summarize(data: HeapGraphData, dominators: Dominators, groups?: NodeGroups): SummaryEntry[] {
  let names: string[];
  let types: string[];
  let count: Float64Array;
  let self: Float64Array;
  let groupAt: (node: number) => number;
  if (groups === undefined) {
    const totals: GroupTotals = { count: [], self: [] };
    const table = groupTable(data, totals);
    ({ names, types } = table);
    count = Float64Array.from(totals.count);
    self = Float64Array.from(totals.self);
    const { nodeType, nodeName, nodeSelfSize } = data;
    groupAt = (node) => groupOfNode(table, nodeType, nodeName, nodeSelfSize, node);
  } else {
    ({ names, types } = groups);
    count = new Float64Array(names.length);
    self = new Float64Array(names.length);
    const { groupOf } = groups;
    countGroups(data, groupOf, count, self);
    groupAt = (node) => groupOf[node]!;
  }
  const groupCount = names.length;
  const retained = new Float64Array(groupCount);
  if (data.nodeCount > 0) retainedByGroup(data, dominators, groupAt, retained);

  const out: SummaryEntry[] = [];
  for (let g = 0; g < groupCount; g++) {
    if (count[g] === 0) continue;
    out.push({
      name: names[g]!,
      type: types[g]!,
      count: count[g]!,
      selfSize: self[g]!,
      retainedSize: retained[g]!,
    });
  }
  out.sort((a, b) => b.retainedSize - a.retainedSize || b.selfSize - a.selfSize || compare(a.name, b.name));
  return out;
}

function countGroups(
  data: HeapGraphData,
  groupOf: Int32Array,
  count: Float64Array,
  self: Float64Array,
): void {
  const { nodeCount, nodeSelfSize } = data;
  for (let n = 0; n < nodeCount; n++) {
    const g = groupOf[n]!;
    if (g < 0) continue;
    count[g]!++;
    self[g] = self[g]! + nodeSelfSize[n]!;
  }
}

/**
 * Adds to `retained` the retained size of every member no member of its group dominates.
 *
 * The dominator tree is walked in an order of its own, computed without child lists: subtree sizes
 * come from one backward pass over the DFS preorder (a dominator always comes before the nodes it
 * dominates), then each node gets the first free slot of its dominator's range, so every subtree
 * is a contiguous range of slots. In slot order, a member is outermost unless its slot falls inside
 * the range of the last outermost member of its group.
 */
function retainedByGroup(
  data: HeapGraphData,
  dominators: Dominators,
  groupAt: (node: number) => number,
  retained: Float64Array,
): void {
  const { preorder, reachableCount: n, dominatorPosition: up, retainedSize, reachable } = dominators;
  const { nodeCount, rootIndex } = data;
  const rootGroup = groupAt(rootIndex);
  if (n > 0) {
    // next[i]: first the size of i's subtree, then the next free slot in i's range, and at the
    // end the end of i's range. Both arrays are borrowed (the dominators leave one) and lent on.
    const next = borrowScratch(data, n);
    subtreeSizes(up, next);
    const slotPosition = borrowScratch(data, n);
    assignSlots(up, next, slotPosition);
    outermostMembers(groupAt, preorder, retainedSize, slotPosition, next, retained);
    lendScratch(data, next, slotPosition);
  }
  // Nodes the root does not reach hang under the root and dominate nothing: each counts unless
  // the root itself is of its group.
  if (n === nodeCount) return;
  for (let node = 0; node < nodeCount; node++) {
    if (reachable[node] === 1) continue;
    const g = groupAt(node);
    if (g >= 0 && g !== rootGroup) retained[g] = retained[g]! + retainedSize[node]!;
  }
}

function subtreeSizes(up: Uint32Array, size: Uint32Array): void {
  const n = size.length;
  size.fill(1);
  for (let i = n - 1; i >= 1; i--) size[up[i]!]! += size[i]!;
}

/**
 * Gives every position in the preorder its slot: the first free one in its dominator's range.
 * `next` comes in as subtree sizes and ends as each range's end; `slotPosition[slot]` is the
 * preorder position in that slot.
 */
function assignSlots(up: Uint32Array, next: Uint32Array, slotPosition: Uint32Array): void {
  const n = next.length;
  slotPosition[0] = 0;
  next[0] = 1;
  for (let i = 1; i < n; i++) {
    const p = up[i]!;
    const slot = next[p]!;
    next[p] = slot + next[i]!;
    next[i] = slot + 1;
    slotPosition[slot] = i;
  }
}

function outermostMembers(
  groupAt: (node: number) => number,
  preorder: Uint32Array,
  retainedSize: Float64Array,
  slotPosition: Uint32Array,
  rangeEnd: Uint32Array,
  retained: Float64Array,
): void {
  const n = slotPosition.length;
  // Per group: the end of the range of its last outermost member (0: none yet).
  const activeUntil = new Uint32Array(retained.length);
  for (let slot = 0; slot < n; slot++) {
    const i = slotPosition[slot]!;
    const node = preorder[i]!;
    const g = groupAt(node);
    if (g < 0 || slot < activeUntil[g]!) continue;
    retained[g] = retained[g]! + retainedSize[node]!;
    activeUntil[g] = rangeEnd[i]!;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
