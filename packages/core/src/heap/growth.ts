import { describeValue, invalidOption, LeakkitError } from '../errors.js';
import type { ChainLink } from './chains.js';
import {
  ASYNC_PROMISE,
  chainAdvice,
  chainLength,
  directLinks,
  findLinks,
  isReaction,
  isSentinel,
  LinkFollower,
  linkSite,
  REACTION,
} from './chains.js';
import type { HeapGraphData } from './data.js';
import type { HeapGraph } from './graph.js';
import type { RenderOptions, SourceLocation } from './names.js';
import { displayFile, edgeName, findEdge, nodeKind, tableSlot, vocabulary } from './names.js';
import type { PathStep } from './paths.js';
import { pathToIndex } from './paths.js';
import { findPromiseChains } from './promise-chains.js';

// A weak candidate grows by at least this fraction of `minBytesPerStep` (64 B at the default).
const WEAK_FRACTION = 16;
// Weak candidates kept per series at most: each costs a retaining path.
const MAX_WEAK = 2000;
// Siblings that grow alike make one result from this many on (two keys stay two results).
const MIN_SIBLINGS = 3;

/**
 * What kind of thing grows. A `chain` is a linked structure that gets longer: each new object
 * holds the one before it (`head = new Node(head)`, a closure that captures the last value), so
 * nothing grows in place (see {@link Growth.link}).
 */
export type GrowthKind = 'map' | 'set' | 'array' | 'object' | 'string' | 'buffer' | 'chain';

/** One object or collection that keeps growing across a series of heap graphs. */
export interface Growth {
  /** V8 object id of the growing node in the last graph (pass it to `graph.pathTo`). */
  nodeId: number;
  /** What keeps it alive, as the developer wrote it: `TimerMetrics.timers`, `log.js › seen`. */
  path: string;
  /** The file that anchors the path (a module-scope variable's module, a class's file). */
  file?: string;
  /** 1-based line of the class or function that anchors the path. */
  line?: number;
  /** The retaining path, hop by hop. */
  steps: PathStep[];
  /**
   * Map, Set, Array, plain object (used as a map), string, binary data (an ArrayBuffer, or a
   * Buffer or typed array over one, replaced by bigger copies: counted in bytes), or a chain of
   * objects.
   */
  kind: GrowthKind;
  /** Constructor or class name: 'Map', 'Array', 'Object', 'Session'. */
  name: string;
  /**
   * How it was followed through the series: `'id'` the same object in every graph, `'path'` a new
   * object at the same place each time (`s = s + x`, `list = list.concat(…)`).
   */
  match: 'id' | 'path';
  /**
   * Per graph, in {@link Growth.unit}: entries (Map/Set entries, array elements, properties, the
   * elements of a chain), or
   * bytes for strings and for collections of numbers (small integers and doubles are not heap
   * objects, so the snapshot lists no entries for them: their backing store's size is followed).
   */
  counts: number[];
  /** What {@link Growth.counts} and {@link Growth.countPerStep} count. */
  unit: 'entries' | 'bytes';
  /** Bytes of objects created since the first graph and held through this node, per graph. */
  bytes: number[];
  /** Entries (or bytes, see {@link Growth.unit}) added per step of the series (mean). */
  countPerStep: number;
  /** Bytes added per step of the series (mean). */
  bytesPerStep: number;
  /** The part of the whole heap's growth between the first and last graph that this explains, 0..1. */
  share: number;
  /**
   * How many collections this growth stands for: 1, or the number of values of one Map (elements
   * of one array) that each grow alike, reported once with `*` for the key
   * (`RateLimiter.hits.get(*)`); `nodeId`, `steps` and `file` are then those of the largest,
   * `counts` and `bytes` the sums.
   */
  members: number;
  /**
   * For a Map or Set, what its keys (members) are, from its newest entries: object keys in a Map
   * that only grows often mean it should have been a WeakMap; string keys made per request, a cache
   * keyed by unbounded input. Absent for arrays, objects and strings.
   */
  keys?: KeyKind;
  /**
   * For a chain, how each element holds the one made before it, as code from one to the next:
   * `.someMethod › originalThing` (a closure of each element captures the previous one), `.prev`.
   * `path` names the newest element, `name` its class (or function).
   */
  link?: string;
  /**
   * For a chain whose link runs through a function made with each element, that function's
   * definition: the line that makes each element keep the last (`someMethod() {}` in the object
   * literal assigned to `theThing`, the `function wrapped` that calls the previous handler).
   */
  linkSite?: SourceLocation;
}

/**
 * What a growth's count counts, singular and plural: the promises of an async function's chain,
 * the reactions on a promise, a chain's links, an array's items, an object's properties; entries
 * (of a Map or Set) otherwise. Takes any `{ kind, name }` (a finding's `evidence.growth`).
 *
 * @example
 * ```ts
 * const [one, many] = growthUnit(growth); // ['link', 'links'] for a chain
 * ```
 */
export function growthUnit(g: { kind?: unknown; name?: unknown }): readonly [string, string] {
  if (g.kind === 'chain') {
    if (g.name === REACTION) return ['reaction', 'reactions'];
    if (g.name === ASYNC_PROMISE) return ['promise', 'promises'];
    return ['link', 'links'];
  }
  if (g.kind === 'array') return ['item', 'items'];
  if (g.kind === 'object') return ['property', 'properties'];
  return ['entry', 'entries'];
}

/**
 * What to do about a collection that only grows, by what it is: the generic finding's advice
 * (pattern detectors, `timers()` and `caches()`, know better for the patterns they recognise).
 *
 * @example
 * ```ts
 * growthAdvice(growth) // 'Items are pushed and never removed: clear it once they are processed …'
 * ```
 */
export function growthAdvice(g: Growth): string {
  switch (g.kind) {
    case 'map':
    case 'set': {
      const what = g.kind === 'map' ? 'Map' : 'Set';
      if (g.keys === 'object') {
        return `Entries keyed by objects are added and never removed: if they belong to those objects, make it a Weak${what}; otherwise delete each entry when its work is done.`;
      }
      return `Entries are added and never removed: delete each one when its work is done, or bound the ${what} (a cap with least-recently-used eviction, or a time to live).`;
    }
    case 'array':
      return 'Items are pushed and never removed: clear it once they are processed (aggregated, flushed, sent), or cap its length.';
    case 'object':
      return 'Properties are added and never deleted: use a Map and delete entries when their work is done, or bound it.';
    case 'string':
      return 'A string keeps being extended (`s += …`): write it out and reset it, or keep a bounded tail.';
    case 'buffer':
      return 'A Buffer keeps being replaced by a bigger copy (`Buffer.concat([acc, chunk])`): write the data out as it comes (a stream, a file) and start a new one, or keep a bounded tail.';
    case 'chain':
      return chainAdvice(g);
    default:
      return 'It only grows: release what it holds when the work is done, or bound it.';
  }
}

