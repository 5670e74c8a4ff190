/**
 * The exact evidence of `checkBounded`: heap graphs taken at round boundaries of one process,
 * compared by V8 object id.
 *
 * 1. Every object of the last graph gets its birth round: the first graph that holds its id.
 * 2. Objects born during the measured rounds and still alive are the survivors. They are grouped
 *    by what holds them: the nearest object that already existed before the rounds (an array, a
 *    Map, a scope's variable), found where old objects point into the survivors.
 * 3. A group is the program's when most of its allocation stacks run through the program's code
 *    (not leakkit's, not only Node's or a library's own event handling); V8 keeps the stack of
 *    most objects, not all, so stacks vote rather than decide one by one.
 * 4. A group is growth, not a cache filling up or a value being replaced, when the objects born in
 *    each early round are still alive at the end and what holds them (or one of its dominators)
 *    retains more objects, or more bytes, after every round. Collections whose growth only shows
 *    in their backing store (numbers in an array) are confirmed by reading their live size
 *    ({@link ProbeRequest}).
 */
import type { HeapGraphData } from '../heap/data.js';
import { nodesSortedById } from '../heap/diff.js';
import type { HeapGraph } from '../heap/graph.js';
import {
  displayFile,
  findEdge,
  functionLocation,
  isIdentifier,
  nodeKind,
  vocabulary,
} from '../heap/names.js';
import type { RetainingPath } from '../heap/paths.js';
import { pathToIndex } from '../heap/paths.js';
import { isOwn } from '../tracing/source.js';
import type { TraceFrame } from './traces.js';
import { TraceReader } from './traces.js';

/** Where survivors of one group were allocated. */
export interface SiteCount {
  frame: TraceFrame;
  count: number;
  bytes: number;
}

/** Survivors held by one pre-existing object, and whether what holds them grows. */
export interface SurvivorGroup {
  /** Node index of the holder in the last graph. */
  anchor: number;
  /** V8 id of the holder. */
  anchorId: number;
  /** Its retaining path in the last graph. */
  path: RetainingPath | undefined;
  /** What the holder is: 'array', 'map', 'context', 'object', … */
  kind: string;
  /** Objects per birth round (index 0: round 1). */
  objects: number[];
  /** Bytes per birth round, backing stores included. */
  bytes: number[];
  /** Bytes of the objects alone (no backing stores) per birth round. */
  objectBytes: number[];
  /** Constructor or type names of the survivors, most frequent first. */
  names: [string, number][];
  /** Allocation sites, most objects first. */
  sites: SiteCount[];
  /** Node indices of a few survivors (for detectors and debugging). */
  sample: number[];
  /**
   * Where the kept functions are defined (1-based, in the code V8 ran), when most survivors are
   * functions made per call: a more exact site than the allocating function's statement.
   */
  definition?: { url: string; line: number; column: number };
  /** The object whose retained set grows (the holder or a dominator of it), by V8 id. */
  grower?: number;
  /** Entries of the holder (a collection), per graph, when they confirmed the growth. */
  entries?: number[];
  /** Objects retained by {@link grower}, per graph (index 0: before round 1). */
  retainedObjects?: number[];
  /** Bytes retained by {@link grower}, per graph. */
  retainedBytes?: number[];
  /** How the growth was confirmed, when it was. */
  confirmed?: 'objects' | 'bytes' | 'size';
  /** Live sizes read by the probe (`length` / `size` / keys), when one ran. */
  sizes?: number[];
}

/** A holder whose growth only its live size can show; the caller reads it over more rounds. */
export interface ProbeRequest {
  group: SurvivorGroup;
  /** V8 id of the collection to read. */
  id: number;
}

/** What {@link analyse} found. */
export interface Analysis {
  /** Groups confirmed as growth. */
  growing: SurvivorGroup[];
  /** Groups with survivors whose growth was not confirmed (saturating, replaced, one-off). */
  other: SurvivorGroup[];
  /** Groups that need a live-size probe before a verdict. */
  probes: ProbeRequest[];
  /** Survivors counted (program-allocated, alive at the end), per birth round. */
  survivors: number[];
  /** Whether allocation stacks were available (sites and the program/leakkit split). */
  traced: boolean;
}

