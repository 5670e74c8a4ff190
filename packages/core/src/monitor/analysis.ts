import type { GaugeHistory } from '../detect/gauges.js';
import type { Gauges } from '../detect/types.js';
import type { MonitorForecast, MonitorTrend, RouteAttribution } from '../report/types.js';
import { robustSlope } from '../stats/slope.js';
import type { TrendClassification } from '../stats/trend.js';
import { classifyTrend } from '../stats/trend.js';
import { forecastLimit } from './forecast.js';
import { regressGrowth } from './regress.js';

/** Gauge names the monitor records. @internal */
export const GAUGE = {
  /** What the program keeps after a full GC: the heap plus external memory (ArrayBuffers). */
  heapAfterGC: 'heapAfterGC',
  /** The external part of {@link GAUGE.heapAfterGC}. */
  externalAfterGC: 'externalAfterGC',
  requests: 'requests',
  routePrefix: 'route:',
} as const;

// Routes regressed on individually; the others are summed into one column.
const MAX_ROUTE_COLUMNS = 8;
const HOUR = 3_600_000;
const MIN_ATTRIBUTION_READINGS = 20;

/** The finite readings of `series` over `from .. to - 1`, with their times. */
function finiteReadings(
  series: ArrayLike<number> | undefined,
  times: ArrayLike<number>,
  from: number,
  to: number,
): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  if (series !== undefined) {
    for (let i = from; i < to && i < series.length; i++) {
      if (Number.isFinite(series[i]!)) {
        xs.push(times[i]!);
        ys.push(series[i]!);
      }
    }
  }
  return { xs, ys };
}

/**
 * Each route's cumulative requests, from the gauges the monitor records (`route:<route>`).
 *
 * @internal
 */
export function routeCounts(gauges: Gauges): { route: string; counts: Float64Array }[] {
  const routes: { route: string; counts: Float64Array }[] = [];
  for (const name of gauges.names()) {
    if (!name.startsWith(GAUGE.routePrefix)) continue;
    const counts = gauges.series(name);
    if (counts !== undefined) routes.push({ route: name.slice(GAUGE.routePrefix.length), counts });
  }
  return routes;
}

/** The latest external bytes and their robust slope over readings `from .. to - 1` (NaN: unknown). */
function externalGrowth(
  history: GaugeHistory,
  times: ArrayLike<number>,
  from: number,
  to: number,
): { external: number; externalSlope: number } {
  const { xs, ys } = finiteReadings(history.series(GAUGE.externalAfterGC), times, from, to);
  if (xs.length < 3) return { external: ys.at(-1) ?? Number.NaN, externalSlope: Number.NaN };
  return { external: ys[ys.length - 1]!, externalSlope: robustSlope(xs, ys).slope };
}

/** What one tick's analysis concludes. */
export interface Analysis {
  /** The trend of the heap after GC (undefined before there are values). */
  trend: TrendClassification | undefined;
  /** Routes by what they explain of the growth (then by requests), the most first. */
  routes: RouteAttribution[];
  /** Routes whose coefficient is significant (at least two standard errors from 0) and explains ≥ 10%. */
  explaining: RouteAttribution[];
  /**
   * Whether the growth follows the work: no requests at all (not a server: time is the work), a
   * route that explains it, or the heap rising and falling with the total requests.
   */
  tied: boolean;
  forecast: MonitorForecast | undefined;
}

/** The trend for reports, in bytes per hour. */
export function trendSummary(t: TrendClassification): MonitorTrend {
  return {
    verdict: t.verdict,
    reason: t.reason,
    bytesPerHour: t.slope * HOUR,
    confidence: t.confidence,
    samples: t.n,
  };
}

function pearson(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 3) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/**
 * Which routes explain the heap's growth over `[from, to)` of the history: the heap-after-GC readings
 * regressed on the requests each route had served by then (see `regressGrowth`). Routes with under
 * 5% of the requests are summed into one column: a rarely hit route cannot be told apart from noise.
 * `breaks` are the times of the monitor's own heap series, each fitted as a level shift.
 * Exported for the tests. @internal
 */
