import type { HeapGraphData } from './data.js';

/**
 * What a node is, as a developer thinks of it. Collections get their own kinds because growth and
 * path rendering treat them differently; everything V8 keeps for itself is `'internal'`.
 */
export type NodeKind =
  | 'map'
  | 'set'
  | 'weakmap'
  | 'weakset'
  | 'array'
  | 'object'
  | 'string'
  | 'closure'
  | 'context'
  | 'number'
  | 'synthetic'
  | 'internal';

/**
 * Type and name indices a walk over a graph compares against, looked up once per graph so hot loops
 * compare small integers instead of decoding strings. `-1` means "not in this snapshot".
 */
export interface HeapVocabulary {
  /** Node type indices. */
  readonly type: {
    readonly hidden: number;
    readonly array: number;
    readonly string: number;
    readonly object: number;
    readonly code: number;
    readonly closure: number;
    readonly number: number;
    readonly native: number;
    readonly synthetic: number;
    readonly consString: number;
    readonly slicedString: number;
    readonly objectShape: number;
  };
  /** Edge type indices. */
  readonly edge: {
    readonly context: number;
    readonly element: number;
    readonly property: number;
    readonly internal: number;
    readonly hidden: number;
    readonly shortcut: number;
    readonly weak: number;
  };
  /** String-table indices of the names the walks care about. */
  readonly name: Readonly<Record<VocabularyName, number>>;
}

// Keys are how the code refers to a name; values are the strings looked up. `proto` stands for
// `__proto__`, which cannot be an ordinary key of a plain object.
const VOCABULARY_NAMES = {
  Map: 'Map',
  Set: 'Set',
  WeakMap: 'WeakMap',
  WeakSet: 'WeakSet',
  Array: 'Array',
  Object: 'Object',
  Generator: 'Generator',
  Promise: 'Promise',
  Module: 'Module',
  global: 'global',
  systemContext: 'system / Context',
  table: 'table',
  context: 'context',
  shared: 'shared',
  script: 'script',
  scriptOrDebugInfo: 'script_or_debug_info',
  scopeInfo: 'scope_info',
  function: 'function',
  map: 'map',
  elements: 'elements',
  properties: 'properties',
  proto: '__proto__',
  prototype: 'prototype',
  previous: 'previous',
  exports: 'exports',
  filename: 'filename',
  first: 'first',
  second: 'second',
  parent: 'parent',
  HeapGraph: 'HeapGraph',
  StringTable: 'StringTable',
  // The bundler names a class that refers to itself `_Name` (`var HeapGraph = class _HeapGraph`),
  // and V8 reports that inner name as the constructor: the built package's own objects.
  HeapGraphBuilt: '_HeapGraph',
  StringTableBuilt: '_StringTable',
  globalObject: 'global / ',
  ArrayBuffer: 'ArrayBuffer',
  registers: 'parameters_and_registers',
  sourceTextModule: 'system / SourceTextModule',
  cell: 'system / Cell',
  value: 'value',
  // What a deleted Map/Set entry or dictionary slot points at on V8 12+ (Node 24 measured).
  hole: 'system / Hole',
  // A promise's pending reactions: a list from the newest, each holding the next by hidden slot 0.
  reactionsOrResult: 'reactions_or_result',
  // An ArrayBuffer's bytes (a native node sized as the buffer), and a typed array's ArrayBuffer.
  backingStore: 'backing_store',
  buffer: 'buffer',
  promiseReaction: 'system / PromiseReaction',
} as const;

/** A name {@link HeapVocabulary} resolves to a string index. */
export type VocabularyName = keyof typeof VOCABULARY_NAMES;

const vocabularies = new WeakMap<HeapGraphData, HeapVocabulary>();

/**
 * The type and name indices of one graph (computed once, cached per {@link HeapGraphData}).
 *
 * @example
 * ```ts
 * const v = vocabulary(graph.data);
 * if (graph.data.nodeType[n] === v.type.closure && graph.data.nodeName[n] === v.name.Map) { … }
 * ```
 */
export function vocabulary(data: HeapGraphData): HeapVocabulary {
  const cached = vocabularies.get(data);
  if (cached) return cached;
  const nt = (name: string) => data.nodeTypeNames.indexOf(name);
  const et = (name: string) => data.edgeTypeNames.indexOf(name);
  const v: HeapVocabulary = {
    type: {
      hidden: nt('hidden'),
      array: nt('array'),
      string: nt('string'),
      object: nt('object'),
      code: nt('code'),
      closure: nt('closure'),
      number: nt('number'),
      native: nt('native'),
      synthetic: nt('synthetic'),
      consString: nt('concatenated string'),
      slicedString: nt('sliced string'),
      objectShape: nt('object shape'),
    },
    edge: {
      context: et('context'),
      element: et('element'),
      property: et('property'),
      internal: et('internal'),
      hidden: et('hidden'),
      shortcut: et('shortcut'),
      weak: et('weak'),
    },
    name: findStrings(data, VOCABULARY_NAMES),
  };
  vocabularies.set(data, v);
  return v;
}

