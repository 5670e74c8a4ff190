import type { Finding, Severity } from '../detect/types.js';
import { ASYNC_PROMISE, REACTION } from '../heap/chains.js';
import type { Growth } from '../heap/growth.js';
import { chainSite, growthAdvice, growthUnit } from '../heap/growth.js';
import type { RouteAttribution } from '../report/types.js';
import type { GrowingSite } from './allocations.js';
import type { Analysis } from './analysis.js';
import { trendSummary } from './analysis.js';
import { formatBytes, formatCount } from './format.js';

/** The monitor's own detector name; its findings have priority 0. */
export const GENERIC = 'growth';
/** Id of the generic finding about the heap as a whole. */
export const HEAP_FINDING_ID = 'growth:heap';

/** What the generic finding is built from. */
export interface GenericEvidence {
  analysis: Analysis;
  site: GrowingSite | undefined;
  /** The latest heap series' growth, and how far apart its captures were (ms). */
  growth: readonly Growth[];
  spacing: number;
  /** Why the latest capture was skipped, to say how to get a path. */
  captureSkip: string | undefined;
  /** Top allocation lines, tracemalloc style. */
  lines: string[];
  /**
   * The route the growth follows, once it has explained it for a few ticks in a row, or the route
   * the probe found executing the growing line.
   */
  route: RouteAttribution | undefined;
  /** The regression's route when the probe named another one: kept for the record. */
  regressionRoute?: RouteAttribution | undefined;
  /**
   * The probe's route when the regression's won on a line both routes run (the regression's
   * explains nearly all the growth, the probe's next to none): kept for the record.
   */
  probeRoute?: RouteAttribution | undefined;
  /** Whether the finding was raised and growth was seen recently: it stays through noisy ticks. */
  sticky: boolean;
}