export function attributeRoutes(
  times: Float64Array,
  heap: Float64Array,
  routes: { route: string; counts: Float64Array }[],
  from: number,
  to: number,
  totalGrowth?: number,
  breaks: readonly number[] = [],
): RouteAttribution[] {
  const at: number[] = [];
  for (let i = from; i < to; i++) if (Number.isFinite(heap[i]!)) at.push(i);
  if (at.length < 3) return [];
  const value = (c: Float64Array, i: number) => (Number.isFinite(c[i]!) ? c[i]! : 0);
  const first = at[0]!;
  const last = at[at.length - 1]!;
  const ranked = routes
    .map((r) => ({ ...r, requests: value(r.counts, last) - value(r.counts, first) }))
    .filter((r) => r.requests > 0)
    .sort((a, b) => b.requests - a.requests);
  if (ranked.length === 0) return [];
  const total = ranked.reduce((sum, r) => sum + r.requests, 0);
  const own = ranked.filter((r, i) => i < MAX_ROUTE_COLUMNS && r.requests >= 0.05 * total);
  const rest = ranked.filter((r) => !own.includes(r));
  const n = at.length;
  const y = new Float64Array(n);
  const t = new Float64Array(n);
  const cols = own.map(() => new Float64Array(n));
  const other = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = at[k]!;
    y[k] = heap[i]!;
    t[k] = times[i]! - times[first]!;
    own.forEach((r, c) => {
      cols[c]![k] = value(r.counts, i) - value(r.counts, first);
    });
    for (const r of rest) other[k]! += value(r.counts, i) - value(r.counts, first);
  }
  const columns = rest.length > 0 ? [...cols, other] : cols;
  // The monitor's own heap series leave a step of unknown size in the heap after GC (whatever the
  // correction for it guessed): a level shift of its own at each, with readings on both sides, so
  // the step goes to no route (not to the one that happened to be busy during the series).
  const shifts: Float64Array[] = [];
  for (const time of breaks) {
    let k = 0;
    while (k < n && times[at[k]!]! <= time) k++;
    if (k < 3 || n - k < 3) continue;
    const step = new Float64Array(n);
    step.fill(1, k);
    shifts.push(step);
  }
  // Time always has its column: growth that follows time, not requests, goes there. Under a steady
  // total rate time and the sum of the routes' requests are the same column; non-negative least
  // squares then gives a route only what its own variations in traffic explain.
  const fit = regressGrowth(y, columns, t, shifts);
  // The trend's robust rise over the window when given: the end points alone are noisy.
  const growth = totalGrowth ?? heap[last]! - heap[first]!;
  const out: RouteAttribution[] = own.map((r, c) => {
    const perRequest = fit?.perRequest[c] ?? Number.NaN;
    return {
      route: r.route,
      requests: r.requests,
      bytesPerRequest: perRequest,
      unique: fit?.unique[c] ?? Number.NaN,
      stderr: fit?.stderr[c] ?? Number.POSITIVE_INFINITY,
      share: growth > 0 && Number.isFinite(perRequest) ? Math.min(1, (perRequest * r.requests) / growth) : 0,
    };
  });
  for (const r of rest) {
    out.push({
      route: r.route,
      requests: r.requests,
      bytesPerRequest: Number.NaN,
      unique: Number.NaN,
      stderr: Number.POSITIVE_INFINITY,
      share: 0,
    });
  }
  return out.sort((a, b) => b.share - a.share || b.requests - a.requests);
}

/**
 * Whether a route explains the growth: it accounts for a tenth of the growth at least, and its
 * rate per request is three standard errors from zero both in the joint fit and in the fit on it
 * and time alone (`unique`, which the standard error is of). The joint fit may hand a route what
 * time explains as well: under steady traffic a route's requests rise with time, and when time's
 * coefficient comes out at zero the route takes the whole slope. A leak that follows time (a
 * poller, a timer) then read as one route's, whichever the noise favoured (`bench/detection`
 * `s12-poller`: `GET /quote/TECH`, +1.3 KiB per request, 92% of the growth; its own rate given time
 * −130 ± 307 B). The demo's route is named as soon as before (four runs each: 23–32 s, against
 * 21–46 s). It does not rule chance out: a count and a growth that both wander can still agree.
 */
