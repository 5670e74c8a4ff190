import type { DetectorContext, Finding, FindingGrowth } from '@leakkit/core';
import { iterationsPerStep } from '@leakkit/core';
import type { Growth, HeapGraph, HeapGraphData, PathStep } from '@leakkit/core/heap';
import { edgeName, findEdge, nodeKind, pathCode, tableSlot, vocabulary } from '@leakkit/core/heap';
import { declarationSite, pathIdentifiers } from './declaration.js';
import type { ResolvedTimersOptions } from './options.js';
import { formatBytes, formatNumber } from './trend.js';

/** What the entries of a growing collection are, from a sample of its newest ones. */
export type EntryShape =
  /** `{ elapsed }`, `{ duration }`, `{ latency }`…: a record of one timing. */
  | 'timing-record'
  /** `{ start, end }` without a duration field: a timing only when the names say so. */
  | 'interval-record'
  /** Numbers, or lists of numbers. */
  | 'numbers'
  /** `Timeout` / `Immediate` handles: `pending.set(id, setTimeout(…))`, kept after they fire. */
  | 'timer-handle'
  | 'other';

/** How a growing collection of timings is built, which decides the advice. */
export type RegistryPattern =
  /** A Map or object whose keys are new on every call: `timers.set(name + id, …)`. */
  | 'unique-keys'
  /** A list under a fixed key that keeps growing: `timers[name].push(elapsed)`. */
  | 'per-key-list'
  /** A list of timings that only grows: `durations.push(ms)`. */
  | 'list';

/** Why a growth was (or was not) taken for a timing registry. */
export interface RegistryVerdict {
  registry: boolean;
  shape: EntryShape;
  pattern: RegistryPattern;
  /** Timing words found in the path or the class names along it. */
  words: string[];
  /** How well shape and names agree, 0..1. */
  strength: number;
}

// Words that name timings. A name alone never makes a registry (a Map called `metrics` may hold
// anything); with entries that are numbers or timing records it does. Strong words say "durations"
// outright; weak ones often do.
const STRONG_WORDS = new Set([
  'timer',
  'timers',
  'timing',
  'timings',
  'duration',
  'durations',
  'elapsed',
  'latency',
  'latencies',
  'histogram',
  'histograms',
  'stopwatch',
  'stopwatches',
  'took',
]);
const WEAK_WORDS = new Set([
  'time',
  'times',
  'metric',
  'metrics',
  'perf',
  'measure',
  'measures',
  'measurement',
  'measurements',
  'profile',
  'profiler',
  'profiling',
]);

// Fields of a record of one timing.
const DURATION_FIELDS = new Set([
  'elapsed',
  'elapsedms',
  'elapsedtime',
  'duration',
  'durationms',
  'latency',
  'latencyms',
  'took',
  'tookms',
  'totaltime',
  'responsetime',
  'ms',
]);
const START_FIELDS = new Set([
  'start',
  'starttime',
  'startedat',
  'startms',
  'begin',
  'begintime',
  't0',
  'from',
]);
const END_FIELDS = new Set([
  'end',
  'endtime',
  'endedat',
  'endms',
  'stop',
  'stoptime',
  'finish',
  'finishedat',
  't1',
  'to',
]);

/** Lower-case words of an identifier or path: `TimerMetrics.timers` → timer, metrics, timers. */
export function words(text: string): string[] {
  return (
    text
      // Hashed keys and ids (`<string #1a2b3c>`, `<Session @42>`) are not the developer's names.
      .replace(/<[^>]*>/g, ' ')
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/([a-zA-Z])([0-9])/g, '$1 $2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w !== '')
  );
}

function timingWords(growth: Growth, extra: readonly (string | RegExp)[]): string[] {
  const text = [
    growth.path,
    ...namedSteps(growth)
      .filter((s) => s.kind !== 'internal')
      .map((s) => `${s.edge} ${s.name}`),
  ].join(' ');
  const found = new Set<string>();
  const all = words(text);
  for (const w of all) if (STRONG_WORDS.has(w) || WEAK_WORDS.has(w)) found.add(w);
  for (const n of extra) {
    if (typeof n === 'string') {
      if (all.includes(n.toLowerCase())) found.add(n);
    } else if (n.test(growth.path)) found.add(String(n));
  }
  return [...found];
}