/**
 * Where a chain is fixed, as a finding's site: the definition of the function on its link (its
 * `linkSite`, the line that makes each element keep the last), not where its bytes are allocated.
 * Undefined for anything else, or when the snapshot gives no line.
 *
 * @example
 * ```ts
 * chainSite(growth) // { file: '/app/lib/revisions.js', line: 19, column: 5 }
 * ```
 */
export function chainSite(g: Growth): { file: string; line: number; column?: number } | undefined {
  const link = g.linkSite;
  if (g.kind !== 'chain' || link?.line === undefined) return undefined;
  return { file: link.file, line: link.line, ...(link.column === undefined ? {} : { column: link.column }) };
}

/** What the keys of a growing Map (or members of a Set) are. */
export type KeyKind = 'string' | 'number' | 'object' | 'symbol' | 'mixed';

/** Options of {@link findGrowth}. */
export interface GrowthOptions extends RenderOptions {
  /**
   * Least mean growth per step, in entries, for a collection to count as growing.
   * @default 1
   */
  minCountPerStep?: number;
  /**
   * Least mean growth per step, in bytes, for a string (or a collection of numbers, whose entries
   * the snapshot does not list) to count as growing.
   * @default 1024
   */
  minBytesPerStep?: number;
  /**
   * Most results returned, the largest first.
   * @default 20
   */
  limit?: number;
}

interface ResolvedGrowthOptions {
  minCountPerStep: number;
  minBytesPerStep: number;
  limit: number;
  strings: boolean;
}

function resolveOptions(options: GrowthOptions): ResolvedGrowthOptions {
  const num = (name: keyof GrowthOptions, value: unknown, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw invalidOption(name, 'a finite number ≥ 0', value);
    }
    return value;
  };
  const limit = num('limit', options.limit, 20);
  if (!Number.isInteger(limit)) throw invalidOption('limit', 'an integer ≥ 0', limit);
  return {
    minCountPerStep: num('minCountPerStep', options.minCountPerStep, 1),
    minBytesPerStep: num('minBytesPerStep', options.minBytesPerStep, 1024),
    limit,
    strings: options.strings === true,
  };
}

/**
 * The objects and collections that keep growing across three or more heap graphs of one process,
 * ranked by how much of the heap's growth each explains.
 *
 * What it finds: Maps, Sets, arrays, plain objects used as maps whose entries grow at (nearly) every
 * step, the same object in each graph (V8's ids are stable within a process); and strings, arrays
 * and objects that are replaced by a bigger one at the same place each step (`s = s + line`,
 * `list = list.concat(x)`), followed by their retaining path. Growth must be monotone-ish: no step
 * loses more than a tenth of what the others gain, most steps gain, and a single jump (a cache
 * warming up) is not growth.
 *
 * Nested growth is named where it happens: a Map with fixed keys whose arrays keep growing is
 * reported at each array (`timers.get("db")`), not at the Map; a collection is reported at an
 * ancestor only when the ancestor grows on its own (new entries), and the bytes of objects it holds
 * are counted once, at the deepest growing collection that holds them.
 *
 * leakkit's own objects (HeapGraph, its typed arrays and string table) are left out, so graphs kept
 * in the analysed process do not show up as growth.
 *
 * @param series - three or more graphs of the same process, oldest first.
 * @returns growing nodes, largest share first.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_ARGUMENT` for fewer than three graphs;
 * `ERR_LEAKKIT_INVALID_OPTION` for a bad option.
 *
 * @example
 * ```ts
 * import { writeHeapSnapshot } from 'node:v8';
 * import { findGrowth, HeapGraph } from '@leakkit/core/heap';
 *
 * const series = [];
 * for (let step = 0; step < 5; step++) {
 *   for (let i = 0; i < 1000; i++) handleRequest();
 *   // writeHeapSnapshot collects garbage first; the parsed graph lives in typed arrays.
 *   series.push(await HeapGraph.fromFile(writeHeapSnapshot()));
 * }
 * const [top] = findGrowth(series);
 * top?.path          // 'TimerMetrics.timers'
 * top?.countPerStep  // 1000 (entries per step)
 * top?.file          // '/app/log.js', with top.line the class's line
 * ```
 */
