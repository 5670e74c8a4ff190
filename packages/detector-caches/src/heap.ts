import type { DetectorContext, Finding, FindingGrowth, FindingSite } from '@leakkit/core';
import { iterationsPerStep } from '@leakkit/core';
import type { Growth, HeapGraph, HeapGraphData } from '@leakkit/core/heap';
import { edgeName, functionLocation, nodeKind, vocabulary } from '@leakkit/core/heap';
import { capRelates, isSettingsName, largestCap } from './caps.js';
import type { ResolvedCachesOptions } from './options.js';
import { isIgnored } from './options.js';
import type { Cap, CollectionFacts, CollectionKind, Rate } from './patterns.js';
import { classify, describeFinding, isCapName, lastName, listenerPlace } from './patterns.js';
import type { SourceLines } from './source.js';

/**
 * Growth whose second half is at most this fraction of its first (per iteration) levels off: a
 * cache filling towards a bound it reaches (a key domain, a cap), not a leak.
 */
export const SATURATION_RATIO = 0.5;

/**
 * How the counts of a series level off: the growth of the second half over that of the first.
 * About 1 for a steady leak; near 0 for a cache that reached its bound; above 1 for growth that
 * speeds up.
 */
export function growthRatio(counts: readonly number[]): number {
  if (counts.length < 3) return 1;
  const { early, late } = paces(counts);
  if (!(early > 0)) return late > 0 ? 1 : 0;
  return late / early;
}

/** Mean growth per step of the first and of the second half of a series (3 counts or more). */
function paces(counts: readonly number[]): { early: number; late: number } {
  const k = counts.length;
  const mid = (k - 1) >>> 1;
  return {
    early: (counts[mid]! - counts[0]!) / mid,
    late: (counts[k - 1]! - counts[mid]!) / (k - 1 - mid),
  };
}

/**
 * Whether a series of counts levels off the way a cache filling a finite key space does: it grew
 * less in its second half (the growth ratio at most {@link SATURATION_RATIO}), its last step is its
 * smallest, and that step is at most half the first half's average. A leak under uneven load
 * (routes that come and go between captures) has slow steps too, but seldom all three: a series
 * `1210, 1354, 1387, 1473` (a listener pile; its middle capture came after a lull) has a ratio of
 * 0.41 and still grows fastest at its end.
 */
export function levelsOff(counts: readonly number[]): boolean {
  const k = counts.length;
  if (k < 3 || growthRatio(counts) > SATURATION_RATIO) return false;
  const last = counts[k - 1]! - counts[k - 2]!;
  for (let i = 1; i < k - 1; i++) if (counts[i]! - counts[i - 1]! < last) return false;
  return last <= paces(counts).early / 2;
}

/** The share of the heap's growth above which a collection speaks for the heap's trend. */
const MOST_OF_THE_GROWTH = 0.5;

/** The monitor's gauge of the heap after a full GC (absent under checkBounded, which runs fixed rounds). */
const HEAP_AFTER_GC = 'heapAfterGC';

/** Whether the heap after GC keeps rising the way a leak does: the trend verdict on the monitor's gauge. */
function heapKeepsGrowing(ctx: DetectorContext): boolean {
  const heap = ctx.gauges.series(HEAP_AFTER_GC);
  if (heap === undefined) return false;
  return ctx.stats.classifyTrend(heap, { xs: ctx.gauges.times() }).verdict === 'leak';
}

/** The fraction of steps that grew. */
function upFraction(counts: readonly number[]): number {
  let up = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[i - 1]!) up++;
  return counts.length > 1 ? up / (counts.length - 1) : 0;
}

/** Where a growth is named: its path and the graph whose retaining path that is. */
interface Named {
  path: string;
  file: string | undefined;
  line: number | undefined;
  steps: Growth['steps'];
  graph: HeapGraph;
}

/**
 * The path to show for a growth: its own, unless it starts at one of V8's root categories
 * (`(Strong roots) › <Map @123>`: the object was last found through a handle V8's compiler held
 * when the snapshot was taken), in which case the same object's path in an earlier graph is better.
 */
function bestPath(graphs: readonly HeapGraph[], g: Growth, strings: boolean): Named {
  const last = graphs[graphs.length - 1]!;
  const own: Named = { path: g.path, file: g.file, line: g.line, steps: g.steps, graph: last };
  if (!g.path.startsWith('(') || g.match !== 'id') return own;
  for (let i = graphs.length - 2; i >= 0; i--) {
    const graph = graphs[i]!;
    if (graph.nodeIndexOf(g.nodeId) < 0) continue;
    const p = graph.pathTo(g.nodeId, { strings });
    if (p === undefined || p.text.startsWith('(')) continue;
    return { path: p.text, file: p.file, line: p.line, steps: p.steps, graph };
  }
  return own;
}