/**
 * Finds the string-table index of each name in one pass over the table, comparing byte lengths
 * first: decoding millions of strings to find thirty would cost more than the walk it serves.
 */
function findStrings<K extends string>(
  data: HeapGraphData,
  names: Readonly<Record<K, string>>,
): Record<K, number> {
  const encoder = new TextEncoder();
  const keys = Object.keys(names) as K[];
  const wanted = keys.map((k) => encoder.encode(names[k]));
  const found = new Int32Array(keys.length).fill(-1);
  // Candidates by byte length, in an array: a Map lookup per string of a multi-million string table
  // cost more than the rest of the loop.
  let longest = 0;
  for (const w of wanted) longest = Math.max(longest, w.length);
  const byLength: (number[] | undefined)[] = new Array(longest + 1).fill(undefined);
  wanted.forEach((bytes, i) => {
    const list = byLength[bytes.length] ?? [];
    list.push(i);
    byLength[bytes.length] = list;
  });
  const { bytes, offsets, count } = data.strings;
  let missing = keys.length;
  for (let s = 0; s < count && missing > 0; s++) {
    const start = offsets[s]!;
    const length = offsets[s + 1]! - start;
    if (length > longest) continue;
    const candidates = byLength[length];
    if (candidates === undefined) continue;
    for (const i of candidates) {
      if (found[i] !== -1) continue;
      const w = wanted[i]!;
      let same = true;
      for (let k = 0; k < w.length; k++) {
        if (bytes[start + k] !== w[k]) {
          same = false;
          break;
        }
      }
      if (same) {
        found[i] = s;
        missing--;
      }
    }
  }
  const out = Object.create(null) as Record<K, number>;
  keys.forEach((k, i) => {
    out[k] = found[i]!;
  });
  return out;
}

/**
 * The kind of node `n`.
 *
 * @example
 * ```ts
 * nodeKind(graph.data, n) // 'map' for a JS Map, 'string' for any string, 'internal' for V8's own
 * ```
 */
export function nodeKind(data: HeapGraphData, n: number): NodeKind {
  const v = vocabulary(data);
  const t = data.nodeType[n]!;
  const name = data.nodeName[n]!;
  if (t === v.type.string || t === v.type.consString || t === v.type.slicedString) return 'string';
  if (t === v.type.closure) return 'closure';
  if (t === v.type.number) return 'number';
  if (t === v.type.synthetic) return 'synthetic';
  if (t !== v.type.object) return 'internal';
  if (name === v.name.systemContext) return 'context';
  if (name === v.name.Array) return 'array';
  if (name === v.name.Map || name === v.name.Set) {
    // The prototypes `Map.prototype` / `Set.prototype` are objects named Map / Set too; only the
    // instances own a hash table.
    if (findEdge(data, n, v.edge.internal, v.name.table) < 0) return 'object';
    return name === v.name.Map ? 'map' : 'set';
  }
  if (name === v.name.WeakMap) return 'weakmap';
  if (name === v.name.WeakSet) return 'weakset';
  // V8's own objects are 'object' nodes named "system / …".
  if (hasPrefix(data, name, SYSTEM_PREFIX)) return 'internal';
  return 'object';
}

const SYSTEM_PREFIX = new TextEncoder().encode('system / ');

/** Whether string `index` starts with `prefix`, compared as bytes (no decoding in hot loops). */
function hasPrefix(data: HeapGraphData, index: number, prefix: Uint8Array): boolean {
  const { bytes, offsets } = data.strings;
  const start = offsets[index];
  const end = offsets[index + 1];
  if (start === undefined || end === undefined || end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[start + i] !== prefix[i]) return false;
  return true;
}

/**
 * The first edge of `n` with the given type and name (a string index), or -1.
 *
 * @example
 * ```ts
 * const v = vocabulary(data);
 * const e = findEdge(data, mapNode, v.edge.internal, v.name.table); // the Map's hash table edge
 * ```
 */