export function findGrowth(series: readonly HeapGraph[], options: GrowthOptions = {}): Growth[] {
  if (!Array.isArray(series) || series.length < 3) {
    throw new LeakkitError(
      'ERR_LEAKKIT_INVALID_ARGUMENT',
      `Expected an array of at least 3 heap graphs of one process, got \`${
        Array.isArray(series) ? `array(${series.length})` : describeValue(series)
      }\``,
    );
  }
  series.forEach((g, i) => {
    if (g === null || typeof g !== 'object' || typeof g.data !== 'object' || g.data === null) {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_ARGUMENT',
        `Expected series[${i}] to be a HeapGraph, got \`${describeValue(g)}\``,
      );
    }
  });
  const o = resolveOptions(options);
  const graphs = series.map((g) => g.data);
  const k = graphs.length;
  const last = graphs[k - 1]!;
  const first = graphs[0]!;
  const ownMark = markOwnObjects(last);

  // Per graph: each node's index in the first graph (-1: created since), built on first use.
  const firstIndexes: (Int32Array | undefined)[] = [];
  const inFirst = (g: number) => {
    firstIndexes[g] ??= indexMap(series[g]!, series[0]!);
    return firstIndexes[g];
  };
  // Per graph: scratch marks for walks (chains, bytes held), and which nodes a candidate counted.
  const walks: WalkState[] = graphs.map((g) => ({
    claimed: new Uint8Array(g.nodeCount),
    visited: new Uint32Array(g.nodeCount),
    stamp: 0,
  }));
  const candidates: Candidate[] = [];
  findByIdentity(series, o, ownMark, inFirst(k - 1), candidates);
  findByPlace(series, o, ownMark, inFirst(k - 1), walks, candidates);
  findChainsByIdentity(series, o, ownMark, inFirst(k - 1), walks, candidates);
  for (const chain of findPromiseChains(series, o.minCountPerStep, ownMark)) {
    if (!isGrowing(chain.lengths, o.minCountPerStep)) continue;
    // Named by the async function whose calls make it: the path to its newest promise goes
    // through whatever resumes the call (a timer, a socket) and changes every round.
    const fn = chain.fn;
    const loc = fn?.location;
    const name = fn !== undefined && fn.name !== '' ? `${fn.name}()` : 'async function';
    candidates.push({
      kind: 'chain',
      match: 'path',
      unit: 'entries',
      indices: chain.heads,
      counts: chain.lengths,
      bytes: [],
      name: ASYNC_PROMISE,
      place: {
        text: loc !== undefined ? `${displayFile(loc.file)} › ${name}` : name,
        link: `return ${name}`,
        ...(loc !== undefined ? { site: loc } : {}),
      },
    });
  }

  // Bytes: objects new since the first graph held through each candidate, deepest candidates
  // first so an ancestor does not count its descendants' growth again.
  const depth = new Map<Candidate, number>();
  for (const c of candidates) {
    const path = pathToIndex(last, c.indices[k - 1]!, { strings: o.strings });
    c.path = path;
    depth.set(c, path ? path.steps.length : 0);
  }
  const retained = siblingGroups(
    candidates.filter((c) => c.path !== undefined),
    o.minBytesPerStep,
  );
  retained.sort((a, b) => depth.get(b.members[0]!)! - depth.get(a.members[0]!)!);
  for (const group of retained) {
    for (const c of group.members) {
      c.bytes = graphs.map((g, i) => {
        if (i === 0) return 0;
        // A chain that grows at its far end: its new part starts at its first new element.
        const start =
          c.kind === 'chain' && c.match === 'id' && c.name !== REACTION
            ? firstNewLink(g, inFirst(i), c, i)
            : c.indices[i]!;
        return start < 0 ? 0 : newBytesHeldBy(g, inFirst(i), start, walks[i]!);
      });
    }
  }
  const merged = retained.map(({ members }) => mergeSiblings(members));

  let heapGrowth = 0;
  {
    // Graphs the caller keeps (the series itself) are growth of the analysis, not of the program.
    const firstOwn = markOwnObjects(first);
    let before = 0;
    for (let n = 0; n < first.nodeCount; n++) if (!firstOwn[n]) before += first.nodeSelfSize[n]!;
    let after = 0;
    for (let n = 0; n < last.nodeCount; n++) if (!ownMark[n]) after += last.nodeSelfSize[n]!;
    heapGrowth = after - before;
  }
  let explained = 0;
  for (const c of merged) explained += c.bytes[k - 1]!;
  const denominator = Math.max(heapGrowth, explained, 1);

  const results: Growth[] = retained.map(({ members, text }, r) => {
    const c = merged[r]!;
    const path = c.path!;
    const counts = c.counts;
    const growth: Growth = {
      nodeId: last.nodeId[c.indices[k - 1]!]!,
      path: text,
      steps: path.steps,
      kind: c.kind,
      name: last.strings.get(last.nodeName[c.indices[k - 1]!]!),
      match: c.match,
      counts,
      unit: c.unit,
      bytes: c.bytes,
      countPerStep: (counts[k - 1]! - counts[0]!) / (k - 1),
      bytesPerStep: c.bytes[k - 1]! / (k - 1),
      share: Math.min(1, Math.max(0, c.bytes[k - 1]! / denominator)),
      members: members.length,
    };
    if (growth.kind === 'string') growth.name = 'string';
    if (c.name !== undefined) growth.name = c.name;
    if (c.link !== undefined) {
      growth.link = c.link.text;
      const site = linkSite(last, c.indices[k - 1]!, c.link);
      if (site !== undefined) growth.linkSite = site;
    }
    if (c.place !== undefined) {
      growth.link = c.place.link;
      if (c.place.site !== undefined) {
        growth.linkSite = c.place.site;
        growth.file = c.place.site.file;
        if (c.place.site.line !== undefined) growth.line = c.place.site.line;
      }
    } else {
      if (path.file !== undefined) growth.file = path.file;
      if (path.line !== undefined) growth.line = path.line;
    }
    if (c.kind === 'map' || c.kind === 'set') {
      const keys = keyKind(last, c.indices[k - 1]!, c.kind);
      if (keys !== undefined) growth.keys = keys;
    }
    return growth;
  });
  results.sort((a, b) => b.share - a.share || b.countPerStep - a.countPerStep);
  return results.slice(0, o.limit);
}

/** One result to be: a candidate, or siblings that grow alike under one holder (the largest first). */
interface Group {
  members: Candidate[];
  /** The path as printed: the candidate's, or the siblings' with `*` for the key. */
  text: string;
}

/** A group's candidate: the one, or the siblings' counts and bytes summed on the largest one's place. */
function mergeSiblings(members: readonly Candidate[]): Candidate {
  const top = members[0]!;
  if (members.length === 1) return top;
  const sum = (pick: (c: Candidate) => number[]) =>
    pick(top).map((_, i) => members.reduce((t, c) => t + (pick(c)[i] ?? 0), 0));
  return { ...top, counts: sum((c) => c.counts), bytes: sum((c) => c.bytes) };
}

/**
 * Values of one holder (a Map's values, an array's elements) that grow alike become one group,
 * printed with `*` for the key, from {@link MIN_SIBLINGS} on or when they are weak (each under the
 * minimum, together above it). Weak candidates left alone are dropped.
 */
function siblingGroups(candidates: readonly Candidate[], minBytesPerStep: number): Group[] {
  const single = (c: Candidate): Group => ({ members: [c], text: c.place?.text ?? c.path!.text });
  const byKey = new Map<string, Candidate[]>();
  const groups: Group[] = [];
  for (const c of candidates) {
    const key = siblingKey(c);
    if (key === undefined) {
      if (!c.weak) groups.push(single(c));
      continue;
    }
    const list = byKey.get(key);
    if (list) list.push(c);
    else byKey.set(key, [c]);
  }
  for (const [key, list] of byKey) {
    const strong = list.filter((c) => !c.weak);
    const grown = (c: Candidate) => c.counts[c.counts.length - 1]! - c.counts[0]!;
    // Weak members count when the siblings' summed sizes grow as one collection of numbers must.
    const sums = list[0]!.counts.map((_, i) => list.reduce((t, c) => t + (c.counts[i] ?? 0), 0));
    const together =
      list.length >= MIN_SIBLINGS &&
      (strong.length === list.length || isGrowing(sums, minBytesPerStep, true));
    if (!together) {
      for (const c of strong) groups.push(single(c));
      continue;
    }
    list.sort((a, b) => grown(b) - grown(a));
    groups.push({ members: list, text: key.slice(key.indexOf('\0') + 1) });
  }
  return alikeGroups(groups);
}

// A key in a printed path: a Map value's `.get(…)` (a JSON string, or `<…>` for anything else) or an
// array element's `[n]`.
const KEY_STEP = /\.get\((?:"(?:[^"\\]|\\.)*"|<[^<>]*>|\*)\)|\[(?:\d+|\*)\]/g;

/**
 * Groups whose paths differ only in keys, anywhere along them (`index.get("a").children`,
 * `index.get("b").children`), are one result from {@link MIN_SIBLINGS} collections on: the per-node
 * collections of a tree that only grows (a trie's `children`), per-session arrays. The path keeps
 * the keys they share and writes the others `*`.
 */
