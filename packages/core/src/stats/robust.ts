/**
 * Order statistics on scratch buffers. Every function here takes `ArrayLike<number>` (a
 * `Float64Array`, a plain array, a gauge series) and never reorders its input: values are copied
 * into a module-level scratch buffer that is reused between calls, so a detector calling `median`
 * on every check allocates nothing once the buffer has grown to its series length.
 */

/** A numeric series: `number[]`, `Float64Array` or any other array-like of numbers. */
export type NumberSeries = ArrayLike<number>;

// Scratch buffers are kept only up to this many values (1 MiB): a one-off call on a huge series
// allocates a temporary buffer instead of pinning megabytes for the life of the process.
const MAX_RETAINED = 131_072;

const scratch: Float64Array[] = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];

/**
 * Scratch buffer `slot` with room for `n` values. Slots are separate so a function can hold one
 * buffer while calling another that uses a different slot; callers must not nest the same slot.
 * @internal
 */
export function scratchBuffer(slot: 0 | 1 | 2, n: number): Float64Array {
  const current = scratch[slot]!;
  if (current.length >= n) return current;
  if (n > MAX_RETAINED) return new Float64Array(n);
  let size = current.length;
  while (size < n) size *= 2;
  const grown = new Float64Array(Math.min(size, MAX_RETAINED));
  scratch[slot] = grown;
  return grown;
}

/**
 * Rearranges `a[lo..hi]` (inclusive) so that `a[k]` holds the value it would hold if the range were
 * sorted, with nothing larger before it and nothing smaller after it (Hoare's selection with a
 * median-of-three pivot: expected O(n), no allocation).
 * @internal
 */
export function select(a: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot keeps sorted and reversed input (common in trends) linear.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Median of `a[0..n)` in place (reorders it). Even counts average the two middle values.
 * @internal
 */
export function medianInPlace(a: Float64Array, n: number): number {
  if (n === 0) return Number.NaN;
  const k = n >>> 1;
  select(a, 0, n - 1, k);
  const upper = a[k]!;
  if (n % 2 === 1) return upper;
  // After selection everything left of k is ≤ a[k]: the lower middle is their maximum.
  let lower = a[0]!;
  for (let i = 1; i < k; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

/** Copies the finite values of `values` into scratch slot `slot`; returns how many there were. */
function copyFinite(values: NumberSeries, slot: 0 | 1 | 2): { buffer: Float64Array; n: number } {
  const buffer = scratchBuffer(slot, values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) buffer[n++] = v;
  }
  return { buffer, n };
}

/**
 * The median of a series. Non-finite values (`NaN` for a gauge that was not read at a sample,
 * `Infinity`) are skipped; an empty series has median `NaN`. Runs in expected O(n) and does not
 * reorder the input.
 *
 * @param values - the series.
 * @returns the middle value, or the mean of the two middle values for an even count.
 *
 * @example
 * ```ts
 * import { median } from '@leakkit/core';
 * median([3, 1, 2]);        // 2
 * median([4, 1, 3, 2]);     // 2.5
 * median([1, NaN, 3]);      // 2
 * ```
 */
export function median(values: NumberSeries): number {
  const { buffer, n } = copyFinite(values, 1);
  return medianInPlace(buffer, n);
}

/**
 * Median absolute deviation from the median: a spread measure that, unlike the standard deviation,
 * half the values can be outliers without moving much. Multiply by 1.4826 to estimate the standard
 * deviation of normal noise (or pass `scale: 'normal'`). Non-finite values are skipped; an empty
 * series gives `NaN`.
 *
 * @param values - the series.
 * @param scale - `'raw'` (the MAD itself) or `'normal'` (× 1.4826, consistent with σ for normal data).
 * @defaultValue scale `'raw'`
 * @returns the median of |x − median(x)|.
 *
 * @example
 * ```ts
 * import { mad } from '@leakkit/core';
 * mad([1, 2, 3, 4, 100]);            // 1
 * mad([1, 2, 3, 4, 100], 'normal');  // 1.4826
 * ```
 */
export function mad(values: NumberSeries, scale: 'raw' | 'normal' = 'raw'): number {
  const { buffer, n } = copyFinite(values, 1);
  const m = medianInPlace(buffer, n);
  // The median only needs the multiset, so the reordered buffer is as good as the input.
  for (let i = 0; i < n; i++) buffer[i] = Math.abs(buffer[i]! - m);
  const d = medianInPlace(buffer, n);
  return scale === 'normal' ? d * 1.4826 : d;
}
