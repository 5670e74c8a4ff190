import { describeValue, invalidOption, LeakkitError } from '../errors.js';
import type { HeapGraphData } from './data.js';
import type { HeapGraph } from './graph.js';
import type { NodeGroups } from './summary.js';
import { groupNodes } from './summary.js';

/** Options of {@link diffHeaps}. */
export interface DiffHeapsOptions {
  /**
   * How many object ids each group lists in `addedIds` / `removedIds` (the smallest ids, that
   * is the oldest objects, first). All of them stay reachable through `HeapDiff.addedNodeIds()`.
   * @default 100
   */
  maxIdsPerGroup?: number;
}

/** One constructor or type in a {@link HeapDiff}. */
export interface HeapDiffGroup {
  /** Group name, as in the Summary: a class name, `(string)`, `(closure)`, `(system)`, … */
  name: string;
  /** V8 node type of the group's members. */
  type: string;
  /** Objects in `after` whose id `before` does not hold. */
  added: number;
  /** Objects in `before` whose id `after` does not hold (freed). */
  removed: number;
  /** Objects present in both, in this group in both. */
  surviving: number;
  /** Self size of the added objects, in bytes. */
  addedSize: number;
  /** Self size of the removed objects, in bytes. */
  removedSize: number;
  /** added - removed. */
  countDelta: number;
  /** addedSize - removedSize. */
  sizeDelta: number;
  /** Ids of the first added objects, ascending, at most `maxIdsPerGroup`. */
  addedIds: number[];
  /** Ids of the first removed objects, ascending, at most `maxIdsPerGroup`. */
  removedIds: number[];
}

/** The totals over all groups of a {@link HeapDiff}. */
export interface HeapDiffTotals {
  added: number;
  removed: number;
  surviving: number;
  addedSize: number;
  removedSize: number;
  countDelta: number;
  sizeDelta: number;
}

/** What changed between two heap snapshots of one process, per constructor or type. */
export interface HeapDiff {
  /** Groups with at least one added or removed object, largest `sizeDelta` first. */
  groups: HeapDiffGroup[];
  /** Sums over every group. */
  totals: HeapDiffTotals;
  /**
   * Every added object's id, ascending; only the ones of group `name` when given.
   * @param name - A group name as in `groups[i].name`.
   */
  addedNodeIds(name?: string): Uint32Array;
  /**
   * Every removed object's id, ascending; only the ones of group `name` when given.
   * @param name - A group name as in `groups[i].name`.
   */
  removedNodeIds(name?: string): Uint32Array;
}

/**
 * Compares two heap graphs of the same process by V8 object id (ids are stable between
 * snapshots of one process): per constructor or type, the objects that are new in `after`, those
 * freed since `before` and those that survived — DevTools' Comparison view, node-memwatch's
 * HeapDiff. An object whose group changed between the two (its class was renamed, say) counts as
 * removed from the old group and added to the new one, as in DevTools. Objects with self size 0
 * (roots, synthetic nodes) are left out, as in the Summary.
 *
 * Ids are matched by sorting both graphs' nodes by id (V8's node order is almost id order: one
 * scan, a radix sort of the few outliers, a merge) and merging the two sorted sequences: typed
 * arrays only, no Map or Set, which give out past 16.7 M entries.
 *
 * @param before - The earlier snapshot.
 * @param after - The later snapshot of the same process.
 * @param options - See {@link DiffHeapsOptions}.
 * @returns The diff.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_ARGUMENT` when a graph is not a HeapGraph,
 *   `ERR_LEAKKIT_INVALID_OPTION` for a bad `maxIdsPerGroup`.
 *
 * @example
 * ```ts
 * const diff = diffHeaps(before, after);
 * const sessions = diff.groups.find((g) => g.name === 'Session');
 * console.log(`${sessions?.added ?? 0} new Session objects`, diff.addedNodeIds('Session'));
 * ```
 */
