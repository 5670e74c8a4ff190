import { createRequire } from 'node:module';
import { types } from 'node:util';
import { runInNewContext } from 'node:vm';
import { displayFile, isIdentifier } from '@leakkit/core/heap';
import type { ResolvedScanOptions } from './options.js';
import type { CollectionKind } from './patterns.js';

/** A collection the walk found: where, what, and how big it was then. */
export interface FoundCollection {
  /** The path as the developer wrote it: `app.sessions`, `cache.js › module.exports.store`. */
  path: string;
  target: object;
  /** The object whose property it is (for its cap), when that is an ordinary object. */
  holder: object | undefined;
  /** The holder is shared by unrelated things (the global object, a module's exports). */
  sharedHolder: boolean;
  /** The holder is a function: `memoized.cache`, a class's static `registry`. */
  holderIsFunction: boolean;
  kind: CollectionKind;
  size: number;
  /** The module file it was reached from. */
  file?: string;
}

/** What one walk did. */
export interface ScanResult {
  found: FoundCollection[];
  /** Objects visited. */
  visited: number;
  /** Whether it stopped early (object budget or time box). */
  truncated: boolean;
  /** Roots (globals, modules) in this walk's order. */
  roots: number;
  /** The root to start the next walk at: where this one stopped (0 when it walked them all). */
  next: number;
  /** Milliseconds it took. */
  ms: number;
}

// Node's and V8's own globals: a fresh context's, plus those Node adds. Whatever the program put on
// globalThis is what is left.
const NODE_GLOBALS = `global globalThis process Buffer console performance navigator Navigator crypto Crypto
CryptoKey SubtleCrypto fetch FormData Headers Request Response WebSocket CloseEvent EventSource
localStorage sessionStorage Storage StorageEvent URL URLSearchParams URLPattern DOMException
AbortController AbortSignal Event EventTarget CustomEvent MessageEvent MessageChannel MessagePort
BroadcastChannel Blob File TextEncoder TextDecoder TextEncoderStream TextDecoderStream
TransformStream TransformStreamDefaultController WritableStream WritableStreamDefaultController
WritableStreamDefaultWriter ReadableStream ReadableStreamDefaultReader ReadableStreamBYOBReader
ReadableStreamBYOBRequest ReadableByteStreamController ReadableStreamDefaultController
ByteLengthQueuingStrategy CountQueuingStrategy CompressionStream DecompressionStream Performance
PerformanceEntry PerformanceMark PerformanceMeasure PerformanceObserver PerformanceObserverEntryList
PerformanceResourceTiming setTimeout setInterval setImmediate clearTimeout clearInterval
clearImmediate queueMicrotask structuredClone atob btoa require module exports __filename
__dirname`.split(/\s+/);
let builtinGlobals: Set<string> | undefined;
function isBuiltinGlobal(name: string): boolean {
  if (builtinGlobals === undefined) {
    let fresh: string[] = [];
    try {
      fresh = runInNewContext('Object.getOwnPropertyNames(globalThis)') as string[];
    } catch {
      // No vm (a locked-down runtime): Node's list below still applies.
    }
    builtinGlobals = new Set([...fresh, ...NODE_GLOBALS]);
  }
  // Test runners and bundlers keep their state on dunder globals (`__vitest_worker__`, `__coverage__`).
  return builtinGlobals.has(name) || /^__(?:vitest|vite|jest|coverage|VITE|VITEST)/.test(name);
}

const FUNCTION_OWN = new Set(['length', 'name', 'prototype', 'arguments', 'caller']);
// A collection larger than this is data: only a few of its values are walked into.
const SMALL = 64;
const SAMPLED_VALUES = 4;
// Values walked into of a small Map (a registry with fixed keys: `timings.get('db')`).
const SMALL_SAMPLE = 16;
const OBJECT_MIN = 8;

/** FNV-1a, 24 bits, as heap paths hash strings: tells keys apart without showing them. */
function shortHash(value: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 8) & 0xffffff).toString(16).padStart(6, '0');
}