const NOT_DATA = 0;
const OBJECT = 1;
const STORE = 2;

/**
 * Per node of `data`: OBJECT for things a program makes (objects, closures, strings, numbers,
 * scopes), STORE for backing stores (elements, hash tables: bytes that follow growth, but not
 * objects a developer counts), NOT_DATA for V8's own (code, hidden classes, feedback, roots).
 */
function classify(data: HeapGraphData): Uint8Array {
  const v = vocabulary(data);
  const out = new Uint8Array(data.nodeCount);
  const types = data.nodeTypeNames;
  const countable = new Set(
    [
      'object',
      'closure',
      'regexp',
      'number',
      'string',
      'concatenated string',
      'sliced string',
      'symbol',
      'bigint',
    ]
      .map((t) => types.indexOf(t))
      .filter((t) => t >= 0),
  );
  for (let n = 0; n < data.nodeCount; n++) {
    const t = data.nodeType[n]!;
    // Size 0: no allocation, a node the snapshot makes up (small integers, their printed values),
    // with a fresh id in every snapshot.
    if (data.nodeSelfSize[n] === 0) continue;
    if (countable.has(t)) {
      if (t === v.type.object) {
        const kind = nodeKind(data, n);
        if (kind === 'internal') continue;
      }
      out[n] = OBJECT;
    } else if (t === v.type.array) out[n] = STORE;
  }
  return out;
}

/**
 * Per node of `last`: the first graph of the series holding its id (0..k; k: born in the last
 * round), and its node index in that graph.
 */
function birthRounds(series: readonly HeapGraph[]): { birth: Uint8Array; index: Uint32Array } {
  const k = series.length - 1;
  const last = series[k]!.data;
  const birth = new Uint8Array(last.nodeCount).fill(k);
  const index = new Uint32Array(last.nodeCount);
  for (let n = 0; n < last.nodeCount; n++) index[n] = n;
  const lastOrder = nodesSortedById(last);
  for (let g = k - 1; g >= 0; g--) {
    const data = series[g]!.data;
    const order = nodesSortedById(data);
    let j = 0;
    for (let i = 0; i < lastOrder.length; i++) {
      const n = lastOrder[i]!;
      const id = last.nodeId[n]!;
      while (j < order.length && data.nodeId[order[j]!]! < id) j++;
      if (j < order.length && data.nodeId[order[j]!] === id) {
        birth[n] = g;
        index[n] = order[j]!;
      }
    }
  }
  return { birth, index };
}

/** Per node: objects (OBJECT nodes) in its dominator subtree, itself included. */
function retainedCounts(graph: HeapGraph, kinds: Uint8Array): Float64Array {
  const { idom, preorder, reachableCount } = graph.dominators;
  const counts = new Float64Array(graph.data.nodeCount);
  for (let i = reachableCount - 1; i >= 1; i--) {
    const n = preorder[i]!;
    if (kinds[n] === OBJECT) counts[n]! += 1;
    counts[idom[n]!]! += counts[n]!;
  }
  return counts;
}

/**
 * Per node: its distance from the root and how it is held (0 by the program's roots, 1 only from
 * the stack or handle scopes, 2 a root category itself, 3 not reached). Holders are ranked by it:
 * the nearest one the program holds names the growth, like the retaining-path search does.
 */
function rootDistances(data: HeapGraphData): { depth: Uint32Array; rank: Uint8Array; parent: Int32Array } {
  const v = vocabulary(data);
  const n = data.nodeCount;
  const depth = new Uint32Array(n).fill(0xffffffff);
  const rank = new Uint8Array(n).fill(3);
  const parent = new Int32Array(n).fill(-1);
  const queue = new Uint32Array(n);
  const late: number[] = [];
  let head = 0;
  let tail = 0;
  const isLate = (t: number) => {
    if (data.nodeType[t] !== v.type.synthetic) return false;
    const name = data.strings.get(data.nodeName[t]!);
    return name === '(Stack roots)' || name === '(Handle scope)';
  };
  const drain = (tier: number) => {
    while (head < tail) {
      const from = queue[head++]!;
      for (let e = data.firstEdge[from]!; e < data.firstEdge[from + 1]!; e++) {
        const et = data.edgeType[e]!;
        if (et === v.edge.weak || et === v.edge.shortcut) continue;
        const t = data.edgeTo[e]!;
        if (depth[t] !== 0xffffffff) continue;
        if (tier === 0 && isLate(t)) {
          late.push(t);
          continue;
        }
        depth[t] = depth[from]! + 1;
        rank[t] = data.nodeType[t] === v.type.synthetic ? 2 : tier;
        parent[t] = from;
        queue[tail++] = t;
      }
    }
  };
  depth[data.rootIndex] = 0;
  rank[data.rootIndex] = 2;
  queue[tail++] = data.rootIndex;
  drain(0);
  for (const t of late) {
    if (depth[t] !== 0xffffffff) continue;
    depth[t] = 2;
    rank[t] = 2;
    queue[tail++] = t;
  }
  drain(1);
  return { depth, rank, parent };
}

