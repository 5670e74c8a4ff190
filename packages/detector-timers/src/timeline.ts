import type { DetectorContext, Finding, FindingGrowth } from '@leakkit/core';
import type { ResolvedTimersOptions } from './options.js';
import {
  dominantLabels,
  formatNumber,
  formatRate,
  type GaugeTrend,
  gaugeTrend,
  labelPattern,
  severityOf,
} from './trend.js';
import type { SiteCount, TimerWatch } from './wrap.js';

/** Gauge names this detector watches. */
export const GAUGE = {
  active: 'timers:active',
  site: (key: string) => `timers:timeout:${key}`,
  perf: (type: PerfType) => `timers:perf:${type}`,
  consoleTime: 'timers:console.time',
} as const;

export type PerfType = 'mark' | 'measure';
export const PERF_TYPES: readonly PerfType[] = ['mark', 'measure'];

// Bytes one entry keeps, measured on Node 20–24 (V8-NOTES): a Timeout without its callback, a
// PerformanceMark, a console.time label.
const TIMEOUT_BYTES = 150;
const PERF_ENTRY_BYTES = 114;
const CONSOLE_LABEL_BYTES = 132;

/** Node's warning threshold per entry type. */
const NODE_PERF_WARNING = 1_000_001;

function growthOf(t: GaugeTrend, entryBytes: number, withBytesPerIteration: boolean): FindingGrowth {
  const growth: FindingGrowth = { count: t.latest };
  if (t.per === 'iteration') {
    growth.objectsPerIteration = t.trend.slope;
    if (withBytesPerIteration) growth.bytesPerIteration = t.trend.slope * entryBytes;
  } else growth.bytesPerMinute = t.trend.slope * 60_000 * entryBytes;
  return growth;
}

function baseName(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}

/** The live timers of one site: a finding when their count grows with the work. */
export function timeoutFindings(ctx: DetectorContext, watch: TimerWatch | undefined): Finding[] {
  if (watch === undefined) return [];
  const census = watch.census();
  const out: Finding[] = [];
  for (const name of ctx.gauges.names()) {
    if (!name.startsWith('timers:timeout:')) continue;
    const key = name.slice('timers:timeout:'.length);
    const t = gaugeTrend(ctx, name);
    if (t === undefined || t.trend.verdict !== 'leak') continue;
    const now: SiteCount | undefined = census.sites.get(key);
    if (now === undefined || now.live < 2) continue; // gone since the last sample
    const { site } = now;
    const intervals = now.intervals >= now.live / 2;
    const what = intervals ? 'Intervals' : 'Timeouts';
    const where = `${baseName(site.file)}:${site.line}`;
    const unref =
      now.unref > 0 ? ` (${formatNumber(now.unref)} unref'd, invisible to open-handle tools)` : '';
    out.push({
      id: `timers:timeout:${key}`,
      detector: 'timers',
      severity: severityOf(t.trend.confidence),
      title: `${what} created at ${where} pile up: ${formatRate(t.trend.slope, t.per)}, ${formatNumber(now.live)} live${unref}`,
      site: { file: site.file, line: site.line, column: site.column },
      growth: { ...growthOf(t, TIMEOUT_BYTES, false), count: now.live },
      confidence: t.trend.confidence,
      advice: intervals
        ? `Keep the handle and call clearInterval(handle) in the owner's close() or when the work it polls for is done; each interval keeps its callback and everything it closes over alive.${now.unref > 0 ? ' unref() only lets the process exit: the interval stays in memory.' : ''}`
        : `Call clearTimeout(handle) when the work completes (in a finally block), or use a shorter delay: each pending timeout keeps its callback and everything it closes over alive until it fires.${now.unref > 0 ? ' unref() does not free it.' : ''}`,
      evidence: {
        kind: intervals ? 'setInterval' : 'setTimeout',
        live: now.live,
        unref: now.unref,
        intervals: now.intervals,
        stack: site.stack,
        verdict: t.trend.reason,
        per: t.per,
        values: t.values,
        timeoutBytes: TIMEOUT_BYTES,
      },
    });
  }
  return out;
}

function* entryNames(entries: readonly { name: string }[]): Iterable<string> {
  for (const e of entries) yield e.name;
}

/** Reads the number of timeline entries of one type without building the unbounded getEntries(). */
export function perfEntries(type: PerfType): number {
  return performance.getEntriesByType(type).length;
}

