import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A source file as people read it: `file://` URLs as paths, relative to the working directory when inside it. */
export function displayFile(file: string): string {
  let path = file;
  if (file.startsWith('file://')) {
    try {
      path = fileURLToPath(file);
    } catch {
      return file;
    }
  }
  if (!isAbsolute(path)) return path;
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** Bytes for people: `512 B`, `1.1 MiB`, `3.4 GiB` (one decimal below 100). */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const abs = Math.abs(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = abs;
  // 1023.95 and up prints as 1024 at one decimal: the next unit reads better.
  while (v >= 1023.95 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 ? String(Math.round(v)) : v < 100 ? v.toFixed(1) : String(Math.round(v));
  return `${n < 0 ? '-' : ''}${text} ${units[u]}`;
}

/** A count with thousands separators; two significant digits below 10. */
export function count(n: number): string {
  if (!Number.isFinite(n)) return '?';
  if (Number.isInteger(n) || Math.abs(n) >= 10) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(2)).toString();
}

/** Seconds, minutes or hours for a duration in ms. */
export function duration(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * A sparkline of `values` at most `width` characters wide: each character the mean of its bucket,
 * scaled between the series' minimum and maximum.
 */
export function sparkline(values: readonly number[], width: number): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '';
  const buckets = Math.min(width, finite.length);
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * finite.length) / buckets);
    const to = Math.max(from + 1, Math.floor(((b + 1) * finite.length) / buckets));
    let sum = 0;
    for (let i = from; i < to; i++) sum += finite[i]!;
    out.push(sum / (to - from));
  }
  const lo = Math.min(...out);
  const hi = Math.max(...out);
  return out
    .map(
      (v) => BARS[hi > lo ? Math.min(BARS.length - 1, Math.floor(((v - lo) / (hi - lo)) * BARS.length)) : 0],
    )
    .join('');
}

/** Cuts `text` to `width` characters with an ellipsis. */
export function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Pads `text` with spaces to `width`. */
export function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}