/** Options of {@link analyse}. */
export interface AnalyseOptions {
  /** Iterations run in each round (between graph i and i + 1). */
  iterations: readonly number[];
  /** Print Map keys' contents in paths. */
  strings: boolean;
}

/**
 * Finds the program's surviving objects and what grows, from graphs taken before the first round
 * and after each round (at least three graphs). See the module comment.
 */
export function analyse(series: readonly HeapGraph[], options: AnalyseOptions): Analysis {
  const k = series.length - 1;
  const lastGraph = series[k]!;
  const last = lastGraph.data;
  const v = vocabulary(last);
  const { birth, index: birthIndex } = birthRounds(series);
  const kinds = classify(last);
  // An object's allocation stack is read from the first graph that holds it: V8 keeps a trace
  // through the snapshot right after the allocation, but later garbage collections that compact
  // the old generation can drop it (measured on Node 20 in a vitest worker).
  const readers: (TraceReader | undefined)[] = [];
  const readerOf = (g: number) => {
    readers[g] ??= new TraceReader(series[g]!.data);
    return readers[g]!;
  };
  const traced = readerOf(k).available;
  const traceOf = (n: number): { reader: TraceReader; trace: number } => {
    const g = birth[n]!;
    return { reader: readerOf(g), trace: series[g]!.data.nodeTraceId?.[birthIndex[n]!] ?? 0 };
  };

  // Survivors: born in a round, data (not V8's code, maps and feedback).
  const inS = new Uint8Array(last.nodeCount);
  const survivors = new Array<number>(k).fill(0);
  // V8's allocation stacks are not reliable object by object: it drops the stack of some objects
  // (all of one round's, at times) even in the first snapshot after the allocation, and an object
  // allocated where a dead one was can inherit the dead one's stack (measured on Node 20, with any
  // tier, with or without pretenuring). So stacks do not pick survivors one by one: every new
  // object is grouped, and each group is judged by the majority of its stacks.
  const verdicts = new Uint8Array(last.nodeCount); // 0 no stack, 1 the program's, 2 someone else's
  for (let n = 0; n < last.nodeCount; n++) {
    if (birth[n] === 0 || kinds[n] === NOT_DATA) continue;
    if (traced) {
      const { reader, trace } = traceOf(n);
      if (trace !== 0) verdicts[n] = reader.verdict(trace).user ? 1 : 2;
    }
    inS[n] = 1;
  }
  // Entries: survivors held directly by an object that existed before the rounds. The holder the
  // retaining-path search would pick wins: not a root category, the shortest path.
  const { depth, rank, parent } = rootDistances(last);
  const better = (a: number, b: number) => rank[a]! - rank[b]! || depth[a]! - depth[b]!;
  const anchorOf = new Int32Array(last.nodeCount).fill(-1);
  // The edge an entry is held by, from its holder: a scope's variables are told apart by it.
  const entryEdge = new Int32Array(last.nodeCount).fill(-1);
  // Per survivor: the entry it hangs off.
  const entryOf = new Int32Array(last.nodeCount).fill(-1);
  const entries: number[] = [];
  for (let p = 0; p < last.nodeCount; p++) {
    if (birth[p] !== 0) continue;
    const end = last.firstEdge[p + 1]!;
    for (let e = last.firstEdge[p]!; e < end; e++) {
      const et = last.edgeType[e]!;
      if (et === v.edge.weak || et === v.edge.shortcut) continue;
      const t = last.edgeTo[e]!;
      if (!inS[t]) continue;
      const current = anchorOf[t]!;
      if (current < 0) {
        anchorOf[t] = p;
        entryEdge[t] = e;
        entries.push(t);
        continue;
      }
      if (better(p, current) < 0) {
        anchorOf[t] = p;
        entryEdge[t] = e;
      }
    }
  }
  // The rest of the survivors belong to the holder of the entry they hang off: one breadth-first
  // walk inside the survivors, entries with the best holders first.
  entries.sort((a, b) => better(anchorOf[a]!, anchorOf[b]!));
  const queue = new Uint32Array(last.nodeCount);
  let head = 0;
  let tail = 0;
  for (const t of entries) {
    queue[tail++] = t;
    entryOf[t] = t;
  }
  while (head < tail) {
    const n = queue[head++]!;
    const anchor = anchorOf[n]!;
    const entry = entryOf[n]!;
    const end = last.firstEdge[n + 1]!;
    for (let e = last.firstEdge[n]!; e < end; e++) {
      const et = last.edgeType[e]!;
      if (et === v.edge.weak || et === v.edge.shortcut) continue;
      const t = last.edgeTo[e]!;
      if (!inS[t] || anchorOf[t]! >= 0) continue;
      anchorOf[t] = anchor;
      entryOf[t] = entry;
      queue[tail++] = t;
    }
  }

  // Group by holder, a backing store counting as the collection that owns it.
  const holderCache = new Map<number, number>();
  const holderOf = (anchor: number): number => {
    const known = holderCache.get(anchor);
    if (known !== undefined) return known;
    // Up the breadth-first tree from a backing store (or any of V8's own objects) to the first
    // object a developer would name: the collection that owns the store.
    let h = anchor;
    for (let up = 0; up < 16 && nodeKind(last, h) === 'internal'; up++) {
      const p: number = parent[h]!;
      if (p < 0 || last.nodeType[p] === v.type.synthetic) break;
      h = p;
    }
    if (nodeKind(last, h) === 'internal') h = anchor;
    holderCache.set(anchor, h);
    return h;
  };
  interface Building {
    group: SurvivorGroup;
    names: Map<string, number>;
    sites: Map<string, SiteCount>;
    /** ArrayBuffers' sites: V8 makes a typed array's buffer when it is first used, not where the array is made. */
    bufferSites: Map<string, SiteCount>;
    storeSites: Map<string, SiteCount>;
    /** Survivors whose stack is the program's, and whose stack is someone else's. */
    mine: number;
    theirs: number;
    /** A survivor whose path names the group (a scope's variable), else the holder. */
    named: number;
    closures: number;
    closure: number;
  }
  const groups = new Map<string, Building>();
  const addSite = (map: Map<string, SiteCount>, n: number, size: number) => {
    const { reader, trace } = traceOf(n);
    const site = trace === 0 ? undefined : reader.verdict(trace).site;
    if (!site) return;
    const key = `${site.scriptId}:${site.url}:${site.line}:${site.column}`;
    const s = map.get(key);
    if (s) {
      s.count++;
      s.bytes += size;
    } else map.set(key, { frame: site, count: 1, bytes: size });
  };
  for (let n = 0; n < last.nodeCount; n++) {
    if (!inS[n]) continue;
    const anchor = anchorOf[n]!;
    if (anchor < 0) continue;
    const holder = holderOf(anchor);
    // A scope holds unrelated things in its variables: one group per variable.
    const scoped = nodeKind(last, holder) === 'context' && holder === anchor;
    const entry = entryOf[n]!;
    const key = scoped
      ? `${holder}:${last.edgeType[entryEdge[entry]!]}:${last.edgeNameOrIndex[entryEdge[entry]!]}`
      : `${holder}`;
    let b = groups.get(key);
    if (b === undefined) {
      b = {
        group: {
          anchor: holder,
          anchorId: last.nodeId[holder]!,
          path: undefined,
          kind: scoped ? 'context' : nodeKind(last, holder),
          objects: new Array<number>(k).fill(0),
          bytes: new Array<number>(k).fill(0),
          objectBytes: new Array<number>(k).fill(0),
          names: [],
          sites: [],
          sample: [],
        },
        names: new Map(),
        sites: new Map(),
        bufferSites: new Map(),
        storeSites: new Map(),
        mine: 0,
        theirs: 0,
        named: scoped ? entry : holder,
        closures: 0,
        closure: -1,
      };
      groups.set(key, b);
    }
    if (verdicts[n] === 1) b.mine++;
    else if (verdicts[n] === 2) b.theirs++;
    const round = birth[n]! - 1;
    const size = last.nodeSelfSize[n]!;
    b.group.bytes[round]! += size;
    if (kinds[n] !== OBJECT) {
      // A backing store's site matters when no object survived (numbers in an array).
      addSite(b.storeSites, n, size);
      continue;
    }
    b.group.objects[round]! += 1;
    b.group.objectBytes[round]! += size;
    if (b.group.sample.length < 16) b.group.sample.push(n);
    const kind = nodeKind(last, n);
    if (kind === 'closure') {
      b.closures++;
      b.closure = n;
    }
    const name = kind === 'string' ? 'string' : last.strings.get(last.nodeName[n]!) || kind;
    b.names.set(name, (b.names.get(name) ?? 0) + 1);
    addSite(name === 'ArrayBuffer' ? b.bufferSites : b.sites, n, size);
  }

  // Verdicts. Retained counts per graph are computed once, on first need.
  const kindsPerGraph: (Uint8Array | undefined)[] = [];
  const countsPerGraph: (Float64Array | undefined)[] = [];
  const retained = (g: number) => {
    if (countsPerGraph[g] === undefined) {
      kindsPerGraph[g] = g === k ? kinds : classify(series[g]!.data);
      countsPerGraph[g] = retainedCounts(series[g]!, kindsPerGraph[g]!);
    }
    return countsPerGraph[g]!;
  };
  const growing: SurvivorGroup[] = [];
  const other: SurvivorGroup[] = [];
  const probes: ProbeRequest[] = [];
  for (const {
    group,
    names,
    sites,
    bufferSites,
    storeSites,
    mine,
    theirs,
    named,
    closures,
    closure,
  } of groups.values()) {
    const total = sum(group.objects);
    const totalBytes = sum(group.bytes);
    if (total === 0 && totalBytes === 0) continue;
    // Only backing stores are new (no object survived): numbers or small integers in a
    // collection, whose live size a probe reads.
    const probe = PROBED_KINDS.has(group.kind) && total === 0;
    const candidate = pattern(group) !== undefined || probe;
    if (!candidate) {
      // Saturating, replaced or one-off: kept for the record when it is surely the program's.
      if (!traced || mine > theirs) other.push(group);
      continue;
    }
    group.names = [...names].sort((a, b) => b[1] - a[1]);
    const bySize = (a: SiteCount, b: SiteCount) => b.count - a.count || b.bytes - a.bytes;
    const objectSites = sites.size > 0 ? sites : bufferSites;
    group.sites = [...(objectSites.size > 0 ? objectSites : storeSites).values()].sort(bySize);
    // Only objects whose stack V8 kept are counted per site; every survivor is counted in the
    // group. Site counts are scaled to the group's, so that a site's line adds up with it.
    if (objectSites.size > 0) {
      const tracedCount = group.sites.reduce((t, s) => t + s.count, 0);
      const scale = tracedCount > 0 ? total / tracedCount : 1;
      if (scale !== 1) {
        group.sites = group.sites.map((s) => ({
          frame: s.frame,
          count: Math.round(s.count * scale),
          bytes: Math.round(s.bytes * scale),
        }));
      }
    }
    // Functions made per call (listeners, callbacks, closures linked in a chain) are created
    // where they are written: their own definition is the most exact site there is.
    if (closure >= 0 && closures * 3 >= total) {
      const loc = functionLocation(last, closure);
      if (loc?.line !== undefined)
        group.definition = { url: loc.file, line: loc.line, column: loc.column ?? 1 };
    }
    group.path = renderPath(lastGraph, named, options.strings);
    // Whose growth it is. leakkit's own graphs and bookkeeping are told apart by the file that
    // holds them. Held by the program's own file (a module's variable, a class's static), it is
    // the program's whatever the stacks say; otherwise the program's stacks must be there, and not
    // be outnumbered ten to one (V8 drops stacks, and lends a dead object's stack to a new one).
    const file = group.path?.file;
    if (file !== undefined && isOwnFile(file)) continue;
    const programFile = file !== undefined && isProgramFile(file);
    if (traced && !programFile && !(mine > 0 && mine * 10 >= theirs)) continue;
    if (!probe && confirm(series, group, retained, options.iterations)) growing.push(group);
    else {
      other.push(group);
      if (probe) probes.push({ group, id: group.anchorId });
    }
  }
  growing.sort((a, b) => sum(b.objects) - sum(a.objects) || sum(b.bytes) - sum(a.bytes));
  for (const g of [...growing, ...other]) {
    for (let i = 0; i < k; i++) survivors[i]! += g.objects[i]!;
  }
  return { growing, other, probes, survivors, traced };
}