function alikeGroups(groups: Group[]): Group[] {
  const byPattern = new Map<string, Group[]>();
  const out: Group[] = [];
  for (const g of groups) {
    const c = g.members[0]!;
    if (g.text.search(KEY_STEP) < 0) {
      out.push(g);
      continue;
    }
    const key = `${c.kind}/${c.unit}\0${g.text.replace(KEY_STEP, (k) => (k.startsWith('[') ? '[*]' : '.get(*)'))}`;
    const list = byPattern.get(key);
    if (list) list.push(g);
    else byPattern.set(key, [g]);
  }
  for (const list of byPattern.values()) {
    const members = list.flatMap((g) => g.members);
    if (list.length < 2 || members.length < MIN_SIBLINGS) {
      out.push(...list);
      continue;
    }
    const grown = (c: Candidate) => c.counts[c.counts.length - 1]! - c.counts[0]!;
    members.sort((a, b) => grown(b) - grown(a));
    // Keys the paths share stay; the others are `*`.
    const keys = list.map((g) => [...g.text.matchAll(KEY_STEP)].map((m) => m[0]));
    let i = 0;
    const text = list[0]!.text.replace(KEY_STEP, (k) => {
      const at = i++;
      if (keys.every((ks) => ks[at] === k)) return k;
      return k.startsWith('[') ? '[*]' : '.get(*)';
    });
    out.push({ members, text });
  }
  return out;
}

/**
 * What siblings share: the kind, the unit and the path up to a last step that is a Map value
 * (`.get(…)`) or an array element (`[…]`), that step written `*`. Undefined for any other path.
 */
function siblingKey(c: Candidate): string | undefined {
  if (c.place !== undefined) return undefined;
  const path = c.path!;
  const steps = path.steps;
  const lastStep = steps[steps.length - 1];
  if (lastStep === undefined || steps.length < 2) return undefined;
  const text = path.text;
  let cut = -1;
  let star = '';
  if (text.endsWith(']') && lastStep.edgeType === 'element') {
    cut = text.lastIndexOf('[');
    star = '[*]';
  } else if (text.endsWith(')')) {
    cut = text.lastIndexOf('.get(');
    star = '.get(*)';
  }
  if (cut <= 0) return undefined;
  return `${c.kind}/${c.unit}/${steps[steps.length - 2]!.nodeId}\0${text.slice(0, cut)}${star}`;
}

interface Candidate {
  kind: GrowthKind;
  match: 'id' | 'path';
  unit: 'entries' | 'bytes';
  /** Node index of the growing node in each graph. */
  indices: number[];
  counts: number[];
  bytes: number[];
  path?: ReturnType<typeof pathToIndex>;
  /** For a chain: how one element holds the next. */
  link?: ChainLink;
  /** The name to report when it is not the node's own (a promise's reactions: `PromiseReaction`). */
  name?: string;
  /**
   * What is reported instead of the path to the node, for growth no retaining path names (an
   * async function's chain of promises): the text, the link and the site.
   */
  place?: { text: string; link: string; site?: SourceLocation };
  /**
   * Grows too little to count alone (a backing store of numbers under the per-step minimum): counts
   * only with siblings that grow alike, together above the minimum (see {@link siblingGroups}).
   */
  weak?: boolean;
}

/**
 * Whether a series of measurements grows steadily enough to call it growth. `stepwise` is for
 * backing-store sizes, which grow by doubling and so stay flat for some steps of a steady leak.
 */
function isGrowing(values: readonly number[], minPerStep: number, stepwise = false): boolean {
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
  const total = values[values.length - 1]! - values[0]!;
  // A leak gains at most steps; one jump is a warm-up, not a trend.
  const needUp = Math.max(Math.min(2, steps), Math.ceil((stepwise ? 0.5 : 0.6) * steps));
  return up >= needUp && lost <= 0.1 * gained && total >= minPerStep * steps && total > 0;
}

function neverShrinks(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i]! < values[i - 1]!) return false;
  return true;
}

/** Entries of a growable node: Map/Set entries, array elements, own properties. */
function entryCount(data: HeapGraphData, n: number, kind: GrowthKind): number {
  const v = vocabulary(data);
  if (kind === 'map' || kind === 'set') {
    const te = findEdge(data, n, v.edge.internal, v.name.table);
    if (te < 0) return 0;
    const table = data.edgeTo[te]!;
    const stride = kind === 'map' ? 3 : 2;
    let count = 0;
    let lastEntry = -1;
    for (let e = data.firstEdge[table]!; e < data.firstEdge[table + 1]!; e++) {
      // A deleted entry keeps its slots until the table is rehashed, pointing at the hole.
      if (data.nodeName[data.edgeTo[e]!] === v.name.hole) continue;
      const slot = tableSlot(data, table, e, stride);
      if (slot && slot.entry !== lastEntry) {
        count++;
        lastEntry = slot.entry;
      }
    }
    return count;
  }
  let count = 0;
  for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
    const t = data.edgeType[e]!;
    if (t === v.edge.element) count++;
    else if (kind === 'object' && t === v.edge.property && data.edgeNameOrIndex[e] !== v.name.proto) count++;
  }
  if (kind === 'object') {
    // An object used as a map turns into a dictionary; properties holding numbers have no
    // property edge then, but every key is a string slot of the dictionary.
    const pe = findEdge(data, n, v.edge.internal, v.name.properties);
    if (pe >= 0) count = Math.max(count, dictionaryKeys(data, data.edgeTo[pe]!));
  }
  return count;
}

/**
 * Keys of a NameDictionary ("(object properties)"): its entries are (key, value, details) slot
 * triples, keys are always heap objects (strings, symbols) and the lowest used slot is a key, so
 * the slots in its residue class modulo 3 are the keys.
 */
function dictionaryKeys(data: HeapGraphData, dict: number): number {
  const v = vocabulary(data);
  if (data.nodeType[dict] !== v.type.array) return 0;
  let min = Number.POSITIVE_INFINITY;
  const end = data.firstEdge[dict + 1]!;
  for (let e = data.firstEdge[dict]!; e < end; e++) {
    if (data.edgeType[e] !== v.edge.internal) continue;
    const slot = slotNumber(data, data.edgeNameOrIndex[e]!);
    if (slot >= 0 && slot < min) min = slot;
  }
  if (min === Number.POSITIVE_INFINITY) return 0;
  let keys = 0;
  for (let e = data.firstEdge[dict]!; e < end; e++) {
    if (data.edgeType[e] !== v.edge.internal || data.nodeName[data.edgeTo[e]!] === v.name.hole) continue;
    const slot = slotNumber(data, data.edgeNameOrIndex[e]!);
    if (slot >= 0 && (slot - min) % 3 === 0) keys++;
  }
  return keys;
}

