/** Bytes for people: `512 B`, `1.1 MiB`, `3.4 GiB` (one decimal below 100). */
export function formatBytes(n: number): string {
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

/** A duration for people, rounded: `~45 s`, `~12 min`, `~3.5 h`, `~3.2 days`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  const s = ms / 1000;
  if (s < 90) return `~${Math.max(1, Math.round(s))} s`;
  const min = s / 60;
  if (min < 90) return `~${Math.round(min)} min`;
  const h = min / 60;
  if (h < 36) return `~${h < 10 ? h.toFixed(1) : Math.round(h)} h`;
  const d = h / 24;
  return `~${d < 10 ? d.toFixed(1) : Math.round(d)} days`;
}

/** A count for people: integers with separators, else two significant digits. */
export function formatCount(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (Math.abs(n) >= 10) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(2)).toString();
}