/**
 * The retaining path of node `n`, with one repair: a variable of a block scope (the module body of
 * code vitest runs is one) is a hidden context slot in the snapshot, which paths print as the
 * scope's holder; its name is in the scope's ScopeInfo, at the same index.
 */
export function renderPath(graph: HeapGraph, n: number, strings: boolean): RetainingPath | undefined {
  const data = graph.data;
  const path = collapse(pathToIndex(data, n, { strings }));
  if (path === undefined || path.steps.length < 2) return path;
  const lastStep = path.steps[path.steps.length - 1]!;
  const context = path.steps[path.steps.length - 2]!;
  if (lastStep.edgeType !== 'hidden' || context.kind !== 'context') return path;
  const graphIndex = (id: number) => graph.nodeIndexOf(id);
  const c = graphIndex(context.nodeId);
  const v = vocabulary(data);
  const scopeInfo = c < 0 ? -1 : findEdge(data, c, v.edge.internal, v.name.scopeInfo);
  if (scopeInfo < 0) return path;
  const info = data.edgeTo[scopeInfo]!;
  let name = '';
  for (let e = data.firstEdge[info]!; e < data.firstEdge[info + 1]!; e++) {
    if (data.edgeType[e] === v.edge.hidden && String(data.edgeNameOrIndex[e]) === lastStep.edge) {
      const t = data.edgeTo[e]!;
      if (nodeKind(data, t) === 'string') name = data.strings.get(data.nodeName[t]!);
      break;
    }
  }
  if (!isIdentifier(name)) return path;
  // The file: the function that entered the scope (the closure before the context, past any
  // chain of outer scopes).
  let loc: ReturnType<typeof functionLocation>;
  for (let i = path.steps.length - 3; i >= 0 && loc === undefined; i--) {
    const step = path.steps[i]!;
    if (step.kind === 'context') continue;
    if (step.kind !== 'closure') break;
    const ownerIndex = graphIndex(step.nodeId);
    loc = ownerIndex < 0 ? undefined : functionLocation(data, ownerIndex);
  }
  const text = loc ? `${displayFile(loc.file)} › ${name}` : name;
  const repaired: RetainingPath = { text, steps: path.steps };
  if (loc) repaired.file = loc.file;
  return repaired;
}