export function diffHeaps(before: HeapGraph, after: HeapGraph, options: DiffHeapsOptions = {}): HeapDiff {
  const maxIds = options.maxIdsPerGroup ?? 100;
  if (!Number.isInteger(maxIds) || maxIds < 0) {
    throw invalidOption('maxIdsPerGroup', 'a non-negative integer', options.maxIdsPerGroup);
  }
  for (const [name, graph] of [
    ['before', before],
    ['after', after],
  ] as const) {
    if (!(graph?.data?.nodeId instanceof Uint32Array)) {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_ARGUMENT',
        `Expected \`${name}\` to be a HeapGraph, got \`${describeValue(graph)}\``,
      );
    }
  }
  const a = before.data;
  const b = after.data;
  const groupsA = groupNodes(a);
  const groupsB = groupNodes(b);

  // One group table for both graphs, keyed by display name (string indices differ per snapshot).
  const names: string[] = [];
  const types: string[] = [];
  const byName = new Map<string, number>();
  const merge = (groups: NodeGroups): Int32Array => {
    const map = new Int32Array(groups.names.length);
    groups.names.forEach((name, i) => {
      let g = byName.get(name);
      if (g === undefined) {
        g = names.length;
        names.push(name);
        types.push(groups.types[i]!);
        byName.set(name, g);
      }
      map[i] = g;
    });
    return map;
  };
  const mapA = merge(groupsA);
  const mapB = merge(groupsB);
  const groupCount = names.length;

  const sortedA = sortById(a, groupsA.groupOf);
  const sortedB = sortById(b, groupsB.groupOf);

  const added = new Float64Array(groupCount);
  const removedCounts = new Float64Array(groupCount);
  const surviving = new Float64Array(groupCount);
  const addedSize = new Float64Array(groupCount);
  const removedSize = new Float64Array(groupCount);
  const addedList = new IdList();
  const removedList = new IdList();

  // Merge the two id-sorted sequences: ids read sequentially, node data only where needed.
  const idsA = sortedA.ids;
  const idsB = sortedB.ids;
  const nodesA = sortedA.nodes;
  const nodesB = sortedB.nodes;
  const sizeA = a.nodeSelfSize;
  const sizeB = b.nodeSelfSize;
  const groupOfA = groupsA.groupOf;
  const groupOfB = groupsB.groupOf;
  const lengthA = idsA.length;
  const lengthB = idsB.length;
  let i = 0;
  let j = 0;
  while (i < lengthA || j < lengthB) {
    // -1 past the end: ids are at most 2^32 - 1, so compare as "exhausted" explicitly.
    const idA = i < lengthA ? idsA[i]! : -1;
    const idB = j < lengthB ? idsB[j]! : -1;
    if (idB === -1 || (idA !== -1 && idA < idB)) {
      const na = nodesA[i]!;
      const g = mapA[groupOfA[na]!]!;
      removedCounts[g]!++;
      removedSize[g] = removedSize[g]! + sizeA[na]!;
      removedList.push(idA, g);
      i++;
    } else if (idA === -1 || idB < idA) {
      const nb = nodesB[j]!;
      const g = mapB[groupOfB[nb]!]!;
      added[g]!++;
      addedSize[g] = addedSize[g]! + sizeB[nb]!;
      addedList.push(idB, g);
      j++;
    } else {
      const na = nodesA[i]!;
      const nb = nodesB[j]!;
      const ga = mapA[groupOfA[na]!]!;
      const gb = mapB[groupOfB[nb]!]!;
      if (ga === gb) surviving[ga]!++;
      else {
        removedCounts[ga]!++;
        removedSize[ga] = removedSize[ga]! + sizeA[na]!;
        removedList.push(idA, ga);
        added[gb]!++;
        addedSize[gb] = addedSize[gb]! + sizeB[nb]!;
        addedList.push(idB, gb);
      }
      i++;
      j++;
    }
  }

  const groups: HeapDiffGroup[] = [];
  const totals: HeapDiffTotals = {
    added: 0,
    removed: 0,
    surviving: 0,
    addedSize: 0,
    removedSize: 0,
    countDelta: 0,
    sizeDelta: 0,
  };
  for (let g = 0; g < groupCount; g++) {
    totals.added += added[g]!;
    totals.removed += removedCounts[g]!;
    totals.surviving += surviving[g]!;
    totals.addedSize += addedSize[g]!;
    totals.removedSize += removedSize[g]!;
    if (added[g] === 0 && removedCounts[g] === 0) continue;
    groups.push({
      name: names[g]!,
      type: types[g]!,
      added: added[g]!,
      removed: removedCounts[g]!,
      surviving: surviving[g]!,
      addedSize: addedSize[g]!,
      removedSize: removedSize[g]!,
      countDelta: added[g]! - removedCounts[g]!,
      sizeDelta: addedSize[g]! - removedSize[g]!,
      addedIds: added[g] === 0 ? [] : addedList.first(g, maxIds),
      removedIds: removedCounts[g] === 0 ? [] : removedList.first(g, maxIds),
    });
  }
  totals.countDelta = totals.added - totals.removed;
  totals.sizeDelta = totals.addedSize - totals.removedSize;
  groups.sort(
    (x, y) => y.sizeDelta - x.sizeDelta || y.countDelta - x.countDelta || (x.name < y.name ? -1 : 1),
  );

  return {
    groups,
    totals,
    addedNodeIds: (name?: string) => addedList.select(name === undefined ? -1 : (byName.get(name) ?? -2)),
    removedNodeIds: (name?: string) => removedList.select(name === undefined ? -1 : (byName.get(name) ?? -2)),
  };
}

/**
 * Ids with their group, in two typed arrays that double as they fill: a diff of two snapshots
 * a minute apart adds a few thousand objects, not a copy of the whole heap.
 */
class IdList {
  ids = new Uint32Array(1024);
  groups = new Uint32Array(1024);
  length = 0;

  push(id: number, group: number): void {
    if (this.length === this.ids.length) {
      const ids = new Uint32Array(this.length * 2);
      ids.set(this.ids);
      this.ids = ids;
      const groups = new Uint32Array(this.length * 2);
      groups.set(this.groups);
      this.groups = groups;
    }
    this.ids[this.length] = id;
    this.groups[this.length++] = group;
  }