export function findEdge(data: HeapGraphData, n: number, edgeType: number, nameIndex: number): number {
  if (nameIndex < 0) return -1;
  const end = data.firstEdge[n + 1]!;
  for (let e = data.firstEdge[n]!; e < end; e++) {
    if (data.edgeType[e] === edgeType && data.edgeNameOrIndex[e] === nameIndex) return e;
  }
  return -1;
}

/**
 * The name of edge `e` as V8 recorded it: the property or variable name, or the index as a string
 * for element and hidden edges.
 *
 * @example
 * ```ts
 * edgeName(data, e) // 'timers', '3', 'context', 'table'
 * ```
 */
export function edgeName(data: HeapGraphData, e: number): string {
  const v = vocabulary(data);
  const t = data.edgeType[e]!;
  const raw = data.edgeNameOrIndex[e]!;
  if (t === v.edge.element || t === v.edge.hidden) return String(raw);
  return data.strings.get(raw);
}

/**
 * The entry of a Map or Set hash table that table edge `e` points into. V8 lays an OrderedHashMap
 * out as a FixedArray: 3 header slots, `capacity / 2` buckets, then `capacity` entries of
 * (key, value, chain) for a Map and (key, chain) for a Set; the snapshot gives each slot as an
 * internal edge named by its slot index. Small integers are not heap objects and have no slot edge.
 */
export interface TableSlot {
  /** 0-based entry number (insertion order as long as nothing was deleted). */
  entry: number;
  /** Whether the edge points at the entry's key or its value (a Set has keys only). */
  slot: 'key' | 'value';
}

/**
 * Reads the entry layout of a Map or Set table node from its size. Returns the first entry's slot
 * index, or -1 when the size does not match a known layout.
 */
function tableEntryStart(selfSize: number, stride: number): number {
  // 64-bit without pointer compression (Node's default) and with it.
  for (const ptr of [8, 4]) {
    const slots = (selfSize - 2 * ptr) / ptr;
    const capacity = (slots - 3) / (stride + 0.5);
    if (Number.isInteger(capacity) && capacity >= 2 && (capacity & (capacity - 1)) === 0) {
      return 3 + capacity / 2;
    }
  }
  return -1;
}

