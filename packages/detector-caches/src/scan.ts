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
  /** Milliseconds it took. */
  ms: number;
}

// Node's and V8's own globals: a fresh context's, plus those Node adds. Whatever the program put on
// globalThis is what is left.
const NODE_GLOBALS = [
  'global',
  'globalThis',
  'process',
  'Buffer',
  'console',
  'performance',
  'navigator',
  'crypto',
  'fetch',
  'WebSocket',
  'localStorage',
  'sessionStorage',
  'require',
  'module',
  'exports',
  '__filename',
  '__dirname',
];
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

function propertyPath(base: string, name: string, keyLike: boolean, strings: boolean): string {
  if (keyLike && !strings) return `${base}[${renderKey(name, false)}]`;
  if (isIdentifier(name)) return base === '' ? name : `${base}.${name}`;
  return `${base === '' ? 'globalThis' : base}[${JSON.stringify(name)}]`;
}

/** What a value is to the walk: a collection kind, something to walk into, or nothing. */
function kindOf(value: object): CollectionKind | 'walk' | 'function' | undefined {
  if (types.isProxy(value)) return undefined;
  if (types.isMap(value)) return 'map';
  if (types.isSet(value)) return 'set';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'function') return 'function';
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
  let proto: object | null;
  try {
    proto = Object.getPrototypeOf(value);
  } catch {
    return undefined;
  }
  return proto === null || proto === Object.prototype ? 'object' : 'walk';
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
  path: string;
  depth: number;
  holder: object | undefined;
  sharedHolder: boolean;
  file: string | undefined;
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
const OWN = /[\\/](?:@leakkit|leakkit)[\\/]|[\\/]packages[\\/](?:core|detector-[\w-]+|reporter-[\w-]+|vitest|cli)[\\/](?:src|dist)[\\/]/;

/**
 * A bounded breadth-first walk from the program's globals and its CommonJS modules' exports,
 * collecting Maps, Sets, arrays and plain objects with their sizes. It reads own data properties
 * only (getters are never called, proxies never touched), stops at `depth` hops, `maxObjects`
 * objects or `timeBudget` ms, and walks into only a few values of a large collection.
 */
export function scanCollections(o: ResolvedScanOptions, strings: boolean, skip?: (o: object) => boolean): ScanResult {
  const started = performance.now();
  const deadline = started + o.timeBudget;
  const seen = new WeakSet<object>();
  const queue: Item[] = [];
  const found: FoundCollection[] = [];
  let visited = 0;
  let truncated = false;
  const push = (value: unknown, item: Omit<Item, 'value'>) => {
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return;
    if (seen.has(value)) return;
    seen.add(value);
    queue.push({ value, ...item });
  };

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
      push(d.value, {
        path: propertyPath('', name, false, strings),
        depth: 1,
        holder: globalThis,
        sharedHolder: true,
        file: undefined,
      });
    }
  }
  if (o.modules) {
    const cache = moduleCache();
    const entries = cache === undefined ? [] : Object.entries(cache);
    // The application's modules before its dependencies: the budget may run out.
    entries.sort(
      ([a], [b]) => Number(a.includes('node_modules')) - Number(b.includes('node_modules')),
    );
    for (const [file, mod] of entries) {
      if (mod === undefined || OWN.test(file)) continue;
      let exports: unknown;
      try {
        const d = Object.getOwnPropertyDescriptor(mod, 'exports');
        exports = d && 'value' in d ? d.value : undefined;
      } catch {
        continue;
      }
      push(exports, {
        path: `${displayFile(file)} › module.exports`,
        depth: 0,
        holder: undefined,
        sharedHolder: true,
        file,
      });
    }
  }

  for (let head = 0; head < queue.length; head++) {
    if (visited >= o.maxObjects || ((visited & 63) === 0 && performance.now() > deadline)) {
      truncated = true;
      break;
    }
    const item = queue[head]!;
    // Let the queue drop what it has walked past: a long walk must not hold every object it saw.
    queue[head] = undefined as unknown as Item;
    visited++;
    const { value, path, depth } = item;
    if (skip?.(value)) continue;
    const kind = kindOf(value);
    if (kind === undefined) continue;
    let size = 0;
    if (kind !== 'walk' && kind !== 'function') {
      try {
        size = sizeOf(value, kind);
      } catch {
        continue;
      }
      // A plain object is a map only once it has some keys: below that it is a record or settings
      // (re-walked at each check, a growing one is found when it gets there).
      if (size >= o.minEntries && (kind !== 'object' || (depth > 0 && size >= OBJECT_MIN))) {
        const f: FoundCollection = {
          path,
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
    if (depth >= o.depth) continue;
    // A module's exports hold unrelated things, as the global object does.
    const next = (child: unknown, childPath: string, holder: object | undefined) =>
      push(child, {
        path: childPath,
        depth: depth + 1,
        holder,
        sharedHolder: depth === 0,
        file: item.file,
      });
    try {
      if (kind === 'map') {
        let i = 0;
        const limit = size <= SMALL ? SMALL : SAMPLED_VALUES;
        for (const [k, v] of (value as Map<unknown, unknown>).entries()) {
          if (i++ >= limit) break;
          next(v, `${path}.get(${renderKey(k, strings)})`, undefined);
        }
      } else if (kind === 'array') {
        const a = value as unknown[];
        const limit = Math.min(a.length, size <= SMALL ? SMALL : SAMPLED_VALUES);
        for (let i = 0; i < limit; i++) {
          const d = Object.getOwnPropertyDescriptor(a, i);
          if (d && 'value' in d) next(d.value, `${path}[${i}]`, undefined);
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
          next(v, propertyPath(path, name, keyLike, strings), keyLike ? undefined : value);
        }
      }
    } catch {
      // A collection that changed under the walk, an exotic object: skip what is left of it.
    }
  }
  return { found, visited, truncated, ms: performance.now() - started };
}