/**
 * A path through a linked list repeats one hop per node (`head.next.next.next…`): runs of the same
 * hop print once, with their count.
 */
function collapse(path: RetainingPath | undefined): RetainingPath | undefined {
  if (path === undefined) return undefined;
  const text = path.text.replace(/((?:\.[A-Za-z_$][\w$]*|\[\d+\])){4,}/g, (run) => {
    const hops = run.match(/\.[A-Za-z_$][\w$]*|\[\d+\]/g) ?? [];
    const out: string[] = [];
    for (let i = 0; i < hops.length; ) {
      let j = i;
      while (j < hops.length && hops[j] === hops[i]) j++;
      out.push(j - i >= 4 ? `${hops[i]}…(×${j - i})` : hops.slice(i, j).join(''));
      i = j;
    }
    return out.join('');
  });
  return text === path.text ? path : { ...path, text };
}

/** Backing stores from this size up are worth a probe when heap sizes grew in steps. */
const LARGE_STORE_BYTES = 16 * 1024;

/**
 * Collections that existed before the heap-graph rounds and own a large backing store: the
 * candidates when heap sizes grew in steps and no object survived to say what grows. Numbers
 * appended to an array grow only its backing store, by half its size at a time; when no step
 * falls inside the heap-graph rounds, nothing in the graphs changes, and only its live size
 * (read by a probe over more rounds) shows the growth.
 */
