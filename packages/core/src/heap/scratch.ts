import type { HeapGraphData } from './data.js';

/**
 * Spare working arrays of one graph, passed from one analysis to the next.
 *
 * The dominator tree, the summary and the retainer search each need a few Uint32Arrays of about
 * `nodeCount` entries: megabytes each on a big heap. One pass's arrays are garbage when it ends,
 * but their memory goes back to the system only when the collector gets to them; a next pass that
 * allocates its own meanwhile raises the process's peak RSS by as much. So a pass that is done
 * lends its arrays here and the next one borrows them. They are held weakly: when nothing borrows
 * them, the collector takes them back as it would have.
 */
const spares = new WeakMap<HeapGraphData, WeakRef<Uint32Array>[]>();

/**
 * Lends `arrays` for later passes over `data`; an array borrowed here goes back whole (a later pass
 * may need a little more than the lender used). The caller must hold no other reference it will
 * use again, and none of them may share memory with anything that stays in use.
 *
 * @internal
 */
export function lendScratch(data: HeapGraphData, ...arrays: Uint32Array[]): void {
  // A borrowed array goes back whole; any other is lent as it is. Never the whole of its buffer:
  // a view into a larger array shares that buffer with others, and two lent arrays on the same
  // memory would corrupt each other's passes.
  for (const a of arrays) lend(data, borrowedFrom.get(a) ?? a);
}

// Per array given out by borrowScratch (a view of the first `length` entries): the array it is a
// view of.
const borrowedFrom = new WeakMap<Uint32Array, Uint32Array>();

/**
 * Lends one large array as consecutive arrays of `length` entries: a pass that needs two arrays of a
 * node count can borrow both from one buffer of two node counts.
 *
 * @internal
 */
export function lendScratchSplit(data: HeapGraphData, array: Uint32Array, length: number): void {
  if (length <= 0) return;
  let at = 0;
  for (; at + 2 * length <= array.length; at += length) lend(data, array.subarray(at, at + length));
  lend(data, array.subarray(at));
}

function lend(data: HeapGraphData, array: Uint32Array): void {
  let refs = spares.get(data);
  if (refs === undefined) {
    refs = [];
    spares.set(data, refs);
  }
  refs.push(new WeakRef(array));
}

/**
 * A Uint32Array of `length` entries for scratch use: one lent by an earlier pass over `data`
 * (each is given out once), else a new one. Its contents are undefined.
 *
 * @internal
 */
export function borrowScratch(data: HeapGraphData, length: number): Uint32Array {
  const refs = spares.get(data);
  if (refs !== undefined) {
    for (let i = refs.length - 1; i >= 0; i--) {
      const array = refs[i]!.deref();
      if (array === undefined) refs.splice(i, 1);
      else if (array.length >= length) {
        refs.splice(i, 1);
        const view = array.subarray(0, length);
        borrowedFrom.set(view, array);
        return view;
      }
    }
  }
  return new Uint32Array(length);
}