/**
 * The steps of the path from the variable, class or export that anchors it as printed: the hops
 * before it (through a pending timer's callback, an HTTP server's handlers) are how the snapshot
 * reached it, not names the user gave it. `server.mjs › uploads`, reached through a timeout's
 * closure, is no timing registry for passing `timerListMap` and `_onTimeout` on the way.
 */
function namedSteps(growth: Growth): Growth['steps'] {
  const cut = growth.path.lastIndexOf(' › ');
  const printed = cut < 0 ? growth.path : growth.path.slice(cut + ' › '.length);
  const anchor = /^[A-Za-z_$][\w$]*/.exec(printed)?.[0];
  if (anchor === undefined) return growth.steps;
  for (let i = growth.steps.length - 1; i >= 0; i--) {
    const step = growth.steps[i]!;
    if (step.edge === anchor || step.name === anchor) return growth.steps.slice(i);
  }
  return growth.steps;
}

/** Names of an object's properties: its property edges and its hidden class's descriptors. */
function propertyNames(data: HeapGraphData, n: number): Set<string> {
  const v = vocabulary(data);
  const names = new Set<string>();
  for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
    if (data.edgeType[e] === v.edge.property && data.edgeNameOrIndex[e] !== v.name.proto) {
      names.add(edgeName(data, e).toLowerCase());
    }
  }
  // Small-integer fields have no edge (they are not heap objects) and double fields show as
  // unnamed hidden edges: the names are in the hidden class's descriptor array, as string slots.
  const me = findEdge(data, n, v.edge.internal, v.name.map);
  if (me >= 0) {
    const map = data.edgeTo[me]!;
    const descriptors = findEdgeByName(data, map, v.edge.internal, 'descriptors');
    if (descriptors >= 0) {
      const d = data.edgeTo[descriptors]!;
      for (let e = data.firstEdge[d]!; e < data.firstEdge[d + 1]!; e++) {
        const t = data.edgeTo[e]!;
        if (
          data.edgeType[e] === v.edge.internal &&
          nodeKind(data, t) === 'string' &&
          /^\d+$/.test(edgeName(data, e))
        ) {
          names.add(data.strings.get(data.nodeName[t]!).toLowerCase());
        }
      }
    }
  }
  return names;
}

function findEdgeByName(data: HeapGraphData, n: number, type: number, name: string): number {
  for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
    if (data.edgeType[e] === type && edgeName(data, e) === name) return e;
  }
  return -1;
}

function recordShape(data: HeapGraphData, n: number): EntryShape {
  const names = propertyNames(data, n);
  for (const f of names) if (DURATION_FIELDS.has(f)) return 'timing-record';
  let start = false;
  let end = false;
  for (const f of names) {
    if (START_FIELDS.has(f)) start = true;
    if (END_FIELDS.has(f)) end = true;
  }
  return start && end ? 'interval-record' : 'other';
}

/** An array whose elements are numbers (or that lists none: small integers and doubles are not nodes). */
function isNumberList(data: HeapGraphData, n: number): boolean {
  const v = vocabulary(data);
  for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
    if (data.edgeType[e] !== v.edge.element) continue;
    if (nodeKind(data, data.edgeTo[e]!) !== 'number') return false;
  }
  return true;
}

function valueShape(data: HeapGraphData, n: number): EntryShape {
  const kind = nodeKind(data, n);
  if (kind === 'number') return 'numbers';
  if (kind === 'array') {
    if (isNumberList(data, n)) return 'numbers';
    // A list of timing records under a key: judge by its newest elements.
    return majority(sampleValues(data, n, 'array', 8).map((c) => (c < 0 ? 'numbers' : recordShape(data, c))));
  }
  if (kind === 'object') {
    const name = data.strings.get(data.nodeName[n]!);
    if (name === 'Timeout' || name === 'Immediate') return 'timer-handle';
    return recordShape(data, n);
  }
  return 'other';
}

function majority(shapes: EntryShape[]): EntryShape {
  if (shapes.length === 0) return 'other';
  const counts = new Map<EntryShape, number>();
  for (const s of shapes) counts.set(s, (counts.get(s) ?? 0) + 1);
  let best: EntryShape = 'other';
  let bestCount = 0;
  for (const [s, c] of counts) {
    if (c > bestCount) {
      best = s;
      bestCount = c;
    }
  }
  // Three in five or better: a registry is uniform, a bag of everything is not one.
  return bestCount >= 0.6 * shapes.length ? best : 'other';
}