export function largeCollections(series: readonly HeapGraph[], strings: boolean): ProbeRequest[] {
  const k = series.length - 1;
  const lastGraph = series[k]!;
  const last = lastGraph.data;
  const first = series[0]!;
  const v = vocabulary(last);
  const out: ProbeRequest[] = [];
  for (let n = 0; n < last.nodeCount && out.length < 32; n++) {
    const kind = nodeKind(last, n);
    if (!PROBED_KINDS.has(kind)) continue;
    let store = 0;
    for (const name of [v.name.elements, v.name.table, v.name.properties]) {
      const e = findEdge(last, n, v.edge.internal, name);
      if (e >= 0) store += last.nodeSelfSize[last.edgeTo[e]!]!;
    }
    if (store < LARGE_STORE_BYTES) continue;
    if (first.nodeIndexOf(last.nodeId[n]!) < 0) continue;
    const path = renderPath(lastGraph, n, strings);
    // Only the program's: not leakkit's, not Node's or a dependency's own tables.
    if (path?.file === undefined || !isProgramFile(path.file)) continue;
    const group: SurvivorGroup = {
      anchor: n,
      anchorId: last.nodeId[n]!,
      path,
      kind,
      objects: new Array<number>(k).fill(0),
      bytes: new Array<number>(k).fill(0),
      objectBytes: new Array<number>(k).fill(0),
      names: [],
      sites: [],
      sample: [],
    };
    group.bytes[k - 1] = store;
    out.push({ group, id: group.anchorId });
  }
  return out;
}