/** The value of a number node, when the snapshot exposes numbers (`exposeNumericValues`). */
function numberValue(data: HeapGraphData, n: number): number | undefined {
  const v = vocabulary(data);
  for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
    if (data.edgeType[e] !== v.edge.internal || edgeName(data, e) !== 'value') continue;
    const t = data.edgeTo[e]!;
    if (nodeKind(data, t) !== 'string') return undefined;
    const value = Number(data.strings.get(data.nodeName[t]!));
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

/**
 * Cap-like numbers next to a collection in a heap graph: properties of the object that holds it
 * (and of its `options`), or variables of the scope that holds it and of the scopes around it.
 * Numbers are visible only in snapshots taken with numeric values exposed; otherwise none is found.
 */
function capsInGraph(data: HeapGraphData, holder: number, collectionName: string): Cap[] {
  const v = vocabulary(data);
  const out: Cap[] = [];
  const holderKind = nodeKind(data, holder);
  const visit = (n: number, depth: number, shared: boolean) => {
    for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
      const et = data.edgeType[e]!;
      const t = data.edgeTo[e]!;
      if (et === v.edge.internal && edgeName(data, e) === 'previous' && shared && depth < 3) {
        if (nodeKind(data, t) === 'context') visit(t, depth + 1, true);
        continue;
      }
      if (et !== v.edge.property && et !== v.edge.context) continue;
      const name = edgeName(data, e);
      const tk = nodeKind(data, t);
      if (tk === 'number') {
        if (!isCapName(name) || (shared && !capRelates(name, collectionName))) continue;
        const value = numberValue(data, t);
        if (value !== undefined && value >= 1) out.push({ name, value });
      } else if (tk === 'object' && depth === 0 && isSettingsName(name)) {
        visit(t, 1, shared);
      }
    }
  };
  if (holderKind === 'object' || holderKind === 'closure') visit(holder, 0, false);
  else if (holderKind === 'context') visit(holder, 0, true);
  return out;
}

/** The node that holds the collection directly (an object, a scope, a function), or -1. */
function holderOf(named: Named): number {
  const { graph, steps } = named;
  for (let i = steps.length - 2; i >= 0; i--) {
    const n = graph.nodeIndexOf(steps[i]!.nodeId);
    if (n < 0) return -1;
    const kind = nodeKind(graph.data, n);
    if (kind === 'object' || kind === 'context' || kind === 'closure') return n;
    // A Map's value sits in its hash table: the Map holds it, and a Map is not a cache's settings.
    if (kind !== 'internal') return -1;
  }
  return -1;
}

/** Whether the collection lives in a function's scope or on a function: `memoize() › cache`, `fn.cache`. */
function inFunction(named: Named): boolean {
  const { steps, path } = named;
  const last = steps[steps.length - 1];
  if (last === undefined) return false;
  // A variable of a function's scope: the path's last part follows `name() › `, and the last hop
  // is that variable (not an unnamed slot the path could not print).
  const m = /\(\) › ([^›]*)$/.exec(path);
  if (m !== null && last.edgeType === 'context' && m[1] === last.edge) return true;
  const holder = steps[steps.length - 2];
  // On a function (`fn.cache`), but not on a class: `Registry.items` and `TimerMetrics.timers` are
  // static registries, not a memo. A snapshot does not tell a class from a function; the name does.
  return (
    holder !== undefined &&
    holder.kind === 'closure' &&
    last.edgeType === 'property' &&
    !/^[A-Z]/.test(holder.name)
  );
}

/** Confidence of a growth: steadier (most steps up, no slowing down) and longer series are surer. */
function confidenceOf(counts: readonly number[], ratio: number, unit: Growth['unit']): number {
  const steps = counts.length - 1;
  // A second half at half the first's pace is still steady growth under uneven load; slower than
  // that costs confidence (a series that levels off is not reported at all: see levelsOff).
  const steady = Math.min(1, ratio / SATURATION_RATIO);
  // Backing-store bytes grow by doubling: flat steps are expected (half of them up is steady
  // growth, as findGrowth judges it), and the series says less about the rate.
  const up = unit === 'bytes' ? Math.min(1, 2 * upFraction(counts)) : upFraction(counts);
  let c = 0.5 + 0.45 * up * steady * Math.min(1, steps / 3);
  if (unit === 'bytes') c *= 0.9;
  return Math.max(0, Math.min(0.99, c));
}

/** One growing collection that passed the filters, before findings are made. */
interface Candidate {
  g: Growth;
  named: Named;
  kind: CollectionKind;
  ratio: number;
  cap: Cap | undefined;
}