/**
 * Value nodes of the newest `max` entries of a collection, newest first; -1 for an entry whose value
 * is a small integer (no node).
 */
function sampleValues(data: HeapGraphData, n: number, kind: Growth['kind'], max: number): number[] {
  const v = vocabulary(data);
  const out: number[] = [];
  if (kind === 'map' || kind === 'set') {
    const te = findEdge(data, n, v.edge.internal, v.name.table);
    if (te < 0) return out;
    const table = data.edgeTo[te]!;
    const stride = kind === 'map' ? 3 : 2;
    // Per entry, the value's node if any; walk from the end for the newest. Deleted entries (their
    // slots point at a hole, on Node 24) are not entries.
    let entry = -1;
    let value = -1;
    let deleted = false;
    const flush = () => {
      if (entry >= 0 && !deleted && out.length < max) out.push(value);
    };
    for (let e = data.firstEdge[table + 1]! - 1; e >= data.firstEdge[table]! && out.length < max; e--) {
      const slot = tableSlot(data, table, e, stride);
      if (!slot) continue;
      if (slot.entry !== entry) {
        flush();
        entry = slot.entry;
        value = -1;
        deleted = false;
      }
      const target = data.edgeTo[e]!;
      if (isHole(data, target)) deleted = true;
      else if ((kind === 'map' && slot.slot === 'value') || (kind === 'set' && slot.slot === 'key'))
        value = target;
    }
    flush();
    return out;
  }
  if (kind === 'array') {
    for (let e = data.firstEdge[n + 1]! - 1; e >= data.firstEdge[n]! && out.length < max; e--) {
      if (data.edgeType[e] === v.edge.element) out.push(data.edgeTo[e]!);
    }
    return out;
  }
  if (kind === 'object') {
    for (let e = data.firstEdge[n + 1]! - 1; e >= data.firstEdge[n]! && out.length < max; e--) {
      const t = data.edgeType[e]!;
      if ((t === v.edge.property && data.edgeNameOrIndex[e] !== v.name.proto) || t === v.edge.element) {
        out.push(data.edgeTo[e]!);
      }
    }
    // A dictionary-mode object (a map of many keys): values sit in its property dictionary.
    const pe = findEdge(data, n, v.edge.internal, v.name.properties);
    if (pe >= 0 && out.length < max) out.push(...dictionaryValues(data, data.edgeTo[pe]!, max - out.length));
  }
  return out;
}

/**
 * Values of a NameDictionary: (key, value, details) slot triples after a header; keys are always
 * nodes, so the lowest used slot is a key and values are the slots one after a key.
 */
function dictionaryValues(data: HeapGraphData, dict: number, max: number): number[] {
  const v = vocabulary(data);
  const slots = new Map<number, number>();
  let min = Number.POSITIVE_INFINITY;
  for (let e = data.firstEdge[dict]!; e < data.firstEdge[dict + 1]!; e++) {
    if (data.edgeType[e] !== v.edge.internal) continue;
    const name = edgeName(data, e);
    if (!/^\d+$/.test(name)) continue;
    const slot = Number(name);
    slots.set(slot, data.edgeTo[e]!);
    if (slot < min) min = slot;
  }
  const out: number[] = [];
  if (min === Number.POSITIVE_INFINITY) return out;
  const keys = [...slots.keys()].filter((s) => (s - min) % 3 === 0).sort((a, b) => b - a);
  for (const k of keys) {
    if (out.length >= max) break;
    if (isHole(data, slots.get(k)!)) continue;
    out.push(slots.get(k + 1) ?? -1);
  }
  return out;
}

/** The nearest ancestor along the path that is not V8's own hop (hash tables, property stores). */
function keyedParent(steps: readonly PathStep[]): PathStep | undefined {
  for (let i = steps.length - 2; i >= 0; i--) {
    const s = steps[i]!;
    if (s.kind !== 'internal') return s;
  }
  return undefined;
}

/**
 * Decides whether a growing collection is a registry of timings: from what its entries are (records
 * of one timing, numbers, lists of numbers) and the names along its path (timers, timings,
 * durations, metrics, histograms…). Records with a duration field suffice on their own; numbers and
 * `{ start, end }` records need a timing name too.
 */
