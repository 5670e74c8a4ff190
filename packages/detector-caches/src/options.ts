import { invalidOption, LeakkitError, parseDuration } from '@leakkit/core';

/**
 * A collection to watch: a Map, Set, array or object (its size is read at every sample through a
 * `WeakRef`, so watching never keeps it alive), or a function that returns a size.
 */
export type WatchTarget =
  | ReadonlyMap<unknown, unknown>
  | ReadonlySet<unknown>
  | readonly unknown[]
  | object
  | (() => number);

/** A path to leave alone: a string (the path itself, or a prefix of it) or a RegExp. */
export type IgnorePattern = string | RegExp;

/** How the cheap mode looks for collections on its own: a bounded walk of globals and modules. */
export interface ScanOptions {
  /**
   * Most property hops from a root (a global, a CommonJS module's `module.exports`):
   * `app.state.sessions.alice.history` is 5 hops from `globalThis`.
   * @default 5
   */
  depth?: number;
  /**
   * Most collections followed at once, one gauge each; the largest (and, once sampled, the growing
   * ones) are kept.
   * @default 32
   */
  maxCollections?: number;
  /**
   * Most objects one walk visits.
   * @default 20000
   */
  maxObjects?: number;
  /**
   * Most time one walk takes, in ms or a string like `'20ms'`; it stops where it is when the time is up.
   * @default '20ms'
   */
  timeBudget?: number | string;
  /**
   * Fewest entries for a collection to be followed.
   * @default 1
   */
  minEntries?: number;
  /**
   * Walk the properties of `globalThis` (Node's own globals are left out).
   * @default true
   */
  globals?: boolean;
  /**
   * Walk the exports of the CommonJS modules in `require.cache` (the application's first, then
   * `node_modules`).
   * @default true
   */
  modules?: boolean;
}

/** Options of {@link caches}. */
export interface CachesOptions {
  /**
   * `'full'` reads heap graphs (the session takes heap snapshots: a pause each) and finds every
   * growing collection, module-scope ones reached only through closures included. `'cheap'` reads
   * sizes only: the `watch`ed collections and those a bounded walk of globals and CommonJS exports
   * finds, sampled at every gauge sample without a snapshot; for production.
   * @default 'full', or 'cheap' when `watch` or `scan` is given
   */
  mode?: 'full' | 'cheap';
  /**
   * Collections to follow by name: `{ sessions: sessionsMap, queue: () => queue.length }`. Their
   * gauges are named `caches:<name>`, their findings' path is the name. Read through `WeakRef`s.
   * @default {}
   */
  watch?: Record<string, WatchTarget>;
  /**
   * The walk of globals and `require.cache` exports the cheap mode samples (see {@link ScanOptions}),
   * `true` for its defaults, `false` to follow only `watch`.
   * @default true in the cheap mode, false in the full mode
   */
  scan?: boolean | ScanOptions;
  /**
   * Paths to leave alone: a string matches a path exactly or as its prefix up to a `.`, `[` or ` › `;
   * a RegExp is tested against the path.
   * @default []
   */
  ignore?: IgnorePattern[];
  /**
   * Print Map keys' string contents in the paths the scan makes. Off by default: keys may be secrets
   * (tokens, emails, session ids); a short hash (`<string #1a2b3c>`) tells them apart instead.
   * @default false
   */
  strings?: boolean;
  /**
   * Read the source file a finding's path points into, to set `site` to the line that creates the
   * collection (`const sessionCache = new Map()`), not only the class or module that holds it.
   * @default true
   */
  sourceLines?: boolean;
}

/** {@link ScanOptions} with every default applied. */
export interface ResolvedScanOptions {
  depth: number;
  maxCollections: number;
  maxObjects: number;
  timeBudget: number;
  minEntries: number;
  globals: boolean;
  modules: boolean;
}

/** A watched collection, held weakly, or a size function. */
export type ResolvedWatch = { name: string; ref: WeakRef<object> } | { name: string; read: () => number };

/** {@link CachesOptions} with every default applied. */
export interface ResolvedCachesOptions {
  mode: 'full' | 'cheap';
  watch: ResolvedWatch[];
  scan: ResolvedScanOptions | undefined;
  ignore: IgnorePattern[];
  strings: boolean;
  sourceLines: boolean;
}

const KNOWN = ['mode', 'watch', 'scan', 'ignore', 'strings', 'sourceLines'];
const KNOWN_SCAN = [
  'depth',
  'maxCollections',
  'maxObjects',
  'timeBudget',
  'minEntries',
  'globals',
  'modules',
];