/** Holders whose live size a probe can read: `length`, `size` or their own keys. */
const PROBED_KINDS: ReadonlySet<string> = new Set(['array', 'map', 'set', 'object']);

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function isOwnFile(file: string): boolean {
  return isOwn(file) || /[\\/](?:@leakkit[\\/]core|packages[\\/]core)[\\/](?:src|dist)[\\/]/.test(file);
}

/** A file of the program under test: not Node's, not a dependency's, not leakkit's. */
function isProgramFile(file: string): boolean {
  return !file.startsWith('node:') && !/[\\/]node_modules[\\/]/.test(file) && !isOwnFile(file);
}

/**
 * Whether a series of per-round increments is linear growth: every round adds, and no round adds
 * less than a fifth of the largest (a cache filling up adds in the first rounds only; one lazy
 * initialisation adds once).
 */
export function isLinear(increments: readonly number[], least: number): boolean {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const d of increments) {
    if (!(d >= least)) return false;
    min = Math.min(min, d);
    max = Math.max(max, d);
  }
  return increments.length > 0 && min >= 0.2 * max;
}

/** Holders whose entries {@link heldEntries} counts. */
const ENTRY_KINDS: ReadonlySet<string> = new Set(['array', 'map', 'set', 'object']);

/**
 * What a collection holds: the program's objects it points to directly (elements, properties) or
 * through its backing stores (elements, hash table, out-of-object properties).
 */
function heldEntries(data: HeapGraphData, n: number): number {
  const v = vocabulary(data);
  let count = 0;
  const visit = (from: number, depth: number) => {
    for (let e = data.firstEdge[from]!; e < data.firstEdge[from + 1]!; e++) {
      const et = data.edgeType[e]!;
      if (et === v.edge.weak || et === v.edge.shortcut) continue;
      const name = data.edgeNameOrIndex[e]!;
      if (et === v.edge.property && name === v.name.proto) continue;
      const t = data.edgeTo[e]!;
      if (et === v.edge.internal) {
        if (
          depth === 0 &&
          (name === v.name.elements || name === v.name.table || name === v.name.properties)
        ) {
          visit(t, 1);
        } else if (depth === 1 && data.nodeType[t] !== v.type.array) {
          const kind = nodeKind(data, t);
          if (kind !== 'internal' && kind !== 'synthetic') count++;
        }
        continue;
      }
      if (et !== v.edge.element && et !== v.edge.property && et !== v.edge.hidden) continue;
      const kind = nodeKind(data, t);
      if (kind !== 'internal' && kind !== 'synthetic') count++;
    }
  };
  visit(n, 0);
  return count;
}