/** The slot number an internal edge named "17" stands for, or -1 for any other name. */
function slotIndex(data: HeapGraphData, nameIndex: number): number {
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
 * Which entry of a Map (`stride` 3) or Set (`stride` 2) hash table edge `e` of `table` is.
 * Returns undefined for edges that are not entry slots (the table's own `map`, bucket heads).
 *
 * @example
 * ```ts
 * tableSlot(data, tableNode, e, 3) // { entry: 0, slot: 'value' } for `m.get(firstKey)`
 * ```
 */
export function tableSlot(
  data: HeapGraphData,
  table: number,
  e: number,
  stride: 2 | 3,
): TableSlot | undefined {
  const v = vocabulary(data);
  if (data.edgeType[e] !== v.edge.internal) return undefined;
  const index = slotIndex(data, data.edgeNameOrIndex[e]!);
  if (index < 0) return undefined;
  let start = tableEntryStart(data.nodeSelfSize[table]!, stride);
  if (start < 0) {
    // Unknown layout: assume the lowest numbered slot is the first entry's key.
    start = Number.POSITIVE_INFINITY;
    const end = data.firstEdge[table + 1]!;
    for (let k = data.firstEdge[table]!; k < end; k++) {
      if (data.edgeType[k] !== v.edge.internal) continue;
      const i = slotIndex(data, data.edgeNameOrIndex[k]!);
      if (i >= 0 && i < start) start = i;
    }
  }
  if (index < start) return undefined;
  const offset = index - start;
  const within = offset % stride;
  if (within === stride - 1 && stride === 3) return undefined; // the chain slot holds a number
  return { entry: Math.floor(offset / stride), slot: within === 0 ? 'key' : 'value' };
}

/**
 * The node holding the key of `entry` in a Map table, or -1 (a small integer key, or unknown layout).
 *
 * @example
 * ```ts
 * const slot = tableSlot(data, table, e, 3); // { entry: 4, slot: 'value' }
 * const key = tableKeyNode(data, table, 4);  // the key string's node
 * describeHeapValue(data, key, { strings: true }) // '"db"'
 * ```
 */
export function tableKeyNode(data: HeapGraphData, table: number, entry: number): number {
  const end = data.firstEdge[table + 1]!;
  for (let e = data.firstEdge[table]!; e < end; e++) {
    const slot = tableSlot(data, table, e, 3);
    if (slot && slot.entry === entry && slot.slot === 'key') return data.edgeTo[e]!;
  }
  return -1;
}

/** Options for rendering heap values that may be sensitive. */
export interface RenderOptions {
  /**
   * Print string contents (Map keys, Set members). Heap strings can hold secrets (tokens, emails,
   * session ids), so by default a string prints as `<string #1a2b3c>`: a short hash that tells keys
   * apart without showing them.
   * @default false
   */
  strings?: boolean;
}

/**
 * How a value used as a Map key or Set member reads: `"db"` (with `strings: true`), `<string #1a2b3c>`,
 * `<number>`, `<Session @1234>` (class name and V8 object id).
 *
 * @example
 * ```ts
 * describeHeapValue(data, keyNode, { strings: true }) // '"db"'
 * describeHeapValue(data, keyNode)                    // '<string #571cc6>'
 * describeHeapValue(data, -1)                         // '<number>' (small integers have no node)
 * ```
 */
export function describeHeapValue(data: HeapGraphData, n: number, options: RenderOptions = {}): string {
  if (n < 0) return '<number>';
  const kind = nodeKind(data, n);
  if (kind === 'string') {
    const value = stringValue(data, n);
    if (options.strings) return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
    return `<string #${shortHash(value)}>`;
  }
  if (kind === 'number') return '<number>';
  return `<${data.strings.get(data.nodeName[n]!) || kind} @${data.nodeId[n]}>`;
}

/**
 * The text of a string node. A concatenated string's node is named "(concatenated string)" for
 * every one of them: its text is its `first` and `second` parts, joined (up to `limit` chars), so
 * that keys built with `name + id` hash apart.
 */
function stringValue(data: HeapGraphData, n: number, limit = 4096): string {
  const v = vocabulary(data);
  if (data.nodeType[n] !== v.type.consString) return data.strings.get(data.nodeName[n]!);
  let out = '';
  // Depth-first over the rope, left part first; an explicit stack (ropes can be deep).
  const stack = [n];
  let guard = 0;
  while (stack.length > 0 && out.length < limit && guard++ < 10_000) {
    const s = stack.pop()!;
    if (data.nodeType[s] !== v.type.consString) {
      out += data.strings.get(data.nodeName[s]!);
      continue;
    }
    const first = findEdge(data, s, v.edge.internal, v.name.first);
    const second = findEdge(data, s, v.edge.internal, v.name.second);
    if (second >= 0) stack.push(data.edgeTo[second]!);
    if (first >= 0) stack.push(data.edgeTo[first]!);
  }
  return out.length > limit ? out.slice(0, limit) : out;
}

/** FNV-1a, 24 bits: enough to tell keys apart in a path, too short to be worth reversing for long secrets. */
function shortHash(value: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 8) & 0xffffff).toString(16).padStart(6, '0');
}

/** Where a function was defined: the Script's path and a 1-based line and column. */
export interface SourceLocation {
  /** The script's path or URL as V8 knows it: `/app/log.js`, `file:///app/log.mjs`. */
  file: string;
  /** 1-based line (the snapshot's locations are 0-based). */
  line?: number;
  /** 1-based column. */
  column?: number;
}

const locationIndexes = new WeakMap<
  HeapGraphData,
  { lookups: number; order: Uint32Array | undefined; built: boolean }
>();
/** Lookups of a graph answered by a scan before its location index is built. */
const LOCATION_SCANS = 8;

/**
 * The file (and line, when the snapshot records it) where closure `n` was defined:
 * `shared` → SharedFunctionInfo → `script_or_debug_info` (Node 20) or `script` (22/24) → Script,
 * whose name is the path. For a Generator (ESM module bodies run as one) its `function` is used.
 *
 * @example
 * ```ts
 * functionLocation(data, closure) // { file: '/app/log.js', line: 12, column: 3 }
 * ```
 */
export function functionLocation(data: HeapGraphData, n: number): SourceLocation | undefined {
  const v = vocabulary(data);
  let closure = n;
  if (data.nodeType[n] !== v.type.closure) {
    const e = findEdge(data, n, v.edge.internal, v.name.function);
    if (e < 0) return undefined;
    closure = data.edgeTo[e]!;
  }
  const sharedEdge = findEdge(data, closure, v.edge.internal, v.name.shared);
  if (sharedEdge < 0) return undefined;
  const shared = data.edgeTo[sharedEdge]!;
  let scriptEdge = findEdge(data, shared, v.edge.internal, v.name.script);
  if (scriptEdge < 0) scriptEdge = findEdge(data, shared, v.edge.internal, v.name.scriptOrDebugInfo);
  if (scriptEdge < 0) return undefined;
  const file = data.strings.get(data.nodeName[data.edgeTo[scriptEdge]!]!);
  if (file === '' || file.startsWith('system / ')) return undefined;
  let index = locationIndexes.get(data);
  if (!index) {
    index = { lookups: 0, order: undefined, built: false };
    locationIndexes.set(data, index);
  }
  // A path asks for one or two locations: a scan answers those sooner than an index is built.
  if (!index.built && ++index.lookups > LOCATION_SCANS) {
    index.order = locationOrder(data.locationNode);
    index.built = true;
  }
  const loc = index.built
    ? findLocation(data.locationNode, index.order, closure)
    : data.locationNode.lastIndexOf(closure);
  if (loc < 0) return { file };
  return { file, line: data.locationLine[loc]! + 1, column: data.locationColumn[loc]! + 1 };
}

