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
 * Lends `arrays` for later passes over `data`. The caller must hold no other reference it will
 * use again, and none of them may share memory with anything that stays in use.
 *
 * @internal
 */
export function lendScratch(data: HeapGraphData, ...arrays: Uint32Array[]): void {
  let refs = spares.get(data);
  if (refs === undefined) {
    refs = [];
    spares.set(data, refs);
  }
  // Whole buffers: a later pass may need a little more than the lender used.
  for (const a of arrays) refs.push(new WeakRef(new Uint32Array(a.buffer, 0, a.buffer.byteLength >>> 2)));
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
        return array.subarray(0, length);
      }
    }
  }
  return new Uint32Array(length);
}