export function classifyRegistry(
  graph: HeapGraph,
  growth: Growth,
  extraNames: readonly (string | RegExp)[] = [],
): RegistryVerdict {
  const data = graph.data;
  const found = timingWords(growth, extraNames);
  const parentName = parentPath(growth.path);
  const timingParent =
    parentName !== undefined &&
    words(pathIdentifiers(parentName).pop() ?? '').some((w) => STRONG_WORDS.has(w) || WEAK_WORDS.has(w));
  const none: RegistryVerdict = {
    registry: false,
    shape: 'other',
    pattern: 'list',
    words: found,
    strength: 0,
  };
  // A string or a chain of objects is no registry of entries.
  if (growth.kind === 'string' || growth.kind === 'chain') return none;
  const n = graph.nodeIndexOf(growth.nodeId);
  if (n < 0) return none;

  let shape: EntryShape;
  if (growth.unit === 'bytes') {
    // Only the backing store grows: the entries are numbers (findGrowth's reading of the snapshot).
    shape = 'numbers';
  } else {
    const values = sampleValues(data, n, growth.kind, 16);
    const shapes = values.map((c) => (c < 0 ? 'numbers' : valueShape(data, c)));
    // Map or dictionary entries whose values are small integers have no value node at all.
    shape = shapes.length === 0 && growth.kind !== 'array' ? 'numbers' : majority(shapes);
  }

  // A list that is a Map's value, or a property of an object named for timings (`_timings.db`), is
  // a list per key; a list held by anything else (a module variable, a field of `app`) is a list.
  const parent = keyedParent(growth.steps);
  const pattern: RegistryPattern =
    growth.kind === 'array'
      ? parent?.kind === 'map' || (parent?.kind === 'object' && timingParent)
        ? 'per-key-list'
        : 'list'
      : 'unique-keys';

  const named = found.length > 0;
  // Names the user gave count as strong: they said so.
  const strong = found.some((w) => !WEAK_WORDS.has(w));
  let strength = 0;
  if (shape === 'timing-record') strength = named ? 1 : 0.9;
  else if (shape === 'timer-handle') strength = 0.95;
  else if (shape === 'interval-record' && named) strength = strong ? 0.97 : 0.9;
  else if (shape === 'numbers' && named && growth.kind !== 'set') strength = strong ? 0.97 : 0.9;
  return { registry: strength > 0, shape, pattern, words: found, strength };
}

/** The path of what holds the last hop: `a.b.get(<string #1>)` → `a.b`. */
export function parentPath(path: string): string | undefined {
  const m = /^(.*?)(?:\.get\([^()]*\)|\.[^.\s›]+|\[[^\]]*\])$/.exec(path);
  return m?.[1] === undefined || m[1] === '' ? undefined : m[1];
}

function isHole(data: HeapGraphData, n: number): boolean {
  return nodeKind(data, n) === 'internal' && data.strings.get(data.nodeName[n]!).endsWith('Hole');
}

/**
 * Live entries of a growing collection: Map and Set entries, array elements and object properties
 * that are not deleted. Snapshots of Node 24 list the deleted entries of a hash table (edges to
 * `system / Hole`) until it is rehashed, so an LRU that deletes as it adds would count as growing.
 */
export function liveEntries(data: HeapGraphData, n: number, kind: Growth['kind']): number {
  const v = vocabulary(data);
  if (kind === 'map' || kind === 'set') {
    const te = findEdge(data, n, v.edge.internal, v.name.table);
    if (te < 0) return 0;
    const table = data.edgeTo[te]!;
    const stride = kind === 'map' ? 3 : 2;
    const live = new Set<number>();
    for (let e = data.firstEdge[table]!; e < data.firstEdge[table + 1]!; e++) {
      const slot = tableSlot(data, table, e, stride);
      if (slot && !isHole(data, data.edgeTo[e]!)) live.add(slot.entry);
    }
    return live.size;
  }
  let count = 0;
  for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
    const t = data.edgeType[e]!;
    if (isHole(data, data.edgeTo[e]!)) continue;
    if (t === v.edge.element) count++;
    else if (kind === 'object' && t === v.edge.property && data.edgeNameOrIndex[e] !== v.name.proto) count++;
  }
  if (kind === 'object') {
    const pe = findEdge(data, n, v.edge.internal, v.name.properties);
    if (pe >= 0) count = Math.max(count, liveDictionaryKeys(data, data.edgeTo[pe]!));
  }
  return count;
}

