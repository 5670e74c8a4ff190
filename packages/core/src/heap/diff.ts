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
 * Ids are matched by sorting both graphs' node indices by id (an LSD radix sort on Uint32
 * keys, two 16-bit passes) and merging: no Map or Set, which give out past 16.7 M entries.
 *
 * @param before - The earlier snapshot.
 * @param after - The later snapshot of the same process.
 * @param options - See {@link DiffHeapsOptions}.
 * @returns The diff.
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

  const orderA = nodesSortedById(a, groupsA.groupOf);
  const orderB = nodesSortedById(b, groupsB.groupOf);

  const added = new Float64Array(groupCount);
  const removed = new Float64Array(groupCount);
  const surviving = new Float64Array(groupCount);
  const addedSize = new Float64Array(groupCount);
  const removedSize = new Float64Array(groupCount);
  const addedIds = new Uint32Array(orderB.length);
  const addedGroup = new Uint32Array(orderB.length);
  const removedIds = new Uint32Array(orderA.length);
  const removedGroup = new Uint32Array(orderA.length);
  let addedCount = 0;
  let removedCount = 0;

  const idsA = a.nodeId;
  const idsB = b.nodeId;
  const sizeA = a.nodeSelfSize;
  const sizeB = b.nodeSelfSize;
  const groupOfA = groupsA.groupOf;
  const groupOfB = groupsB.groupOf;
  let i = 0;
  let j = 0;
  while (i < orderA.length || j < orderB.length) {
    const na = i < orderA.length ? orderA[i]! : -1;
    const nb = j < orderB.length ? orderB[j]! : -1;
    const idA = na >= 0 ? idsA[na]! : Number.POSITIVE_INFINITY;
    const idB = nb >= 0 ? idsB[nb]! : Number.POSITIVE_INFINITY;
    if (idA < idB) {
      const g = mapA[groupOfA[na]!]!;
      removed[g]!++;
      removedSize[g] = removedSize[g]! + sizeA[na]!;
      removedIds[removedCount] = idA;
      removedGroup[removedCount++] = g;
      i++;
    } else if (idB < idA) {
      const g = mapB[groupOfB[nb]!]!;
      added[g]!++;
      addedSize[g] = addedSize[g]! + sizeB[nb]!;
      addedIds[addedCount] = idB;
      addedGroup[addedCount++] = g;
      j++;
    } else {
      const ga = mapA[groupOfA[na]!]!;
      const gb = mapB[groupOfB[nb]!]!;
      if (ga === gb) surviving[ga]!++;
      else {
        removed[ga]!++;
        removedSize[ga] = removedSize[ga]! + sizeA[na]!;
        removedIds[removedCount] = idA;
        removedGroup[removedCount++] = ga;
        added[gb]!++;
        addedSize[gb] = addedSize[gb]! + sizeB[nb]!;
        addedIds[addedCount] = idB;
        addedGroup[addedCount++] = gb;
      }
      i++;
      j++;
    }
  }

  const firstIds = (ids: Uint32Array, group: Uint32Array, length: number, g: number, cap: number) => {
    const out: number[] = [];
    for (let k = 0; k < length && out.length < cap; k++) if (group[k] === g) out.push(ids[k]!);
    return out;
  };
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
    totals.removed += removed[g]!;
    totals.surviving += surviving[g]!;
    totals.addedSize += addedSize[g]!;
    totals.removedSize += removedSize[g]!;
    if (added[g] === 0 && removed[g] === 0) continue;
    groups.push({
      name: names[g]!,
      type: types[g]!,
      added: added[g]!,
      removed: removed[g]!,
      surviving: surviving[g]!,
      addedSize: addedSize[g]!,
      removedSize: removedSize[g]!,
      countDelta: added[g]! - removed[g]!,
      sizeDelta: addedSize[g]! - removedSize[g]!,
      addedIds: added[g] === 0 ? [] : firstIds(addedIds, addedGroup, addedCount, g, maxIds),
      removedIds: removed[g] === 0 ? [] : firstIds(removedIds, removedGroup, removedCount, g, maxIds),
    });
  }
  totals.countDelta = totals.added - totals.removed;
  totals.sizeDelta = totals.addedSize - totals.removedSize;
  groups.sort(
    (x, y) => y.sizeDelta - x.sizeDelta || y.countDelta - x.countDelta || (x.name < y.name ? -1 : 1),
  );

  const select = (ids: Uint32Array, group: Uint32Array, length: number, name: string | undefined) => {
    if (name === undefined) return ids.slice(0, length);
    const g = byName.get(name);
    if (g === undefined) return new Uint32Array(0);
    let n = 0;
    for (let k = 0; k < length; k++) if (group[k] === g) n++;
    const out = new Uint32Array(n);
    n = 0;
    for (let k = 0; k < length; k++) if (group[k] === g) out[n++] = ids[k]!;
    return out;
  };
  return {
    groups,
    totals,
    addedNodeIds: (name?: string) => select(addedIds, addedGroup, addedCount, name),
    removedNodeIds: (name?: string) => select(removedIds, removedGroup, removedCount, name),
  };
}

/**
 * Node indices sorted by V8 object id, for the nodes a summary counts (`groupOf >= 0`): an LSD
 * radix sort in two 16-bit passes over Uint32 keys, O(n), two index arrays and two 65 536-slot
 * counters. Equal ids keep their node order (the sort is stable).
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
  const { nodeCount, nodeId } = data;
  let length = 0;
  if (groupOf) {
    for (let n = 0; n < nodeCount; n++) if (groupOf[n]! >= 0) length++;
  } else length = nodeCount;
  let src = new Uint32Array(length);
  let dst = new Uint32Array(length);
  const lowCount = new Uint32Array(65_537);
  const highCount = new Uint32Array(65_537);
  let k = 0;
  let previous = -1;
  let sorted = true;
  for (let n = 0; n < nodeCount; n++) {
    if (groupOf && groupOf[n]! < 0) continue;
    src[k++] = n;
    const id = nodeId[n]!;
    if (id < previous) sorted = false;
    previous = id;
    lowCount[(id & 0xffff) + 1]!++;
    highCount[(id >>> 16) + 1]!++;
  }
  // Already in id order (synthetic graphs, some writers): nothing to do.
  if (sorted) return src;
  for (let d = 1; d <= 65_536; d++) {
    lowCount[d] = lowCount[d]! + lowCount[d - 1]!;
    highCount[d] = highCount[d]! + highCount[d - 1]!;
  }
  for (let i = 0; i < length; i++) {
    const n = src[i]!;
    dst[lowCount[nodeId[n]! & 0xffff]!++] = n;
  }
  [src, dst] = [dst, src];
  for (let i = 0; i < length; i++) {
    const n = src[i]!;
    dst[highCount[nodeId[n]! >>> 16]!++] = n;
  }
  return dst;
}