/** `performance.mark` / `measure` entries that keep piling up, or that are already too many. */
export function perfFindings(ctx: DetectorContext, o: ResolvedTimersOptions): Finding[] {
  const out: Finding[] = [];
  for (const type of PERF_TYPES) {
    const t = gaugeTrend(ctx, GAUGE.perf(type));
    const latest = t?.latest ?? ctx.gauges.latest(GAUGE.perf(type));
    const leaking = t !== undefined && t.trend.verdict === 'leak';
    // Many entries and not going down: worth saying even before a trend is established.
    const tooMany = latest >= o.perfEntriesWarnAt && !(t !== undefined && t.trend.reason === 'decreasing');
    if (!leaking && !tooMany) continue;
    let entries: { name: string }[] = [];
    try {
      entries = performance.getEntriesByType(type);
    } catch {
      // Reading names is a nicety; the counts are the finding.
    }
    const top = dominantLabels(entryNames(entries), 3);
    const held = Math.max(entries.length, Number.isFinite(latest) ? latest : 0);
    const names = top.map((n) => `'${n.name}' (${Math.round(n.share * 100)}%)`).join(', ');
    const confidence = leaking ? t.trend.confidence : 0.5;
    const rate = leaking ? `${formatRate(t.trend.slope, t.per)}, ` : '';
    const clear = type === 'mark' ? 'clearMarks' : 'clearMeasures';
    const first = top[0]?.name;
    const growth: FindingGrowth = leaking ? growthOf(t, PERF_ENTRY_BYTES, true) : {};
    growth.count = held;
    out.push({
      id: `timers:perf:${type}`,
      detector: 'timers',
      severity: leaking ? severityOf(confidence) : 'warning',
      title: `performance.${type} entries pile up: ${rate}${formatNumber(held)} held${names ? `, most named ${names}` : ''}; Node warns at ${formatNumber(NODE_PERF_WARNING)}`,
      path: `performance.${type}`,
      growth,
      confidence,
      advice:
        `Call performance.${clear}(${first && !first.includes('#') ? `'${first}'` : 'name'}) once ${type === 'mark' ? 'a mark has been measured' : 'a measure has been read'}, or performance.${clear}() after each report: the timeline keeps every entry until it is cleared. ` +
        'For recurring timings record durations in perf_hooks.createHistogram() (fixed memory) instead.',
      evidence: {
        type,
        entries: held,
        dominant: top,
        ...(t === undefined ? {} : { verdict: t.trend.reason, per: t.per, values: t.values }),
        entryBytes: PERF_ENTRY_BYTES,
        nodeWarnsAt: NODE_PERF_WARNING,
      },
    });
  }
  return out;
}

/** `console._times`: Node's Map of labels started and not yet ended (absent on other consoles). */
export function consoleTimes(): { size: number; keys(): Iterable<string> } | undefined {
  const times = (globalThis.console as unknown as { _times?: unknown })._times;
  if (times === null || typeof times !== 'object') return undefined;
  const m = times as { size?: unknown; keys?: unknown };
  if (typeof m.size !== 'number' || typeof m.keys !== 'function') return undefined;
  return times as { size: number; keys(): Iterable<string> };
}

/** `console.time` labels that are never ended. */
export function consoleFindings(ctx: DetectorContext): Finding[] {
  const t = gaugeTrend(ctx, GAUGE.consoleTime);
  if (t === undefined || t.trend.verdict !== 'leak') return [];
  const times = consoleTimes();
  const top = times === undefined ? [] : dominantLabels(times.keys(), 3);
  const open = times?.size ?? t.latest;
  const labels = top.map((n) => `'${n.name}'`).join(', ');
  return [
    {
      id: 'timers:console.time',
      detector: 'timers',
      severity: severityOf(t.trend.confidence),
      title: `console.time labels are never ended: ${formatRate(t.trend.slope, t.per)}, ${formatNumber(open)} open${labels ? ` (labels like ${labels})` : ''}`,
      path: 'console._times',
      growth: { ...growthOf(t, CONSOLE_LABEL_BYTES, true), count: open },
      confidence: t.trend.confidence,
      advice:
        'Call console.timeEnd(label) on every path, errors included (start it in a try and end it in the finally). ' +
        'Labels made per call are never reused: for timings per request use performance.now() differences or a histogram.',
      evidence: {
        open,
        dominant: top,
        verdict: t.trend.reason,
        per: t.per,
        values: t.values,
        entryBytes: CONSOLE_LABEL_BYTES,
        pattern: top[0] === undefined ? undefined : labelPattern(top[0].name),
      },
    },
  ];
}