/** The number an internal edge named "17" stands for, or -1 for any other name. */
function slotNumber(data: HeapGraphData, nameIndex: number): number {
  const { bytes, offsets } = data.strings;
  const start = offsets[nameIndex];
  const end = offsets[nameIndex + 1];
  if (start === undefined || end === undefined || end === start || end - start > 9) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The kind of the keys of the newest (up to 64) entries of a Map or Set. A Map entry with a value
 * slot but no key slot has a small-integer key, which is no heap object.
 */
function keyKind(data: HeapGraphData, n: number, kind: 'map' | 'set'): KeyKind | undefined {
  const v = vocabulary(data);
  const te = findEdge(data, n, v.edge.internal, v.name.table);
  if (te < 0) return undefined;
  const table = data.edgeTo[te]!;
  const stride = kind === 'map' ? 3 : 2;
  const symbolType = data.nodeTypeNames.indexOf('symbol');
  const seen = new Set<KeyKind>();
  let entries = 0;
  let pendingEntry = -1;
  let pendingHasKey = false;
  const flush = () => {
    if (pendingEntry >= 0 && !pendingHasKey) seen.add('number');
  };
  // Slots come in table order, oldest entry first; walk from the end for the newest.
  for (let e = data.firstEdge[table + 1]! - 1; e >= data.firstEdge[table]!; e--) {
    const slot = tableSlot(data, table, e, stride);
    if (!slot) continue;
    if (slot.entry !== pendingEntry) {
      flush();
      // Stop between entries, never between an entry's value and its key.
      if (entries === 64) {
        pendingEntry = -1;
        break;
      }
      pendingEntry = slot.entry;
      pendingHasKey = false;
      entries++;
    }
    if (slot.slot !== 'key') continue;
    pendingHasKey = true;
    const key = data.edgeTo[e]!;
    const t = data.nodeType[key]!;
    const k = nodeKind(data, key);
    seen.add(k === 'string' ? 'string' : k === 'number' ? 'number' : t === symbolType ? 'symbol' : 'object');
  }
  flush();
  if (seen.size === 0) return entries === 0 ? undefined : 'number';
  return seen.size === 1 ? [...seen][0] : 'mixed';
}

/** Self size plus backing stores (hash table, elements, out-of-object properties). */
function ownBytes(data: HeapGraphData, n: number): number {
  const v = vocabulary(data);
  let bytes = data.nodeSelfSize[n]!;
  for (const name of [v.name.table, v.name.elements, v.name.properties]) {
    const e = findEdge(data, n, v.edge.internal, name);
    if (e >= 0) bytes += data.nodeSelfSize[data.edgeTo[e]!]!;
  }
  return bytes;
}

/**
 * The bytes of binary data: an ArrayBuffer's backing store (a native node of the buffer's size,
 * outside the JS heap), reached from the ArrayBuffer itself or from a typed array, Buffer or
 * DataView over it. -1 when `n` is none of those. A small Buffer is a view of Node's shared 8 KiB
 * pool and reads as the pool's size; the Buffers that grow are beyond it.
 */
function bufferBytes(data: HeapGraphData, n: number): number {
  const v = vocabulary(data);
  if (data.nodeType[n] !== v.type.object) return -1;
  let store = findEdge(data, n, v.edge.internal, v.name.backingStore);
  if (store < 0) {
    const buffer = findEdge(data, n, v.edge.internal, v.name.buffer);
    if (buffer < 0) return -1;
    store = findEdge(data, data.edgeTo[buffer]!, v.edge.internal, v.name.backingStore);
    if (store < 0) return -1;
  }
  return data.nodeSelfSize[data.edgeTo[store]!]!;
}

/** String length in bytes, through concatenations (`a + b` makes a tree) and slices. */
function stringBytes(data: HeapGraphData, n: number): number {
  const v = vocabulary(data);
  const stack = [n];
  const seen = new Set<number>();
  let total = 0;
  while (stack.length > 0 && seen.size < 100_000) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    const t = data.nodeType[s]!;
    if (t === v.type.consString || t === v.type.slicedString) {
      for (let e = data.firstEdge[s]!; e < data.firstEdge[s + 1]!; e++) {
        const name = data.edgeNameOrIndex[e]!;
        if (
          data.edgeType[e] === v.edge.internal &&
          (name === v.name.first || name === v.name.second || name === v.name.parent)
        ) {
          stack.push(data.edgeTo[e]!);
        }
      }
    } else total += data.nodeSelfSize[s]!;
  }
  return total;
}

function growthKind(data: HeapGraphData, n: number): GrowthKind | undefined {
  const kind = nodeKind(data, n);
  return kind === 'map' || kind === 'set' || kind === 'array' || kind === 'object' || kind === 'string'
    ? kind
    : undefined;
}

/** The same object (by V8 id) in every graph, with entries or own bytes that keep growing. */
function findByIdentity(
  series: readonly HeapGraph[],
  o: ResolvedGrowthOptions,
  own: Uint8Array,
  lastInFirst: Int32Array,
  out: Candidate[],
): void {
  const graphs = series.map((g) => g.data);
  const k = graphs.length;
  const last = graphs[k - 1]!;
  const first = graphs[0]!;
  const minCount = o.minCountPerStep * (k - 1);
  // Backing stores of numbers that grow less than `minBytesPerStep`: kept as weak candidates, for
  // siblings (per-key arrays of timestamps, each a few hundred bytes a step) to add up.
  const weakPerStep = o.minBytesPerStep / WEAK_FRACTION;
  const weakBytes = weakPerStep * (k - 1);
  let weak = 0;
  for (let n = 0; n < last.nodeCount; n++) {
    if (own[n]) continue;
    const kind = growthKind(last, n);
    if (kind === undefined || kind === 'string') continue;
    const countLast = entryCount(last, n, kind);
    // Backing-store bytes only matter when the snapshot lists no entries (numbers).
    const bytesLast = countLast === 0 ? ownBytes(last, n) : 0;
    if (countLast < minCount && bytesLast < weakBytes) continue;
    const i0 = lastInFirst[n]!;
    if (i0 < 0 || growthKind(first, i0) !== kind) continue;
    // Cheap rejection on the first graph before touching the middle ones.
    const byCount = countLast >= minCount && countLast - entryCount(first, i0, kind) >= minCount;
    const byBytes = countLast === 0 && bytesLast - ownBytes(first, i0) >= weakBytes;
    if (!byCount && !byBytes) continue;
    const indices = sameObject(series, lastInFirst, n);
    if (indices === undefined) continue;
    const counts = indices.map((i, g) => entryCount(graphs[g]!, i, kind));
    if (byCount && isGrowing(counts, o.minCountPerStep)) {
      if (heldByOwnObjects(last, n, kind, own)) continue;
      out.push({ kind, match: 'id', unit: 'entries', indices, counts, bytes: [] });
    } else if (byBytes) {
      // Numbers are not heap objects: a Map or array of them grows only in its backing store.
      const sizes = indices.map((i, g) => ownBytes(graphs[g]!, i));
      if (isGrowing(sizes, o.minBytesPerStep, true)) {
        out.push({ kind, match: 'id', unit: 'bytes', indices, counts: sizes, bytes: [] });
      } else if (weak < MAX_WEAK && sizes[k - 1]! - sizes[0]! >= weakBytes && neverShrinks(sizes)) {
        // A backing store that grows a little reallocates rarely: flat in most steps. Siblings'
        // reallocations fall in different steps, so their sum is judged (see siblingGroups).
        weak++;
        out.push({ kind, match: 'id', unit: 'bytes', indices, counts: sizes, bytes: [], weak: true });
      }
    }
  }
}