/** Keys of a NameDictionary that are not deleted (see {@link dictionaryValues} for the layout). */
function liveDictionaryKeys(data: HeapGraphData, dict: number): number {
  const v = vocabulary(data);
  if (nodeKind(data, dict) !== 'internal' && data.nodeType[dict] !== v.type.array) return 0;
  const slots: [number, number][] = [];
  let min = Number.POSITIVE_INFINITY;
  for (let e = data.firstEdge[dict]!; e < data.firstEdge[dict + 1]!; e++) {
    if (data.edgeType[e] !== v.edge.internal) continue;
    const name = edgeName(data, e);
    if (!/^\d+$/.test(name)) continue;
    const slot = Number(name);
    slots.push([slot, data.edgeTo[e]!]);
    if (slot < min) min = slot;
  }
  let keys = 0;
  for (const [slot, target] of slots) if ((slot - min) % 3 === 0 && !isHole(data, target)) keys++;
  return keys;
}

/** The growth test of findGrowth, on live counts: most steps gain, little is lost, at least `min` per step. */
function keepsGrowing(values: readonly number[], min: number): boolean {
  const steps = values.length - 1;
  let up = 0;
  let gained = 0;
  let lost = 0;
  for (let i = 1; i < values.length; i++) {
    const d = values[i]! - values[i - 1]!;
    if (d > 0) {
      up++;
      gained += d;
    } else lost -= d;
  }
  const total = values[steps]! - values[0]!;
  return (
    up >= Math.max(Math.min(2, steps), Math.ceil(0.6 * steps)) && lost <= 0.1 * gained && total >= min * steps
  );
}

/**
 * The growth's counts recounted as live entries in every graph (same object by id), or undefined
 * when they do not keep growing. Growth followed by place or measured in bytes is taken as it is.
 */
function liveGrowth(graphs: readonly HeapGraph[], g: Growth): Growth | undefined {
  // Siblings reported as one (`hits.get(*)`) are summed by findGrowth: their id is only the largest's.
  if (g.unit !== 'entries' || g.match !== 'id' || g.kind === 'string' || g.members > 1) return g;
  const counts: number[] = [];
  for (const graph of graphs) {
    const n = graph.nodeIndexOf(g.nodeId);
    if (n < 0) return g;
    counts.push(liveEntries(graph.data, n, g.kind));
  }
  if (!keepsGrowing(counts, 1)) return undefined;
  return { ...g, counts, countPerStep: (counts[counts.length - 1]! - counts[0]!) / (counts.length - 1) };
}

/** What to write to empty it, for advice: `x.clear()` for a Map or Set, `x.length = 0` for a list. */
function emptying(code: string, kind: Growth['kind']): string {
  if (kind === 'map' || kind === 'set') return `\`${code}.clear()\``;
  if (kind === 'array') return `\`${code}.length = 0\``;
  return `\`${code} = {}\``;
}

const ADVICE: Record<RegistryPattern, (code: string, kind: Growth['kind']) => string> = {
  'unique-keys': (code, kind) =>
    `Its keys are new on every call, so nothing is ever overwritten: clear it after you aggregate (${emptying(code, kind)} once the numbers are reported), key it by operation name with running totals (count, sum, max), or bound it.`,
  'per-key-list': (code, kind) =>
    `Each key keeps every duration ever pushed: keep running totals (count, sum, min, max) or a histogram with fixed buckets per key instead of the list, or clear the lists after you report them (${emptying(code, kind)}).`,
  list: (code, kind) =>
    `It keeps every timing ever recorded: aggregate as you go (count, sum, a histogram with fixed buckets), keep a fixed-size window (a ring buffer), or clear it after you report (${emptying(code, kind)}).`,
};

const HANDLE_ADVICE = (code: string) =>
  `It keeps the timer handles it is given, after they fire: remove each one from \`${code}\` when its timer fires or is cleared (in the callback and next to clearTimeout); a handle keeps its callback and everything that closes over alive.`;

const DESCRIPTION: Record<RegistryPattern, string> = {
  'unique-keys': 'Timing registry',
  'per-key-list': 'Per-key timing list',
  list: 'Timing list',
};

// A number in a backing store: 8 bytes (doubles; small integers without pointer compression).
const NUMBER_BYTES = 8;

/**
 * Confidence that the growth goes on: the Mann–Kendall test of its counts. A backing store grows by
 * doubling, so it stays flat for some steps of a steady leak: repeated values are merged first.
 */
function growthConfidence(ctx: DetectorContext, g: Growth): number {
  let counts = g.counts;
  if (g.unit === 'bytes') counts = counts.filter((c, i) => i === 0 || c !== counts[i - 1]);
  if (counts.length < 3) return 0.5;
  return 1 - ctx.stats.monotonicTrend(counts).pIncreasing;
}