/**
 * Findings from heap-graph growth: every growing Map, Set, array or object of `ctx.heap.growth`,
 * classified, except those that level off (a cache filling to a bound) or fill towards a cap they
 * have not passed. Several collections with one path (each call of `memoize()` makes its own
 * `cache`) make one finding, their growth summed.
 */
export function heapFindings(
  ctx: DetectorContext,
  o: ResolvedCachesOptions,
  detector: string,
  sources: SourceLines | undefined,
): Finding[] {
  const heap = ctx.heap;
  if (heap === undefined || heap.graphs.length < 3 || !Array.isArray(heap.growth)) return [];
  const graphs = heap.graphs;
  const groups = new Map<string, Candidate[]>();
  let growing: boolean | undefined;
  for (const g of heap.growth) {
    // Strings and chains are not collections: the generic finding names them.
    if (g.kind === 'string' || g.kind === 'chain') continue;
    const named = bestPath(graphs, g, o.strings);
    const path = named.path;
    if (isIgnored(path, o.ignore)) continue;
    // Backing stores grow by doubling: flat steps and jumps say nothing about levelling off.
    let ratio = g.unit === 'bytes' ? 1 : growthRatio(g.counts);
    if (g.unit !== 'bytes' && levelsOff(g.counts)) {
      // A few captures seconds apart see the load, not the leak: a route mix that moved away from
      // the leaking route between them looks like a cache filling up. When this collection is most
      // of the heap's growth and the monitor's heap gauge (a minute of readings) keeps rising as a
      // leak does, it is not levelling off; the gauge, not the four counts, says how steady it is.
      growing ??= heapKeepsGrowing(ctx);
      if (!(growing && g.share >= MOST_OF_THE_GROWTH)) continue;
      ratio = 1;
    }
    const count = g.unit === 'entries' ? g.counts[g.counts.length - 1] : undefined;
    const holder = holderOf(named);
    const cap = holder < 0 ? undefined : largestCap(capsInGraph(named.graph.data, holder, lastName(path)));
    // Filling towards a cap it has not reached: bounded by design (it is checked again when it passes).
    if (cap !== undefined && count !== undefined && count <= cap.value) continue;
    const c: Candidate = { g, named, kind: g.kind as CollectionKind, ratio, cap };
    const group = groups.get(path);
    if (group === undefined) groups.set(path, [c]);
    else group.push(c);
  }
  const perStep = iterationsPerStep(ctx);
  const findings: Finding[] = [];
  for (const [path, group] of groups) {
    findings.push(makeFinding(path, group, perStep, detector, sources));
  }
  return oneLeakPerEmitter(findings);
}

/**
 * Listener piles of one emitter are one leak: `events.once(worker, name)` adds a listener under
 * its own event name (`worker._events` grows) and one for `'error'` (`worker._events.error` grows).
 * The pile with the largest share of the heap's growth speaks for the emitter; the others are named
 * in its evidence (`alsoEvents`).
 */
function oneLeakPerEmitter(findings: Finding[]): Finding[] {
  const byEmitter = new Map<string, Finding[]>();
  for (const f of findings) {
    const place = f.evidence?.pattern === 'listeners' && f.path ? listenerPlace(f.path) : undefined;
    if (place === undefined) continue;
    const key = f.path!.slice(0, f.path!.lastIndexOf('_events'));
    const list = byEmitter.get(key);
    if (list) list.push(f);
    else byEmitter.set(key, [f]);
  }
  const dropped = new Set<Finding>();
  for (const list of byEmitter.values()) {
    if (list.length < 2) continue;
    // The pile with the largest share of the heap's growth: the one a generic finding is about.
    const shareOf = (f: Finding) => Number(f.evidence?.share ?? 0);
    const lead = list.reduce((a, b) => (shareOf(b) > shareOf(a) ? b : a));
    const others = list.filter((f) => f !== lead);
    for (const f of others) dropped.add(f);
    (lead.evidence as Record<string, unknown>).alsoEvents = others.map((f) => f.path);
  }
  return dropped.size === 0 ? findings : findings.filter((f) => !dropped.has(f));
}