/**
 * A new object at the same place in every graph (same holder by id, same property or variable),
 * each one bigger than the last: strings built by concatenation, arrays rebuilt with `concat`; or
 * each one the head of a longer chain (see chains.ts).
 */
function findByPlace(
  series: readonly HeapGraph[],
  o: ResolvedGrowthOptions,
  own: Uint8Array,
  lastInFirst: Int32Array,
  walks: readonly WalkState[],
  out: Candidate[],
): void {
  const graphs = series.map((g) => g.data);
  const k = graphs.length;
  const last = graphs[k - 1]!;
  const v = vocabulary(last);
  const seenTargets = new Set<number>();
  for (const c of out) seenTargets.add(c.indices[k - 1]!);
  // Heads already searched for a link: a node held from several places is searched once.
  const searched = new Set<number>();

  // `locate(g)`: the node at the same place in graph g, or -1. A new object at a place gets bigger
  // (`grows`) or heads a longer chain (`lengthens`); chains only where the holder is the same object
  // in every graph, the only places whose old values can be found again.
  const consider = (t: number, locate: (g: number) => number, holderSurvives: boolean, holder = -1) => {
    if (seenTargets.has(t) || own[t]) return;
    if (lastInFirst[t]! >= 0) return; // the same object: not replaced
    // Binary data replaced by a bigger copy (`acc = Buffer.concat([acc, chunk])`) grows in its
    // backing store, not in properties: measured as bytes.
    const kind = bufferBytes(last, t) >= 0 ? 'buffer' : growthKind(last, t);
    if (kind !== undefined && grows(t, kind, locate)) return;
    if (holderSurvives && !searched.has(t)) {
      searched.add(t);
      lengthens(t, locate, holder);
    }
  };

  const locateAll = (t: number, locate: (g: number) => number, same: (g: number, i: number) => boolean) => {
    const indices: number[] = [];
    for (let g = 0; g < k - 1; g++) {
      const tg = locate(g);
      if (tg < 0 || !same(g, tg)) return undefined;
      indices.push(tg);
    }
    indices.push(t);
    return indices;
  };

  const grows = (t: number, kind: GrowthKind, locate: (g: number) => number): boolean => {
    const inBytes = kind === 'string' || kind === 'buffer';
    const measure = (g: HeapGraphData, i: number) =>
      kind === 'string' ? stringBytes(g, i) : kind === 'buffer' ? bufferBytes(g, i) : entryCount(g, i, kind);
    const min = inBytes ? o.minBytesPerStep : o.minCountPerStep;
    if (measure(last, t) < min * (k - 1)) return false;
    const same =
      kind === 'buffer'
        ? (g: number, i: number) => bufferBytes(graphs[g]!, i) >= 0
        : (g: number, i: number) => growthKind(graphs[g]!, i) === kind;
    const indices = locateAll(t, locate, same);
    if (indices === undefined) return false;
    const counts = indices.map((i, g) => measure(graphs[g]!, i));
    if (!isGrowing(counts, min)) return false;
    seenTargets.add(t);
    out.push({
      kind,
      match: 'path',
      unit: inBytes ? 'bytes' : 'entries',
      indices,
      counts,
      bytes: [],
    });
    return true;
  };

  const lengthens = (t: number, locate: (g: number) => number, holder: number) => {
    const walk = walks[k - 1]!;
    const links = findLinks(last, t, walk.visited, ++walk.stamp);
    if (links.length === 0) return;
    let link: ChainLink | undefined;
    let longest = 0;
    for (const l of links) {
      const { length, ring } = chainLength(last, t, new LinkFollower(last, l), walk.visited, ++walk.stamp);
      if (!ring && length > longest) {
        longest = length;
        link = l;
      }
    }
    if (link === undefined || longest - 1 < o.minCountPerStep * (k - 1)) return;
    const type = last.nodeTypeNames[last.nodeType[t]!];
    const name = last.strings.get(last.nodeName[t]!);
    const indices = locateAll(
      t,
      locate,
      (g, i) =>
        graphs[g]!.nodeTypeNames[graphs[g]!.nodeType[i]!] === type &&
        graphs[g]!.strings.get(graphs[g]!.nodeName[i]!) === name,
    );
    if (indices === undefined) return;
    const chosen = link;
    const counts = indices.map((i, g) => {
      const w = walks[g]!;
      return chainLength(graphs[g]!, i, new LinkFollower(graphs[g]!, chosen), w.visited, ++w.stamp).length;
    });
    if (!isGrowing(counts, o.minCountPerStep)) return;
    seenTargets.add(t);
    if (isReaction(last, t) && holder >= 0) {
      // A promise's reactions are reported at the promise, the same object in every graph: what
      // the program names (`shutdown`), where the newest reaction is one of V8's hidden objects.
      const promises = sameObject(series, lastInFirst, holder);
      if (promises !== undefined) {
        out.push({
          kind: 'chain',
          match: 'id',
          unit: 'entries',
          indices: promises,
          counts,
          bytes: [],
          link,
          name: REACTION,
        });
        return;
      }
    }
    out.push({ kind: 'chain', match: 'path', unit: 'entries', indices, counts, bytes: [], link });
  };

  for (let h = 0; h < last.nodeCount; h++) {
    if (own[h]) continue;
    const hk = nodeKind(last, h);
    const survives = lastInFirst[h]! >= 0;
    if (hk === 'map') {
      considerMapValues(series, h, (t, locate) => consider(t, locate, survives));
      continue;
    }
    if (hk !== 'object' && hk !== 'array' && hk !== 'context' && hk !== 'closure') continue;
    const id = last.nodeId[h]!;
    for (let e = last.firstEdge[h]!; e < last.firstEdge[h + 1]!; e++) {
      const et = last.edgeType[e]!;
      // A promise's newest pending reaction heads the list of them (see chains.ts).
      const reactions = et === v.edge.internal && last.edgeNameOrIndex[e] === v.name.reactionsOrResult;
      if (et !== v.edge.property && et !== v.edge.context && et !== v.edge.element && !reactions) continue;
      consider(
        last.edgeTo[e]!,
        (g) => {
          const hg = series[g]!.nodeIndexOf(id);
          return hg < 0 ? -1 : targetOf(graphs[g]!, hg, et, edgeName(last, e));
        },
        survives,
        h,
      );
    }
  }
}

/**
 * The same object (by id) at the head of a chain that gets longer at its other end: a linked list
 * appended at its tail and never cut (`tail.next = node; tail = node`), whose head stays. Heads
 * only: an element on another element's chain is part of that chain, and a chain already found
 * from a place (the list read from its new tail backwards) is not found again.
 */