/**
 * The survivor pattern growth needs, cheap to check before any dominator: objects born in every
 * round but the last still alive (`'survive'`), or a value rebuilt in place (`log += line`), which
 * leaves one new object per place in the last round and none from earlier ones (`'rebuilt'`).
 */
function pattern(group: SurvivorGroup): 'survive' | 'rebuilt' | undefined {
  const k = group.objects.length;
  const early = group.objects.slice(0, k - 1);
  if (early.every((c) => c >= 1) && sum(group.objects) >= 3) return 'survive';
  const lastRound = group.objects[k - 1]!;
  if (sum(early) === 0 && lastRound >= 1 && lastRound <= 16) return 'rebuilt';
  return undefined;
}

/**
 * Confirms a group's growth: the survivors of every round but the last are still alive (they
 * outlived at least one later round), and the holder, or the nearest dominator of it that explains
 * the survivors, retains more objects after every round, in proportion to the rounds' iterations.
 * Strings rebuilt in place (`log += line`) leave no survivors from early rounds: their holder's
 * retained bytes grow instead.
 */
function confirm(
  series: readonly HeapGraph[],
  group: SurvivorGroup,
  retained: (g: number) => Float64Array,
  iterations: readonly number[],
): boolean {
  const k = series.length - 1;
  const last = series[k]!.data;
  const v = vocabulary(last);
  const kind = pattern(group);
  if (kind === undefined) return false;
  const objectsSurvive = kind === 'survive';
  const rebuilt = kind === 'rebuilt';
  // A collection first: its own entries, counted in every graph, need no dominator tree.
  if (objectsSurvive && ENTRY_KINDS.has(group.kind)) {
    const id = group.anchorId;
    const entries: number[] = [];
    for (let g = 0; g <= k; g++) {
      const i = series[g]!.nodeIndexOf(id);
      if (i < 0) break;
      entries.push(heldEntries(series[g]!.data, i));
    }
    const steps = entries.slice(1).map((c, i) => c - entries[i]!);
    if (entries.length === k + 1 && isLinear(steps, 1) && sum(steps) >= 0.2 * sum(group.objects)) {
      Object.assign(group, { grower: id, entries, confirmed: 'objects' });
      return true;
    }
  }
  const { idom } = series[k]!.dominators;
  const perIteration = (values: number[]) => values.slice(1).map((x, i) => (x - values[i]!) / iterations[i]!);
  let node = group.anchor;
  for (let level = 0; level < 8; level++) {
    if (last.nodeType[node] === v.type.synthetic || node === last.rootIndex) break;
    const id = last.nodeId[node]!;
    const counts: number[] = [];
    const bytes: number[] = [];
    for (let g = 0; g <= k; g++) {
      const i = g === k ? node : series[g]!.nodeIndexOf(id);
      if (i < 0) break;
      counts.push(retained(g)[i]!);
      bytes.push(series[g]!.dominators.retainedSize[i]!);
    }
    if (counts.length !== k + 1) break;
    const countSteps = counts.slice(1).map((c, i) => c - counts[i]!);
    // The grower must explain at least half of what survived, or it is growth of something else.
    if (objectsSurvive && isLinear(countSteps, 1) && sum(countSteps) >= 0.5 * sum(group.objects)) {
      Object.assign(group, {
        grower: id,
        retainedObjects: counts,
        retainedBytes: bytes,
        confirmed: 'objects',
      });
      return true;
    }
    const byteSteps = bytes.slice(1).map((b, i) => b - bytes[i]!);
    // A value rebuilt in place grows where it is held: the holder itself, not a dominator whose
    // growth may be anything else's.
    if (rebuilt && level === 0 && isLinear(byteSteps, 8) && perIteration(bytes).every((r) => r >= 1)) {
      Object.assign(group, { grower: id, retainedObjects: counts, retainedBytes: bytes, confirmed: 'bytes' });
      return true;
    }
    const up = idom[node]!;
    if (up === node) break;
    node = up;
  }
  return false;
}
