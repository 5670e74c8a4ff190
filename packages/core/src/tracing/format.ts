/**
 * Number formatting that reads exactly like Python's tracemalloc, so that people who know its output
 * (and scripts that parse it) read ours the same way.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * `x.toFixed(digits)` with C `printf` rounding. `toFixed` rounds an exact tie away from zero
 * (`(2.5).toFixed(0) === '3'`) while CPython's `'%.0f'` rounds it to even (`'2'`); ties are exact
 * binary values (`24.5`, `0.25`), which averages such as 49 B / 2 produce.
 */
export function formatFixed(x: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = Math.abs(x) * scale;
  const floor = Math.floor(scaled);
  if (scaled - floor === 0.5 && floor % 2 === 0 && Number.isSafeInteger(floor)) {
    // A true tie (the subtraction is exact for these magnitudes): round down to the even neighbour.
    const s = (floor / scale).toFixed(digits);
    return x < 0 ? `-${s}` : s;
  }
  return x.toFixed(digits);
}

/**
 * Formats a byte count like tracemalloc's `_format_size`: `24 B`, `57.5 KiB`, `7252 KiB`. Three
 * significant digits below 100 of a unit, up to five digits otherwise; `sign` adds `+` to
 * non-negative values (`+0 B`).
 *
 * @param size - Bytes; fractions are allowed (averages).
 * @param sign - Whether to always print a sign.
 * @returns The formatted size.
 * @example
 * ```ts
 * formatSize(7426048, true) // '+7252 KiB'
 * ```
 */
export function formatSize(size: number, sign = false): string {
  let value = size;
  for (const unit of UNITS) {
    if (Math.abs(value) < 100 && unit !== 'B') return `${signed(formatFixed(value, 1), sign)} ${unit}`;
    if (Math.abs(value) < 10 * 1024 || unit === 'TiB')
      return `${signed(formatFixed(value, 0), sign)} ${unit}`;
    value /= 1024;
  }
  /* c8 ignore next: the loop always returns at TiB */
  return `${size} B`;
}

function signed(text: string, sign: boolean): string {
  return sign && !text.startsWith('-') ? `+${text}` : text;
}

/** `%i` of a count: truncation towards zero, like Python's `'%i' % x`. */
export function formatCount(count: number, sign = false): string {
  const n = Math.trunc(count);
  const text = String(Object.is(n, -0) ? 0 : n);
  return sign && n >= 0 ? `+${text}` : text;
}