function findChainsByIdentity(
  series: readonly HeapGraph[],
  o: ResolvedGrowthOptions,
  own: Uint8Array,
  lastInFirst: Int32Array,
  walks: readonly WalkState[],
  out: Candidate[],
): void {
  const graphs = series.map((g) => g.data);
  const k = graphs.length;
  const last = graphs[k - 1]!;
  const walk = walks[k - 1]!;
  // The elements of the chains found at places.
  const found = new Set<number>();
  for (const c of out) {
    if (c.link === undefined) continue;
    const follower = new LinkFollower(last, c.link);
    for (let x = c.indices[k - 1]!, i = 0; x >= 0 && !found.has(x) && i < c.counts[k - 1]!; i++) {
      found.add(x);
      x = follower.next(x);
    }
  }
  // Survivors linked straight to another of their kind, by link.
  const starts = new Map<string, { link: ChainLink; nodes: number[] }>();
  for (let n = 0; n < last.nodeCount; n++) {
    if (own[n] || lastInFirst[n]! < 0 || found.has(n)) continue;
    for (const link of directLinks(last, n)) {
      const entry = starts.get(link.text);
      if (entry) entry.nodes.push(n);
      else starts.set(link.text, { link, nodes: [n] });
    }
  }
  if (starts.size === 0) return;
  const minLinks = o.minCountPerStep * (k - 1);
  // Per node of the last graph: the start of the walk that took it (-1: none yet) and its place in
  // that walk. Typed arrays, not Maps: a linked list of a million elements (an LRU's) would make
  // Maps of hundreds of megabytes in the analysed process; these are 8 bytes a node, reset after
  // each link by walking again.
  const startOf = new Int32Array(last.nodeCount).fill(-1);
  const position = new Uint32Array(last.nodeCount);
  for (const { link, nodes } of starts.values()) {
    const follower = new LinkFollower(last, link);
    // Each element is walked once: a walk that meets an earlier walk's element takes that walk's
    // rest (and its start is no head).
    const length = new Map<number, number>();
    const notHead = new Set<number>();
    const rings = new Set<number>();
    for (const s of nodes) {
      if (startOf[s] !== -1) continue;
      const type = last.nodeType[s]!;
      const name = last.nodeName[s]!;
      let x = s;
      let pos = 0;
      let total = 0;
      let ring = false;
      for (;;) {
        startOf[x] = s;
        position[x] = pos++;
        const next = follower.next(x);
        if (next < 0) {
          total = pos;
          break;
        }
        if (last.nodeType[next] !== type || last.nodeName[next] !== name) {
          ring = isSentinel(last, follower, next, type, name);
          total = pos;
          break;
        }
        const other = startOf[next]!;
        if (other === s) {
          ring = true;
          total = pos;
          break;
        }
        if (other !== -1) {
          notHead.add(other);
          ring = rings.has(other);
          total = pos + length.get(other)! - position[next]!;
          break;
        }
        x = next;
      }
      length.set(s, total);
      if (ring) rings.add(s);
    }
    // Clean for the next link: each walk again, as far as its own part went.
    for (const s of length.keys()) {
      for (let x = s; x >= 0 && startOf[x] === s; x = follower.next(x)) startOf[x] = -1;
    }
    for (const [head, size] of length) {
      if (notHead.has(head) || rings.has(head) || size - 1 < minLinks) continue;
      const indices = sameObject(series, lastInFirst, head);
      if (indices === undefined) continue;
      const counts = indices.map((i, g) => {
        const w = g === k - 1 ? walk : walks[g]!;
        return chainLength(graphs[g]!, i, new LinkFollower(graphs[g]!, link), w.visited, ++w.stamp).length;
      });
      if (!isGrowing(counts, o.minCountPerStep)) continue;
      out.push({ kind: 'chain', match: 'id', unit: 'entries', indices, counts, bytes: [], link });
    }
  }
}

/**
 * Node `n` of the last graph in every graph of the series, by V8 id (first graph first), or
 * undefined when a graph lacks it.
 */
function sameObject(series: readonly HeapGraph[], lastInFirst: Int32Array, n: number): number[] | undefined {
  const k = series.length;
  const id = series[k - 1]!.data.nodeId[n]!;
  const indices = [lastInFirst[n]!];
  for (let g = 1; g < k - 1; g++) indices.push(series[g]!.nodeIndexOf(id));
  indices.push(n);
  return indices.every((i) => i >= 0) ? indices : undefined;
}

/** The first element of chain `c` in graph `g` (data) that is new since the first graph, or -1. */
function firstNewLink(data: HeapGraphData, inFirst: Int32Array, c: Candidate, g: number): number {
  const follower = new LinkFollower(data, c.link!);
  let x = c.indices[g]!;
  for (let i = 0; x >= 0 && i < c.counts[g]!; i++) {
    if (inFirst[x]! < 0) return x;
    x = follower.next(x);
  }
  return -1;
}

/**
 * Map values replaced under the same key (`m.set(k, m.get(k) + line)`): the place is the Map (by
 * id) and the key (a string by its contents, any other key by its id). Small-integer keys have no
 * node and are skipped.
 */
function considerMapValues(
  series: readonly HeapGraph[],
  map: number,
  consider: (t: number, locate: (g: number) => number) => void,
): void {
  const last = series[series.length - 1]!.data;
  const v = vocabulary(last);
  const te = findEdge(last, map, v.edge.internal, v.name.table);
  if (te < 0) return;
  const table = last.edgeTo[te]!;
  const id = last.nodeId[map]!;
  // Per graph, built on first use: key → value node of this Map.
  const valuesByKey: (Map<string, number> | undefined)[] = [];
  const keyOf = (data: HeapGraphData, keyNode: number) =>
    nodeKind(data, keyNode) === 'string'
      ? `s${data.strings.get(data.nodeName[keyNode]!)}`
      : `o${data.nodeId[keyNode]}`;
  let keyNode = -1;
  let keyEntry = -1;
  for (let e = last.firstEdge[table]!; e < last.firstEdge[table + 1]!; e++) {
    const slot = tableSlot(last, table, e, 3);
    if (!slot) continue;
    if (slot.slot === 'key') {
      keyNode = last.edgeTo[e]!;
      keyEntry = slot.entry;
      continue;
    }
    if (keyEntry !== slot.entry) continue; // a small-integer key
    const kn = keyNode;
    consider(last.edgeTo[e]!, (g) => {
      const key = keyOf(last, kn);
      let values = valuesByKey[g];
      if (values === undefined) {
        values = new Map();
        valuesByKey[g] = values;
        const data = series[g]!.data;
        const vg = vocabulary(data);
        const mg = series[g]!.nodeIndexOf(id);
        const tg = mg < 0 ? -1 : findEdge(data, mg, vg.edge.internal, vg.name.table);
        if (tg >= 0) {
          const tab = data.edgeTo[tg]!;
          let k = -1;
          let ke = -1;
          for (let x = data.firstEdge[tab]!; x < data.firstEdge[tab + 1]!; x++) {
            const sl = tableSlot(data, tab, x, 3);
            if (!sl) continue;
            if (sl.slot === 'key') {
              k = data.edgeTo[x]!;
              ke = sl.entry;
            } else if (ke === sl.entry) values.set(keyOf(data, k), data.edgeTo[x]!);
          }
        }
      }
      return values.get(key) ?? -1;
    });
  }
}