/** Timing registries among the heap's growing collections. */
export async function registryFindings(ctx: DetectorContext, o: ResolvedTimersOptions): Promise<Finding[]> {
  const heap = ctx.heap;
  if (heap === undefined || heap.graphs.length < 3 || heap.growth.length === 0) return [];
  const last = heap.graphs[heap.graphs.length - 1]!;
  const perStep = iterationsPerStep(ctx);
  const out: Finding[] = [];
  // Paths print keys hashed, and keys that print alike (or a node without a printable key) give two
  // growths one path: their ids then carry the V8 object id, stable for the life of the process.
  const pathCount = new Map<string, number>();
  for (const g of heap.growth) pathCount.set(g.path, (pathCount.get(g.path) ?? 0) + 1);
  for (const found of heap.growth) {
    let verdict: RegistryVerdict;
    let g: Growth | undefined;
    try {
      g = liveGrowth(heap.graphs, found);
      if (g === undefined) continue;
      verdict = classifyRegistry(last, g, o.names);
    } catch {
      continue;
    }
    if (!verdict.registry) continue;
    if (ctx.signal?.aborted) break;
    const steps = g.counts.length - 1;
    const confidence = Math.max(0, Math.min(1, growthConfidence(ctx, g) * verdict.strength));
    const entries = g.unit === 'entries';
    // Lists of numbers show only in their backing store's bytes: their count is an estimate.
    const perStepObjects = entries ? g.countPerStep : g.countPerStep / NUMBER_BYTES;
    const perIteration = perStep === undefined ? undefined : perStepObjects / perStep;
    const lastCount = g.counts[g.counts.length - 1]!;
    const count = entries ? lastCount : Math.round(lastCount / NUMBER_BYTES);
    const growth: FindingGrowth = { bytes: g.bytes[g.bytes.length - 1] ?? 0, count };
    if (perStep !== undefined) {
      growth.bytesPerIteration = g.bytesPerStep / perStep;
      growth.objectsPerIteration = perIteration!;
    }
    const noun = verdict.pattern === 'unique-keys' ? 'entr' : entries ? 'element' : 'number';
    const plural = (n: number) =>
      noun === 'entr' ? (n === 1 ? 'entry' : 'entries') : n === 1 ? noun : `${noun}s`;
    const about = entries ? '' : '~';
    const rate =
      perIteration !== undefined
        ? `grows by ${about}${formatNumber(perIteration)} ${plural(perIteration)} per iteration`
        : `grows by ${about}${formatNumber(perStepObjects)} ${plural(perStepObjects)} per step`;
    const held = `${about}${formatNumber(count)} ${plural(count)}, +${formatBytes(growth.bytes!)} over ${steps} steps`;
    const code = pathCode(g.path);
    const finding: Finding = {
      id: (pathCount.get(g.path) ?? 0) > 1 ? `timers:${g.path} @${g.nodeId}` : `timers:${g.path}`,
      detector: 'timers',
      // Growth over three steps or more, vetted by findGrowth, of a collection recognised as a
      // registry: a leak. The generic finding about the same path, which this one replaces, says so
      // too; only a series of three graphs (two steps) is too short to be sure.
      severity: steps >= 3 ? 'leak' : 'warning',
      title: `${verdict.shape === 'timer-handle' ? 'Timer handle registry' : DESCRIPTION[verdict.pattern]} \`${g.path}\` ${rate} and is never cleared (${held})`,
      path: g.path,
      growth,
      confidence,
      advice: verdict.shape === 'timer-handle' ? HANDLE_ADVICE(code) : ADVICE[verdict.pattern](code, g.kind),
      evidence: {
        pattern: verdict.pattern,
        shape: verdict.shape,
        words: verdict.words,
        kind: g.kind,
        keys: g.keys,
        counts: g.counts,
        unit: g.unit,
        bytes: g.bytes,
        share: g.share,
        ...(entries ? {} : { estimated: 'count from backing-store bytes, 8 B per number' }),
        ...(perStep === undefined ? {} : { iterationsPerStep: perStep }),
      },
    };
    const site = g.file === undefined ? undefined : await declarationSite(g.file, g.path, g.line);
    if (site !== undefined) finding.site = site;
    out.push(finding);
  }
  return out;
}
