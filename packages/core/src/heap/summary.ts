import type { HeapGraphData } from './data.js';
import type { Dominators } from './dominators.js';

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
  const { nodeCount, nodeType, nodeName, nodeSelfSize, nodeTypeNames, strings } = data;
  const groupOf = new Int32Array(nodeCount);
  const names: string[] = [];
  const types: string[] = [];
  // Group of each node type, and of each name string for objects; -1 until first seen. Typed
  // arrays instead of a Map: this runs once per node on graphs of tens of millions.
  const byType = new Int32Array(nodeTypeNames.length).fill(-1);
  const byName = new Int32Array(strings.count).fill(-1);
  const keyedByName = new Uint8Array(nodeTypeNames.length);
  nodeTypeNames.forEach((t, i) => {
    keyedByName[i] = t === 'object' || t === 'native' ? 1 : 0;
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
      byDisplayName.set(display, g);
    }
    return g;
  };
  for (let n = 0; n < nodeCount; n++) {
    if (nodeSelfSize[n] === 0) {
      groupOf[n] = -1;
      continue;
    }
    const type = nodeType[n]!;
    if (keyedByName[type]) {
      const name = nodeName[n]!;
      let g = name < byName.length ? byName[name]! : -1;
      if (g < 0) {
        g = groupFor(type, name);
        if (name < byName.length) byName[name] = g;
      }
      groupOf[n] = g;
    } else {
      let g = byType[type] ?? -1;
      if (g < 0) {
        g = groupFor(type, 0);
        if (type < byType.length) byType[type] = g;
      }
      groupOf[n] = g;
    }
  }
  return { groupOf, names, types };
}

// Marks a stack entry as "leave this node". Node indices stay far below 2^31 (a snapshot that
// size would need tens of GB of typed arrays), so the top bit is free.
const EXIT = 0x80000000;

/**
 * The Summary view: per constructor or type, how many objects, their own size and what they
 * retain, sorted by retained size (largest first).
 *
 * A group's retained size counts each member's retained size unless another member of the same
 * group dominates it (a linked list of `Node`s retains its tail through its head; counting both
 * would double it). Computed like DevTools, in one walk of the dominator tree that keeps, per
 * group, how many members are on the current root-to-node path: linear time, no per-node objects.
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
export function summarize(
  data: HeapGraphData,
  dominators: Dominators,
  groups: NodeGroups = groupNodes(data),
): SummaryEntry[] {
  const { nodeCount, nodeSelfSize, rootIndex } = data;
  const { idom, retainedSize } = dominators;
  const { groupOf, names, types } = groups;
  const groupCount = names.length;
  const count = new Float64Array(groupCount);
  const self = new Float64Array(groupCount);
  const retained = new Float64Array(groupCount);
  for (let n = 0; n < nodeCount; n++) {
    const g = groupOf[n]!;
    if (g < 0) continue;
    count[g]!++;
    self[g] = self[g]! + nodeSelfSize[n]!;
  }

  if (nodeCount > 0) {
    // Children of every node in the dominator tree (CSR, by counting sort on idom). Unreachable
    // nodes hang under the root, where idom puts them; they dominate nothing.
    const firstChild = new Uint32Array(nodeCount + 1);
    for (let n = 0; n < nodeCount; n++) if (n !== rootIndex) firstChild[idom[n]!]!++;
    let sum = 0;
    for (let n = 0; n < nodeCount; n++) {
      sum += firstChild[n]!;
      firstChild[n] = sum;
    }
    firstChild[nodeCount] = sum;
    const children = new Uint32Array(sum);
    for (let n = nodeCount - 1; n >= 0; n--) if (n !== rootIndex) children[--firstChild[idom[n]!]!] = n;

    // Depth-first over the tree with an explicit stack; an entry with the EXIT bit set closes a
    // member that opened its group on the way down.
    const active = new Uint32Array(groupCount);
    // The stack holds unvisited children and at most one EXIT per visited node on the current
    // path: never more than nodeCount entries in all.
    const stack = new Uint32Array(nodeCount + 1);
    let sp = 0;
    stack[sp++] = rootIndex;
    while (sp > 0) {
      const entry = stack[--sp]!;
      if (entry >= EXIT) {
        active[groupOf[entry - EXIT]!]!--;
        continue;
      }
      const g = groupOf[entry]!;
      const begin = firstChild[entry]!;
      const end = firstChild[entry + 1]!;
      if (g >= 0 && active[g] === 0) {
        retained[g] = retained[g]! + retainedSize[entry]!;
        if (begin !== end) {
          active[g] = 1;
          stack[sp++] = entry + EXIT;
        }
      }
      for (let c = begin; c < end; c++) stack[sp++] = children[c]!;
    }
  }

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

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