/** A Map key as a path shows it: `"db"` (with `strings`), `<string #1a2b3c>`, `<number>`, `<Session>`. */
export function renderKey(key: unknown, strings: boolean): string {
  if (typeof key === 'string') {
    if (strings) return JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}...` : key);
    return `<string #${shortHash(key)}>`;
  }
  if (typeof key === 'number' || typeof key === 'bigint') return '<number>';
  if (typeof key === 'symbol') return '<symbol>';
  if (typeof key === 'boolean' || key == null) return String(key);
  return `<${constructorName(key as object) ?? 'Object'}>`;
}

/** A constructor's name from the prototype chain, without calling a getter. */
function constructorName(o: object): string | undefined {
  try {
    const proto = Object.getPrototypeOf(o);
    if (proto === null) return undefined;
    const d = Object.getOwnPropertyDescriptor(proto, 'constructor');
    const ctor: unknown = d && 'value' in d ? d.value : undefined;
    return typeof ctor === 'function' && ctor.name ? ctor.name : undefined;
  } catch {
    return undefined;
  }
}

/** One hop of a path, kept raw until a collection is found (most walked objects never are). */
const PROPERTY = 0;
const INDEX = 1;
const MAP_VALUE = 2;
const DATA_KEY = 3;

function segment(base: string, kind: number, name: unknown, strings: boolean): string {
  switch (kind) {
    case INDEX:
      return `${base}[${name as number}]`;
    case MAP_VALUE:
      return `${base}.get(${renderKey(name, strings)})`;
    case DATA_KEY:
      // A key of an object used as a map is data, like a Map key.
      return strings ? `${base}[${JSON.stringify(name)}]` : `${base}[${renderKey(name, false)}]`;
    default: {
      const n = name as string;
      if (isIdentifier(n)) return base === '' ? n : `${base}.${n}`;
      return `${base === '' ? 'globalThis' : base}[${JSON.stringify(n)}]`;
    }
  }
}

/** What a value is to the walk: a collection kind, something to walk into, or nothing. */
function kindOf(value: object): CollectionKind | 'walk' | 'function' | undefined {
  // Before anything else: a proxy's traps are user code (getPrototypeOf included).
  if (types.isProxy(value)) return undefined;
  if (typeof value === 'function') return 'function';
  if (Array.isArray(value)) return 'array';
  let proto: object | null;
  try {
    proto = Object.getPrototypeOf(value);
  } catch {
    return undefined;
  }
  // The common case first: records and objects used as maps.
  if (proto === Object.prototype || proto === null) return 'object';
  if (types.isMap(value)) return 'map';
  if (types.isSet(value)) return 'set';
  if (
    types.isWeakMap(value) ||
    types.isWeakSet(value) ||
    types.isPromise(value) ||
    types.isAnyArrayBuffer(value) ||
    types.isArrayBufferView(value) ||
    types.isDate(value) ||
    types.isRegExp(value) ||
    types.isNativeError(value) ||
    types.isExternal(value) ||
    types.isModuleNamespaceObject(value)
  ) {
    return undefined;
  }
  return 'walk';
}

/** Entries of a collection, read without running user code (Map/Set sizes are built-in getters). */
export function sizeOf(target: object, kind: CollectionKind): number {
  switch (kind) {
    case 'map':
      return (target as Map<unknown, unknown>).size;
    case 'set':
      return (target as Set<unknown>).size;
    case 'array':
      return (target as unknown[]).length;
    default:
      return Object.keys(target).length;
  }
}

interface Item {
  value: object;
  /** The item it was reached from (undefined for a root) and the hop, rendered only when needed. */
  parent: Item | undefined;
  hop: number;
  name: unknown;
  /** The root's path, for a root. */
  rootPath: string;
  depth: number;
  holder: object | undefined;
  sharedHolder: boolean;
  file: string | undefined;
}

