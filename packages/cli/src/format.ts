// Plain-text formatting shared by the commands: sizes in binary units as the tracing output
// prints them, counts with thousands separators, and aligned columns.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `812 B`, `27.3 KiB`, `1.2 GiB`; `sign` prints `+` for positive values and `−` for negative ones. */
export function bytes(n: number, sign = false): string {
  const prefix = sign ? (n > 0 ? '+' : n < 0 ? '-' : '') : n < 0 ? '-' : '';
  let value = Math.abs(n);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit === 0 ? String(Math.round(value)) : value.toFixed(value >= 100 ? 0 : 1);
  return `${prefix}${text} ${UNITS[unit]}`;
}

/** `1,523`; `sign` prints `+` for positive values. */
export function count(n: number, sign = false): string {
  const text = Math.round(Math.abs(n)).toLocaleString('en-US');
  return `${n < 0 ? '-' : sign && n > 0 ? '+' : ''}${text}`;
}

/** `12%`, `0.4%` below 1 %. */
export function percent(share: number): string {
  const p = share * 100;
  return `${p > 0 && p < 1 ? p.toFixed(1) : Math.round(p)}%`;
}

/** Seconds with one decimal. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Aligned columns: the first column left-aligned, the others right-aligned (numbers), separated by
 * two spaces. Every row has the header's number of cells.
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  indent = '',
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