/** The target of `holder`'s edge of type `edgeType` named `name` (decoded: string tables differ). */
function targetOf(data: HeapGraphData, holder: number, edgeType: number, name: string): number {
  if (edgeType < 0) return -1;
  for (let e = data.firstEdge[holder]!; e < data.firstEdge[holder + 1]!; e++) {
    if (data.edgeType[e] === edgeType && edgeName(data, e) === name) return data.edgeTo[e]!;
  }
  return -1;
}

/**
 * Bytes of objects that are new since `first` and held through `start` in `data`: a walk from
 * `start` that enters only new objects (and `start`'s own backing stores), so an old object in the
 * way, with its own growth, stops it. Objects already claimed by a deeper candidate are not counted
 * again.
 */
function newBytesHeldBy(data: HeapGraphData, inFirst: Int32Array, start: number, walk: WalkState): number {
  const v = vocabulary(data);
  const { claimed, visited } = walk;
  // A fresh stamp per walk: no clearing of the per-node array between candidates.
  const stamp = ++walk.stamp;
  const stack = [start];
  visited[start] = stamp;
  let walked = 0;
  let bytes = 0;
  const startIsNew = inFirst[start]! < 0;
  if (startIsNew && !claimed[start]) {
    claimed[start] = 1;
    bytes += data.nodeSelfSize[start]!;
  }
  while (stack.length > 0 && walked++ < 4_000_000) {
    const n = stack.pop()!;
    for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
      const et = data.edgeType[e]!;
      if (et === v.edge.weak || et === v.edge.shortcut) continue;
      const name = data.edgeNameOrIndex[e]!;
      if (et === v.edge.property && name === v.name.proto) continue;
      if (et === v.edge.internal && name === v.name.map) continue;
      const t = data.edgeTo[e]!;
      if (visited[t] === stamp) continue;
      const tt = data.nodeType[t]!;
      if (tt === v.type.code || tt === v.type.objectShape || tt === v.type.synthetic) continue;
      const isNew = inFirst[t]! < 0;
      // A closure made since the first graph is held here with its context and what that captures
      // (handlers pushed per request): counted. One that was already there is the program's code.
      if (tt === v.type.closure && !isNew) continue;
      visited[t] = stamp;
      const backingStore =
        n === start &&
        et === v.edge.internal &&
        (name === v.name.table || name === v.name.elements || name === v.name.properties);
      if (!isNew && !backingStore) continue;
      if (isNew && !claimed[t]) {
        claimed[t] = 1;
        bytes += data.nodeSelfSize[t]!;
      }
      stack.push(t);
    }
  }
  return bytes;
}

/**
 * For every node of `from`, the index of the node with the same V8 id in `to`, or -1. V8 writes
 * nodes in id order, so this is usually one merge pass over two sorted id arrays; otherwise a
 * lookup per node.
 */
function indexMap(from: HeapGraph, to: HeapGraph): Int32Array {
  const a = from.data.nodeId;
  const b = to.data.nodeId;
  const out = new Int32Array(a.length).fill(-1);
  if (isAscending(a) && isAscending(b)) {
    let j = 0;
    for (let i = 0; i < a.length; i++) {
      const id = a[i]!;
      while (j < b.length && b[j]! < id) j++;
      if (j < b.length && b[j] === id) out[i] = j;
    }
  } else {
    for (let i = 0; i < a.length; i++) out[i] = to.nodeIndexOf(a[i]!);
  }
  return out;
}

function isAscending(ids: Uint32Array): boolean {
  for (let i = 1; i < ids.length; i++) if (ids[i]! <= ids[i - 1]!) return false;
  return true;
}

/** Per graph: which nodes a candidate already counted, and the scratch marks of one walk. */
interface WalkState {
  claimed: Uint8Array;
  visited: Uint32Array;
  stamp: number;
}

/**
 * Marks leakkit's own objects in a graph: HeapGraph and StringTable instances and what they hold a
 * few hops down (the data object, its typed arrays and name lists). Their growth is the analysis
 * looking at itself.
 */
function markOwnObjects(data: HeapGraphData): Uint8Array {
  const v = vocabulary(data);
  const marked = new Uint8Array(data.nodeCount);
  const own = [v.name.HeapGraph, v.name.StringTable, v.name.HeapGraphBuilt, v.name.StringTableBuilt].filter(
    (i) => i >= 0,
  );
  if (own.length === 0) return marked;
  let frontier: number[] = [];
  for (let n = 0; n < data.nodeCount; n++) {
    if (data.nodeType[n] === v.type.object && own.includes(data.nodeName[n]!)) {
      marked[n] = 1;
      frontier.push(n);
    }
  }
  // Five hops reach a graph's typed arrays' buffers and their backing stores.
  for (let depth = 0; depth < 5 && frontier.length > 0; depth++) {
    const next: number[] = [];
    for (const n of frontier) {
      for (let e = data.firstEdge[n]!; e < data.firstEdge[n + 1]!; e++) {
        const et = data.edgeType[e]!;
        if (et === v.edge.weak || (et === v.edge.property && data.edgeNameOrIndex[e] === v.name.proto))
          continue;
        const t = data.edgeTo[e]!;
        if (marked[t] || data.nodeType[t] === v.type.objectShape || data.nodeType[t] === v.type.closure)
          continue;
        // Past three hops only buffers and their backing stores: the bulk of a graph's memory,
        // and nothing that could be the program's.
        if (depth >= 3 && data.nodeType[t] !== v.type.native && data.nodeName[t] !== v.name.ArrayBuffer)
          continue;
        marked[t] = 1;
        next.push(t);
      }
    }
    frontier = next;
  }
  return marked;
}

/** A collection whose entries are mostly leakkit's own graphs (a test's `series.push(graph)`). */
function heldByOwnObjects(data: HeapGraphData, n: number, kind: GrowthKind, own: Uint8Array): boolean {
  const v = vocabulary(data);
  let holder = n;
  if (kind === 'map' || kind === 'set') {
    const te = findEdge(data, n, v.edge.internal, v.name.table);
    if (te < 0) return false;
    holder = data.edgeTo[te]!;
  }
  let mine = 0;
  let total = 0;
  for (let e = data.firstEdge[holder]!; e < data.firstEdge[holder + 1]! && total < 64; e++) {
    const et = data.edgeType[e]!;
    if (et !== v.edge.element && et !== v.edge.property && et !== v.edge.internal) continue;
    if (
      et !== v.edge.element &&
      (data.edgeNameOrIndex[e] === v.name.proto || data.edgeNameOrIndex[e] === v.name.map)
    ) {
      continue;
    }
    total++;
    if (own[data.edgeTo[e]!]) mine++;
  }
  return total > 0 && mine * 2 >= total;
}