function pathOf(item: Item, strings: boolean): string {
  const hops: Item[] = [];
  let at: Item | undefined = item;
  while (at.parent !== undefined) {
    hops.push(at);
    at = at.parent;
  }
  let path = at.rootPath;
  for (let i = hops.length - 1; i >= 0; i--) path = segment(path, hops[i]!.hop, hops[i]!.name, strings);
  return path;
}

/** A root of the walk: a global's value or a module's exports. */
interface Root {
  value: unknown;
  path: string;
  depth: number;
  file: string | undefined;
  global: boolean;
}

/** The CommonJS module cache, from ESM too; undefined where there is none. */
function moduleCache(): Record<string, { exports?: unknown } | undefined> | undefined {
  try {
    return createRequire(import.meta.url).cache as Record<string, { exports?: unknown } | undefined>;
  } catch {
    return undefined;
  }
}

// leakkit's own modules: their bounded state is not the program's.
const OWN =
  /[\\/](?:@leakkit|leakkit)[\\/]|[\\/]packages[\\/](?:core|detector-[\w-]+|reporter-[\w-]+|vitest|cli)[\\/](?:src|dist)[\\/]/;

/** The walk's roots, in a stable order: globals, the application's modules, then its dependencies. */
function rootsOf(o: ResolvedScanOptions): Root[] {
  const roots: Root[] = [];
  if (o.globals) {
    let names: string[] = [];
    try {
      names = Object.getOwnPropertyNames(globalThis);
    } catch {
      // Nothing to walk.
    }
    for (const name of names) {
      if (isBuiltinGlobal(name)) continue;
      const d = Object.getOwnPropertyDescriptor(globalThis, name);
      if (d === undefined || !('value' in d)) continue;
      roots.push({
        value: d.value,
        path: segment('', PROPERTY, name, false),
        depth: 1,
        file: undefined,
        global: true,
      });
    }
  }
  if (o.modules) {
    const cache = moduleCache();
    const entries = cache === undefined ? [] : Object.entries(cache);
    entries.sort(([a], [b]) => Number(a.includes('node_modules')) - Number(b.includes('node_modules')));
    for (const [file, mod] of entries) {
      if (mod === undefined || OWN.test(file)) continue;
      let exports: unknown;
      try {
        const d = Object.getOwnPropertyDescriptor(mod, 'exports');
        exports = d && 'value' in d ? d.value : undefined;
      } catch {
        continue;
      }
      roots.push({
        value: exports,
        path: `${displayFile(file)} › module.exports`,
        depth: 0,
        file,
        global: false,
      });
    }
  }
  return roots;
}

/**
 * A bounded walk from the program's globals and its CommonJS modules' exports, one root at a time
 * (breadth-first within each), collecting Maps, Sets, arrays and plain objects used as maps with
 * their sizes. It reads own data properties only (getters are never called, proxies never
 * touched), stops at `depth` hops, `maxObjects` objects or `timeBudget` ms, and walks into only a
 * few values of a large collection. A walk that runs out of budget says where it stopped
 * (`next`): the next walk starts there, so a large program is covered over several walks.
 */
export function scanCollections(
  o: ResolvedScanOptions,
  strings: boolean,
  skip?: (o: object) => boolean,
  resume = 0,
): ScanResult {
  const started = performance.now();
  const deadline = started + o.timeBudget;
  const seen = new WeakSet<object>();
  const found: FoundCollection[] = [];
  const roots = rootsOf(o);
  let visited = 0;
  let truncated = false;
  let next = 0;
  const first = roots.length === 0 ? 0 : resume % roots.length;
  for (let r = 0; r < roots.length && !truncated; r++) {
    const index = (first + r) % roots.length;
    const root = roots[index]!;
    const value = root.value;
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value))
      continue;
    seen.add(value);
    const queue: (Item | undefined)[] = [
      {
        value,
        parent: undefined,
        hop: PROPERTY,
        name: undefined,
        rootPath: root.path,
        depth: root.depth,
        holder: root.global ? globalThis : undefined,
        sharedHolder: true,
        file: root.file,
      },
    ];
    for (let head = 0; head < queue.length; head++) {
      if (visited >= o.maxObjects || ((visited & 31) === 0 && performance.now() > deadline)) {
        truncated = true;
        next = index;
        break;
      }
      const item = queue[head]!;
      // The queue lets go of what it has walked past; parents stay reachable from their children.
      queue[head] = undefined;
      visited++;
      walk(item, queue, found, seen, o, strings, skip);
    }
  }
  return { found, visited, truncated, roots: roots.length, next, ms: performance.now() - started };
}