function unitOf(g: Growth, n: number): string {
  if (g.unit === 'bytes') return formatBytes(n);
  const [one, many] = growthUnit(g);
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/**
 * `GET /predict: +24 B per request, explains 93% of growth`, or, found by the route probe,
 * `GET /predict: +24 B per request, executes the growing line in 200 of 200 sampled runs`.
 */
export function describeRoute(r: RouteAttribution): string {
  if (r.method === 'probe' && r.probe !== undefined) {
    const per = Number.isFinite(r.bytesPerRequest) ? `+${formatBytes(r.bytesPerRequest)} per request, ` : '';
    return `${r.route}: ${per}executes the growing line in ${r.probe.hits} of ${r.probe.sampled} sampled runs`;
  }
  return `${r.route}: +${formatBytes(r.bytesPerRequest)} per request, explains ${Math.round(r.share * 100)}% of growth`;
}

/**
 * The monitor's generic findings: the heap grows after GC (sustained, by the trend's verdict), with
 * what is known of it: the route it follows, the allocation site that keeps growing (tracing), and
 * the path that keeps it alive (a heap series); none before a site or a path names what grows. Pattern detectors that name the same path take the
 * finding over (they rank higher) and give better advice.
 */
export function genericFindings(e: GenericEvidence): Finding[] {
  const t = e.analysis.trend;
  if (t === undefined || !(t.slope > 0)) return [];
  const top = e.growth[0];
  // A leak verdict raises the finding; once raised it stays through a few noisy ticks (a maybe-leak,
  // a not-leak or two) rather than being resolved and raised again. A maybe-leak raises it only once
  // a heap series has shown what grows.
  if (t.verdict === 'not-leak' && !e.sticky) return [];
  if (t.verdict === 'maybe-leak' && top === undefined && !e.sticky) return [];
  const route = e.route;
  const perMinute = t.slope * 60_000;
  const severity: Severity = t.verdict === 'not-leak' ? 'warning' : t.verdict === 'leak' ? 'leak' : 'warning';
  const withRoute = route ? `, with ${route.route}` : '';
  const stepsPerMinute = e.spacing > 0 ? 60_000 / e.spacing : 0;

  let title: string;
  let advice: string;
  if (top !== undefined) {
    const rate =
      stepsPerMinute > 0
        ? `+${unitOf(top, top.countPerStep * stepsPerMinute)} per minute`
        : `+${unitOf(top, top.countPerStep)} per capture`;
    title =
      top.kind === 'chain' && top.name === REACTION
        ? `Reactions pile up on the promise \`${top.path}\`, which never settles: ${rate}${withRoute}`
        : top.kind === 'chain' && top.name === ASYNC_PROMISE
          ? `The async function \`${top.path}\` calls itself and never returns: a chain of its promises, ${rate}${withRoute}`
          : top.kind === 'chain'
            ? `\`${top.path}\` is a chain that keeps getting longer: ${rate}${withRoute}`
            : `\`${top.path}\` keeps growing: ${rate}${withRoute}`;
    advice = growthAdvice(top);
  } else if (e.site !== undefined) {
    title = `Memory allocated at ${e.site.site.file}:${e.site.site.line} stays alive: heap +${formatBytes(perMinute)}/min${withRoute}`;
    advice =
      `The objects allocated at ${e.site.site.file}:${e.site.site.line} are kept: find what holds them ` +
      '(a collection appended per request, a listener, a closure). To name it, let the monitor take heap snapshots' +
      (e.captureSkip !== undefined
        ? ` (skipped: ${e.captureSkip}; heapSnapshots: 'on' or a larger maxPause)`
        : '') +
      '.';
  } else {
    // A finding names what grows (a path or a site); the trend alone is in the report and samples.
    return [];
  }
  if (route) advice += ` It grows with ${describeRoute(route)}.`;

  // A trend with too few readings left can lack a confidence: it still says growth.
  let confidence = Number.isFinite(t.confidence) ? t.confidence : 0.5;
  if (e.site !== undefined) confidence += 0.1;
  if (top !== undefined) confidence += 0.2;
  const finding: Finding = {
    id: HEAP_FINDING_ID,
    detector: GENERIC,
    severity,
    title,
    growth: { bytesPerMinute: perMinute },
    confidence: Math.min(0.99, Math.max(0.01, confidence)),
    advice,
    evidence: {
      trend: trendSummary(t),
      ...(e.analysis.forecast ? { forecast: e.analysis.forecast.text } : {}),
      routes: e.analysis.routes.slice(0, 3).map((r) => ({
        route: r.route,
        requests: r.requests,
        bytesPerRequest: r.bytesPerRequest,
        share: r.share,
      })),
      ...(route ? { route: describeRoute(route), routeFoundBy: route.method ?? 'regression' } : {}),
      ...(route && e.regressionRoute && e.regressionRoute.route !== route.route
        ? { regressionRoute: describeRoute(e.regressionRoute) }
        : {}),
      ...(route && e.probeRoute && e.probeRoute.route !== route.route
        ? { probeRoute: describeRoute(e.probeRoute) }
        : {}),
      ...(e.site ? { allocation: String(e.site.diff) } : {}),
      ...(top
        ? {
            growth: {
              kind: top.kind,
              name: top.name,
              unit: top.unit,
              counts: top.counts,
              countPerStep: top.countPerStep,
              bytesPerStep: top.bytesPerStep,
              share: top.share,
            },
          }
        : {}),
    },
  };
  if (top !== undefined) {
    finding.path = top.path;
    const count = top.counts[top.counts.length - 1];
    if (count !== undefined && top.unit === 'entries') finding.growth.count = count;
    const bytes = top.bytes[top.bytes.length - 1];
    if (bytes !== undefined && bytes > 0) finding.growth.bytes = bytes;
  }
  if (e.site !== undefined) finding.site = { ...e.site.site };
  // A chain is fixed where each element is made to keep the last; where its bytes are allocated
  // stays in the evidence (`allocation`).
  const site = top === undefined ? undefined : chainSite(top);
  if (site !== undefined) finding.site = site;
  if (route) finding.route = route.route;

  const out = [finding];
  // Further growing things of the series, each its own (lesser) finding.
  for (const g of e.growth.slice(1)) {
    if (g.share < 0.2) continue;
    out.push({
      id: `${GENERIC}:${g.path}`,
      detector: GENERIC,
      severity: 'warning',
      title: `\`${g.path}\` keeps growing: +${unitOf(g, g.countPerStep)} per capture`,
      path: g.path,
      growth: {
        bytes: g.bytes[g.bytes.length - 1] ?? 0,
        ...(g.unit === 'entries' ? { count: g.counts[g.counts.length - 1] ?? 0 } : {}),
      },
      confidence: Math.min(0.9, 0.5 + g.share / 2),
      advice: growthAdvice(g),
      evidence: { kind: g.kind, name: g.name, countPerStep: g.countPerStep, share: g.share },
    });
  }
  return out;
}
