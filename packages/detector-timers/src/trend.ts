import type { DetectorContext, TrendClassification } from '@leakkit/core';

/** A gauge against the work (iterations) or the clock, with the samples where both were read. */
export interface GaugeTrend {
  /** The three-way verdict and the numbers behind it; slope in units per iteration or per ms. */
  trend: TrendClassification;
  /** What the slope is per. */
  per: 'iteration' | 'ms';
  /** The gauge's newest finite value. */
  latest: number;
  /** The values the verdict was computed on, oldest first. */
  values: number[];
}

// Fewer samples than this say nothing: classifyTrend needs 12 for `leak` with its defaults anyway.
const MIN_SAMPLES = 6;

/**
 * Classifies gauge `name` against the `iterations` gauge when the session records one (under
 * `checkBounded` or a test), else against the sample times.
 */
export function gaugeTrend(ctx: DetectorContext, name: string): GaugeTrend | undefined {
  const ys = ctx.gauges.series(name);
  if (ys === undefined) return undefined;
  const iterations = ctx.gauges.series('iterations');
  const times = ctx.gauges.times();
  const pick = (axis: Float64Array | undefined) => {
    const xs: number[] = [];
    const values: number[] = [];
    if (axis === undefined) return { xs, values };
    for (let i = 0; i < ys.length; i++) {
      const x = axis[i]!;
      const y = ys[i]!;
      // A clock or counter that went back (a new series, a reset) would break Mann–Kendall's order.
      if (Number.isFinite(x) && Number.isFinite(y) && (xs.length === 0 || x >= xs[xs.length - 1]!)) {
        xs.push(x);
        values.push(y);
      }
    }
    return { xs, values };
  };
  let per: GaugeTrend['per'] = 'iteration';
  let picked = pick(iterations);
  if (picked.values.length < MIN_SAMPLES) {
    per = 'ms';
    picked = pick(times);
  }
  if (picked.values.length < MIN_SAMPLES) return undefined;
  const trend = ctx.stats.classifyTrend(picked.values, { xs: picked.xs });
  return { trend, per, latest: picked.values[picked.values.length - 1]!, values: picked.values };
}

/** `leak` when the verdict is sure, `warning` while it is still building up. */
export function severityOf(confidence: number): 'leak' | 'warning' {
  return confidence >= 0.9 ? 'leak' : 'warning';
}

/** 12,345 / 1.5 / 0.25: counts and rates for a title. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 || Number.isInteger(n) ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** 3.9 MiB / 812 B. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** "+1 per iteration" / "+120 per minute". */
export function formatRate(slope: number, per: GaugeTrend['per']): string {
  return per === 'iteration'
    ? `+${formatNumber(slope)} per iteration`
    : `+${formatNumber(slope * 60_000)} per minute`;
}

/**
 * A label as a pattern: runs of digits and long hex ids become `#`, so labels made per call
 * (`req-8812`) group together and ids do not end up in a report; capped at 40 characters.
 */
export function labelPattern(label: string): string {
  const p = label
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '#')
    .replace(/\b[0-9a-f]{12,}\b/gi, '#')
    .replace(/\d+/g, '#');
  return p.length > 40 ? `${p.slice(0, 37)}...` : p;
}

/** The most frequent label patterns among `labels`, at most `top`, with their share. */
export function dominantLabels(
  labels: Iterable<string>,
  top = 3,
  limit = 200_000,
): { name: string; count: number; share: number }[] {
  const counts = new Map<string, number>();
  let total = 0;
  for (const label of labels) {
    if (total++ >= limit) break;
    const p = labelPattern(label);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, count]) => ({ name, count, share: count / Math.max(1, Math.min(total, limit)) }));
}