export function explainsGrowth(r: RouteAttribution): boolean {
  return (
    r.share >= 0.1 && Number.isFinite(r.stderr) && r.bytesPerRequest > 3 * r.stderr && r.unique > 3 * r.stderr
  );
}

/**
 * The one route that stands out among those that explain the growth (largest share first): it
 * explains half of it at least, and half again as much as the next. Two that each seem to explain
 * most of it (shares adding up to well over all of it) are traffic still too alike to tell apart.
 */
export function standingOut(explaining: readonly RouteAttribution[]): RouteAttribution | undefined {
  const [first, second] = explaining;
  return first !== undefined &&
    first.share >= 0.5 &&
    (second === undefined || 1.5 * second.share <= first.share)
    ? first
    : undefined;
}

/**
 * The analysis of one tick: trend, routes, whether growth is tied to the work, forecast. `breaks`:
 * the times the monitor's heap series started (level shifts for the route regression).
 */
export function analyse(
  history: GaugeHistory,
  limits: { heap: number; cgroup: number | null },
  rss: number,
  breaks: readonly number[] = [],
): Analysis {
  const times = history.times();
  const heap = history.series(GAUGE.heapAfterGC);
  const empty: Analysis = { trend: undefined, routes: [], explaining: [], tied: false, forecast: undefined };
  if (heap === undefined) return empty;
  let finite = 0;
  for (const v of heap) if (Number.isFinite(v)) finite++;
  if (finite < 3) return empty;
  const trend = classifyTrend(heap, { xs: times });
  const from = trend.from;
  const to = heap.length;
  const routes = routeCounts(history);
  // Routes are attributed on the later two thirds of the trend's window: warm-up (a cache filling
  // with one route's traffic, JIT, lazy initialisation) is growth too, but not the kind that lasts.
  const attrFrom = to - from >= 12 ? from + Math.floor((to - from) / 3) : from;
  const { xs, ys } = finiteReadings(heap, times, attrFrom, to);
  const rise = xs.length >= 3 ? robustSlope(xs, ys).slope * (xs[xs.length - 1]! - xs[0]!) : undefined;
  const attributed = attributeRoutes(times, heap, routes, attrFrom, to, rise, breaks);
  // On enough readings that the traffic mix had time to vary (a few readings fit anything).
  const explaining = xs.length < MIN_ATTRIBUTION_READINGS ? [] : attributed.filter(explainsGrowth);
  let tied = true;
  const totals = history.series(GAUGE.requests);
  if (totals !== undefined) {
    const work: number[] = [];
    const level: number[] = [];
    for (let i = from; i < to; i++) {
      if (Number.isFinite(heap[i]!) && Number.isFinite(totals[i]!)) {
        work.push(totals[i]!);
        level.push(heap[i]!);
      }
    }
    const served = work.length > 0 ? work[work.length - 1]! - work[0]! : 0;
    if (served > 0) {
      const share = explaining.reduce((s, r) => s + r.share, 0);
      tied = share >= 0.5 || pearson(work, level) >= 0.8;
    }
  }
  let latest = Number.NaN;
  for (let i = heap.length - 1; i >= 0; i--) {
    if (Number.isFinite(heap[i]!)) {
      latest = heap[i]!;
      break;
    }
  }
  const forecast =
    trend.verdict === 'not-leak'
      ? undefined
      : forecastLimit({
          slope: trend.slope,
          heap: latest,
          ...externalGrowth(history, times, from, to),
          rss,
          heapLimit: limits.heap,
          cgroupLimit: limits.cgroup,
        });
  return { trend, routes: attributed, explaining, tied, forecast };
}