/**
 * The locations in node order, for a binary search: undefined when the snapshot lists them in node
 * order already (V8 does), else the location numbers sorted by node, ties in file order. Typed
 * arrays, not a Map: a big heap has a million closures.
 */
function locationOrder(locationNode: Uint32Array): Uint32Array | undefined {
  let sorted = true;
  for (let i = 1; i < locationNode.length && sorted; i++) sorted = locationNode[i - 1]! <= locationNode[i]!;
  if (sorted) return undefined;
  // A stable radix sort, 16 bits at a time: linear, where a comparator sort of a million records is not.
  const n = locationNode.length;
  let order = new Uint32Array(n);
  let next = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let shift = 0; shift < 32; shift += 16) {
    const start = new Uint32Array(0x10001);
    for (let i = 0; i < n; i++) start[((locationNode[i]! >>> shift) & 0xffff) + 1]!++;
    for (let b = 1; b <= 0x10000; b++) start[b]! += start[b - 1]!;
    for (let i = 0; i < n; i++) {
      const loc = order[i]!;
      next[start[(locationNode[loc]! >>> shift) & 0xffff]!++] = loc;
    }
    [order, next] = [next, order];
  }
  return order;
}

/** The number of the last location record of `node` (a later record of a node wins), or -1. */
function findLocation(locationNode: Uint32Array, order: Uint32Array | undefined, node: number): number {
  let lo = 0;
  let hi = locationNode.length;
  // Upper bound: the first position whose node is above `node`; the one before it is the last match.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (locationNode[order === undefined ? mid : order[mid]!]! <= node) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return -1;
  const loc = order === undefined ? lo - 1 : order[lo - 1]!;
  return locationNode[loc] === node ? loc : -1;
}

/**
 * A file as a path prints it: the base name, with its folder when the base name says little on its
 * own (`routes/index.js`); `file://` URLs become paths.
 *
 * @example
 * ```ts
 * displayFile('/app/src/log.js')             // 'log.js'
 * displayFile('file:///app/routes/index.mjs') // 'routes/index.mjs'
 * displayFile('node:internal/timers')        // 'node:internal/timers'
 * ```
 */
export function displayFile(file: string): string {
  // Node's own modules are known by their specifier.
  if (file.startsWith('node:')) return file;
  let path = file;
  if (path.startsWith('file://')) {
    try {
      path = decodeURIComponent(new URL(path).pathname);
    } catch {
      // Keep the URL as it is.
    }
  }
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  const base = parts[parts.length - 1] ?? path;
  if (/^index\.[cm]?[jt]sx?$/.test(base) && parts.length >= 2) return `${parts[parts.length - 2]}/${base}`;
  return base;
}

/**
 * Whether `name` can follow a dot in JavaScript (`a.name`); otherwise it prints as `a["name"]`.
 *
 * @example
 * ```ts
 * isIdentifier('timers') // true
 * isIdentifier('x-y')    // false
 * ```
 */
export function isIdentifier(name: string): boolean {
  return /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u.test(name);
}

/**
 * The expression a retaining path ends in, as code for advice: the part after the last ` › `, with
 * a lookup's key the snapshot hid (`<string #2a0c97>`) or `*` (every key: `findGrowth`'s siblings)
 * written as `key`, and `[*]` as `[i]`.
 *
 * @example
 * ```ts
 * pathCode('metrics.mjs › latencies')                            // 'latencies'
 * pathCode('visitors.cjs › byRoute.get(<string #2a0c97>)')       // 'byRoute.get(key)'
 * pathCode('limiter.hits.get(*)')                                // 'limiter.hits.get(key)'
 * ```
 */
export function pathCode(path: string): string {
  const cut = path.lastIndexOf(' › ');
  const code = cut < 0 ? path : path.slice(cut + 3);
  return code.replace(/\((?:<[^<>]*>|\*)\)/g, '(key)').replace(/\[\*\]/g, '[i]');
}