/** Visits one object: records it if it is a collection, queues what it holds. */
function walk(
  item: Item,
  queue: (Item | undefined)[],
  found: FoundCollection[],
  seen: WeakSet<object>,
  o: ResolvedScanOptions,
  strings: boolean,
  skip: ((o: object) => boolean) | undefined,
): void {
  const { value, depth } = item;
  if (skip?.(value)) return;
  const kind = kindOf(value);
  if (kind === undefined) return;
  let size = 0;
  if (kind !== 'walk' && kind !== 'function') {
    try {
      size = sizeOf(value, kind);
    } catch {
      return;
    }
    // A plain object is a map only once it has some keys: below that it is a record or settings
    // (re-walked at each check, a growing one is found when it gets there).
    if (size >= o.minEntries && (kind !== 'object' || (depth > 0 && size >= OBJECT_MIN))) {
      const f: FoundCollection = {
        path: pathOf(item, strings),
        target: value,
        holder: item.holder,
        sharedHolder: item.sharedHolder,
        holderIsFunction: typeof item.holder === 'function',
        kind,
        size,
      };
      if (item.file !== undefined) f.file = item.file;
      found.push(f);
    }
  }
  if (depth >= o.depth) return;
  const next = (child: unknown, hop: number, name: unknown, holder: object | undefined) => {
    if ((typeof child !== 'object' && typeof child !== 'function') || child === null || seen.has(child))
      return;
    seen.add(child);
    queue.push({
      value: child,
      parent: item,
      hop,
      name,
      rootPath: '',
      depth: depth + 1,
      holder,
      // A module's exports hold unrelated things, as the global object does.
      sharedHolder: depth === 0,
      file: item.file,
    });
  };
  try {
    if (kind === 'map') {
      let i = 0;
      const limit = size <= SMALL ? SMALL_SAMPLE : SAMPLED_VALUES;
      for (const [k, v] of (value as Map<unknown, unknown>).entries()) {
        if (i++ >= limit) break;
        next(v, MAP_VALUE, k, undefined);
      }
    } else if (kind === 'array') {
      const a = value as unknown[];
      const limit = Math.min(a.length, SAMPLED_VALUES);
      for (let i = 0; i < limit; i++) {
        const d = Object.getOwnPropertyDescriptor(a, i);
        if (d && 'value' in d) next(d.value, INDEX, i, undefined);
      }
    } else if (kind === 'object' || kind === 'walk' || kind === 'function') {
      const names = Object.getOwnPropertyNames(value);
      // An object with many keys is used as a map: its keys are data (shown hashed), a few sampled.
      const keyLike = kind === 'object' && names.length > SMALL;
      const limit = keyLike ? SAMPLED_VALUES : names.length;
      let taken = 0;
      for (const name of names) {
        if (taken >= limit) break;
        if (kind === 'function' && FUNCTION_OWN.has(name)) continue;
        const d = Object.getOwnPropertyDescriptor(value, name);
        if (d === undefined || !('value' in d)) continue;
        const v: unknown = d.value;
        if ((typeof v !== 'object' && typeof v !== 'function') || v === null) continue;
        taken++;
        next(v, keyLike ? DATA_KEY : PROPERTY, name, keyLike ? undefined : value);
      }
    }
  } catch {
    // A collection that changed under the walk, an exotic object: skip what is left of it.
  }
}