function checkKeys(prefix: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    // A misspelt option (`maxCollection`, `watches`) would otherwise be silently ignored.
    if (!known.includes(key)) {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_OPTION',
        `Expected one of the options ${known.map((k) => `\`${prefix}${k}\``).join(', ')}, got \`${prefix}${key}\``,
        { option: `${prefix}${key}` },
      );
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidOption(option, `an integer ≥ ${min}`, value);
  }
  return value;
}

function boolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption(option, 'a boolean', value);
  return value;
}

function resolveScan(value: unknown, cheap: boolean): ResolvedScanOptions | undefined {
  if (value === undefined) value = cheap;
  if (value === false) return undefined;
  if (value === true) value = {};
  if (!isObject(value)) throw invalidOption('scan', 'a boolean or an object of scan options', value);
  checkKeys('scan.', value, KNOWN_SCAN);
  const budget = value.timeBudget;
  if (budget !== undefined && typeof budget !== 'number' && typeof budget !== 'string') {
    throw invalidOption('scan.timeBudget', 'a positive duration in ms or a string like `"20ms"`', budget);
  }
  return {
    depth: integer('scan.depth', value.depth, 5, 1),
    maxCollections: integer('scan.maxCollections', value.maxCollections, 32, 1),
    maxObjects: integer('scan.maxObjects', value.maxObjects, 20_000, 1),
    timeBudget: budget === undefined ? 20 : parseDuration('scan.timeBudget', budget),
    minEntries: integer('scan.minEntries', value.minEntries, 1, 0),
    globals: boolean('scan.globals', value.globals, true),
    modules: boolean('scan.modules', value.modules, true),
  };
}

function resolveWatch(value: unknown): ResolvedWatch[] {
  if (value === undefined) return [];
  if (!isObject(value)) throw invalidOption('watch', 'an object of collections by name', value);
  const out: ResolvedWatch[] = [];
  for (const [name, target] of Object.entries(value)) {
    if (name.trim() === '') throw invalidOption('watch', 'named by non-empty strings', name);
    if (typeof target === 'function') {
      out.push({ name, read: target as () => number });
    } else if (typeof target === 'object' && target !== null && !(target instanceof WeakRef)) {
      // Weakly: watching a collection must not be what keeps it (and its entries) alive.
      out.push({ name, ref: new WeakRef(target) });
    } else {
      throw invalidOption(
        `watch.${name}`,
        'a Map, Set, array or object, or a function returning a size',
        target,
      );
    }
  }
  return out;
}

function resolveIgnore(value: unknown): IgnorePattern[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidOption('ignore', 'an array of strings or RegExps', value);
  value.forEach((p, i) => {
    if (!(typeof p === 'string' && p !== '') && !(p instanceof RegExp)) {
      throw invalidOption(`ignore[${i}]`, 'a non-empty string or a RegExp', p);
    }
  });
  return [...(value as IgnorePattern[])];
}

/**
 * Validates and defaults the options, synchronously, so misuse fails where `caches()` is called.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` naming the option.
 */
export function resolveOptions(options: unknown): ResolvedCachesOptions {
  if (options === undefined) options = {};
  if (!isObject(options)) throw invalidOption('options', 'an object', options);
  checkKeys('', options, KNOWN);
  const mode = options.mode ?? (options.watch !== undefined || options.scan !== undefined ? 'cheap' : 'full');
  if (mode !== 'full' && mode !== 'cheap') throw invalidOption('mode', "'full' or 'cheap'", mode);
  return {
    mode,
    watch: resolveWatch(options.watch),
    scan: resolveScan(options.scan, mode === 'cheap'),
    ignore: resolveIgnore(options.ignore),
    strings: boolean('strings', options.strings, false),
    sourceLines: boolean('sourceLines', options.sourceLines, true),
  };
}

/** Whether `path` matches one of the patterns (see {@link CachesOptions.ignore}). */
export function isIgnored(path: string, patterns: readonly IgnorePattern[]): boolean {
  for (const p of patterns) {
    if (typeof p === 'string') {
      if (path === p) return true;
      if (path.startsWith(p)) {
        const rest = path.slice(p.length);
        if (rest.startsWith('.') || rest.startsWith('[') || rest.startsWith(' › ')) return true;
      }
    } else {
      p.lastIndex = 0;
      if (p.test(path)) return true;
    }
  }
  return false;
}