  /** The first `cap` ids of group `g`. */
  first(g: number, cap: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.length && out.length < cap; k++)
      if (this.groups[k] === g) out.push(this.ids[k]!);
    return out;
  }

  /** All ids of group `g` (-1: every group; -2: none). */
  select(g: number): Uint32Array {
    if (g === -1) return this.ids.slice(0, this.length);
    let n = 0;
    for (let k = 0; k < this.length; k++) if (this.groups[k] === g) n++;
    const out = new Uint32Array(n);
    n = 0;
    for (let k = 0; k < this.length; k++) if (this.groups[k] === g) out[n++] = this.ids[k]!;
    return out;
  }
}

/**
 * Node indices sorted by V8 object id, for the nodes a summary counts (`groupOf >= 0`): one
 * scan takes the ascending run V8's node order almost is, a radix sort handles the rest, a
 * merge joins them. O(n), typed arrays only.
 *
 * @param data - A parsed heap graph.
 * @param groupOf - From `groupNodes`; nodes with -1 are left out. Omit to sort every node.
 * @returns Node indices, ascending by `data.nodeId`.
 *
 * @example
 * ```ts
 * const order = nodesSortedById(graph.data);
 * const smallestId = graph.data.nodeId[order[0]!];
 * ```
 */
export function nodesSortedById(data: HeapGraphData, groupOf?: Int32Array): Uint32Array {
  return sortById(data, groupOf).nodes;
}

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;

/**
 * Sorts (id, node index) pairs by id. V8 writes nodes almost in id order (a 4 M-node snapshot
 * had 5 inversions, all among the synthetic roots), so: one scan splits the nodes into the
 * longest greedy ascending run and the outliers, only the outliers are radix sorted, and one
 * merge joins the two. Sequential passes only; O(n) whatever the order, since an adversarial
 * order just makes the outliers the whole graph.
 */
function sortById(data: HeapGraphData, groupOf?: Int32Array): { ids: Uint32Array; nodes: Uint32Array } {
  const { nodeCount, nodeId } = data;
  // Pass 1: sizes of the run and of the outliers.
  let runLength = 0;
  let outLength = 0;
  let last = -1;
  for (let n = 0; n < nodeCount; n++) {
    if (groupOf && groupOf[n]! < 0) continue;
    const id = nodeId[n]!;
    if (id >= last) {
      runLength++;
      last = id;
    } else outLength++;
  }
  const runIds = new Uint32Array(runLength);
  const runNodes = new Uint32Array(runLength);
  const outIds = new Uint32Array(outLength);
  const outNodes = new Uint32Array(outLength);
  // Pass 2: the same split, filled in.
  let r = 0;
  let o = 0;
  last = -1;
  for (let n = 0; n < nodeCount; n++) {
    if (groupOf && groupOf[n]! < 0) continue;
    const id = nodeId[n]!;
    if (id >= last) {
      runIds[r] = id;
      runNodes[r++] = n;
      last = id;
    } else {
      outIds[o] = id;
      outNodes[o++] = n;
    }
  }
  if (outLength === 0) return { ids: runIds, nodes: runNodes };
  const sortedOut = radixSortPairs(outIds, outNodes);
  const sortedOutIds = sortedOut.keys;
  const sortedOutNodes = sortedOut.vals;
  const length = runLength + outLength;
  const ids = new Uint32Array(length);
  const nodes = new Uint32Array(length);
  r = 0;
  o = 0;
  for (let k = 0; k < length; k++) {
    if (o >= outLength || (r < runLength && runIds[r]! <= sortedOutIds[o]!)) {
      ids[k] = runIds[r]!;
      nodes[k] = runNodes[r++]!;
    } else {
      ids[k] = sortedOutIds[o]!;
      nodes[k] = sortedOutNodes[o++]!;
    }
  }
  return { ids, nodes };
}

/**
 * LSD radix sort of Uint32 keys with Uint32 values: passes of 11 bits (2048 buckets, whose
 * write cursors stay in cache), the key carried with the value so every pass reads
 * sequentially; a pass whose digit is the same for every key is skipped. Stable.
 */
function radixSortPairs(keysIn: Uint32Array, valsIn: Uint32Array): { keys: Uint32Array; vals: Uint32Array } {
  const length = keysIn.length;
  let keys: Uint32Array = keysIn;
  let vals: Uint32Array = valsIn;
  let keysOut: Uint32Array = new Uint32Array(length);
  let valsOut: Uint32Array = new Uint32Array(length);
  const count = new Uint32Array(BUCKETS);
  for (let shift = 0; shift < 32; shift += DIGIT_BITS) {
    count.fill(0);
    for (let i = 0; i < length; i++) count[(keys[i]! >>> shift) & (BUCKETS - 1)]!++;
    if (count[(keys[0]! >>> shift) & (BUCKETS - 1)] === length) continue;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = count[b]!;
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < length; i++) {
      const key = keys[i]!;
      const slot = count[(key >>> shift) & (BUCKETS - 1)]!++;
      keysOut[slot] = key;
      valsOut[slot] = vals[i]!;
    }
    [keys, keysOut] = [keysOut, keys];
    [vals, valsOut] = [valsOut, vals];
  }
  return { keys, vals };
}