function makeFinding(
  path: string,
  group: readonly Candidate[],
  perStep: number | undefined,
  detector: string,
  sources: SourceLines | undefined,
): Finding {
  const first = group[0]!;
  const { g, named, kind } = first;
  const unit = g.unit;
  // Instances that share a path and a unit add up; the first one's shape speaks for the rest.
  const same = group.filter((c) => c.g.unit === unit && c.g.counts.length === g.counts.length);
  const counts = g.counts.map((_, i) => same.reduce((sum, c) => sum + c.g.counts[i]!, 0));
  const countPerStep = same.reduce((sum, c) => sum + c.g.countPerStep, 0);
  const bytesPerStep = same.reduce((sum, c) => sum + c.g.bytesPerStep, 0);
  const bytes = same.reduce((sum, c) => sum + (c.g.bytes[c.g.bytes.length - 1] ?? 0), 0);
  const share = Math.min(
    1,
    same.reduce((sum, c) => sum + c.g.share, 0),
  );
  const ratio = same.length === 1 ? first.ratio : growthRatio(counts);
  const count = unit === 'entries' ? counts[counts.length - 1] : undefined;
  // A cap is exceeded when one instance passes its own.
  const capped = group.find(
    (c) => c.cap !== undefined && c.g.unit === 'entries' && c.g.counts[c.g.counts.length - 1]! > c.cap.value,
  );
  const facts: CollectionFacts = {
    kind,
    path,
    count: capped === undefined ? count : capped.g.counts[capped.g.counts.length - 1],
    keys: g.keys,
    inFunction: inFunction(named),
    cap: capped?.cap,
  };
  const pattern = classify(facts);
  facts.count = count;
  const rate: Rate =
    perStep === undefined
      ? { value: countPerStep, per: 'step', unit }
      : { value: countPerStep / perStep, per: 'iteration', unit };
  // A growth that stands for the values of one Map (`hits.get(*)`) counts each of them.
  const instances = same.reduce((sum, c) => sum + c.g.members, 0);
  const { title, advice } = describeFinding(facts, pattern, rate, instances);
  const growth: FindingGrowth = {};
  if (perStep !== undefined) {
    if (unit === 'entries') growth.objectsPerIteration = countPerStep / perStep;
    growth.bytesPerIteration = bytesPerStep / perStep;
  }
  if (count !== undefined) growth.count = count;
  growth.bytes = bytes;
  let confidence = confidenceOf(counts, ratio, unit);
  if (pattern === 'cap-not-enforced') confidence = Math.max(confidence, 0.9);
  const finding: Finding = {
    id: `${detector}:${path}`,
    detector,
    severity: confidence >= 0.8 ? 'leak' : 'warning',
    title,
    path,
    growth,
    confidence,
    advice,
    evidence: {
      pattern,
      kind,
      name: g.name,
      counts,
      unit,
      perStep: countPerStep,
      bytesPerStep,
      share,
      ratio,
      instances: same.length,
      ...(g.keys === undefined ? {} : { keys: g.keys }),
      ...(facts.cap === undefined ? {} : { cap: facts.cap }),
      ...(perStep === undefined ? {} : { iterationsPerStep: perStep }),
      source: 'heap',
    },
  };
  // Listeners: the line to change is where they are written (`bus.on(…, (update) => …)`), not
  // where the emitter was made.
  const written = pattern === 'listeners' ? listenerSite(named.graph, g.nodeId) : undefined;
  const site =
    written ?? (named.file === undefined ? undefined : sources?.site(named.file, path, named.line));
  if (site !== undefined) finding.site = site;
  else if (named.file !== undefined && named.line !== undefined) {
    finding.site = { file: named.file, line: named.line };
  }
  return finding;
}

// The newest listeners of a pile are at the end of its array: a few dozen say where they come from.
const LISTENER_SAMPLE = 64;

/**
 * Where the listeners piling up in an emitter's `_events` array were written: the definition most
 * common among the newest of them. A listener is a closure; one added with `once` is Node's
 * wrapper, whose `listener` property is the closure. Node's own functions (`events.once` adds
 * closures of `node:events`) say nothing about the caller and do not count.
 */
function listenerSite(graph: HeapGraph, nodeId: number): FindingSite | undefined {
  const data = graph.data;
  const n = graph.nodeIndexOf(nodeId);
  if (n < 0) return undefined;
  const v = vocabulary(data);
  const tally = new Map<string, { site: FindingSite; count: number }>();
  let sampled = 0;
  for (let e = data.firstEdge[n + 1]! - 1; e >= data.firstEdge[n]! && sampled < LISTENER_SAMPLE; e--) {
    if (data.edgeType[e] !== v.edge.element) continue;
    sampled++;
    let fn = data.edgeTo[e]!;
    for (let f = data.firstEdge[fn]!; f < data.firstEdge[fn + 1]!; f++) {
      if (data.edgeType[f] === v.edge.property && edgeName(data, f) === 'listener') {
        fn = data.edgeTo[f]!;
        break;
      }
    }
    if (nodeKind(data, fn) !== 'closure') continue;
    const loc = functionLocation(data, fn);
    if (loc?.line === undefined || loc.file.startsWith('node:')) continue;
    const key = `${loc.file}:${loc.line}`;
    const t = tally.get(key);
    if (t === undefined) tally.set(key, { site: { file: loc.file, line: loc.line }, count: 1 });
    else t.count++;
  }
  let best: { site: FindingSite; count: number } | undefined;
  for (const t of tally.values()) if (best === undefined || t.count > best.count) best = t;
  return best?.site;
}
