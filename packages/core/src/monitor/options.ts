import { tmpdir } from 'node:os';
import { checkDetectors } from '../detect/run.js';
import type { Detector, GaugeReader } from '../detect/types.js';
import { invalidOption } from '../errors.js';
import { parseDuration, parseSize } from '../options.js';
import type { Reporter } from '../report/types.js';
import { DEFAULT_SAMPLING_INTERVAL } from '../tracing/options.js';
import type { HeapSnapshotPolicy } from './captures.js';
import type { RouteResolver } from './routes.js';

/** Allocation tracing in the monitor. */
export interface MonitorTracingOptions {
  /**
   * The sampling interval while nothing is suspected, in bytes or a size string: in effect only when
   * a detector needs allocation evidence at every tick (`needs: { allocations: true }`); otherwise
   * tracing is off until the gauges suspect growth.
   * @defaultValue '512 KiB' (pprof's production default)
   */
  samplingInterval?: number | string;
  /**
   * The interval while the gauges suspect a leak (finer, so a leak of a few MB gets enough samples
   * to name its line); `false` keeps the production interval throughout.
   * @defaultValue '64 KiB'
   */
  escalatedInterval?: number | string | false;
  /**
   * Longest time the finer interval stays on for one investigation (and at least ten ticks), in ms
   * or a string like `'10m'`: sampling that finely costs an allocation-heavy server a sixth of its
   * CPU while it runs, too much to pay for hours on a server whose growth never settles either way.
   * Then tracing goes back to the production interval (off, unless a detector needs it), the line it
   * named stays on the finding while the growth lasts, and the next investigation waits as long
   * again, twice as long after each one, up to six hours, unless the growth calms first.
   * @defaultValue '10m'
   */
  maxInvestigation?: number | string;
}

/** Route attribution. */
export interface MonitorRoutesOptions {
  /**
   * Most distinct routes counted; further ones count as `METHOD (other)`.
   * @defaultValue 100
   */
  maxRoutes?: number;
  /**
   * Names the route of a request when the framework does not expose it (Express's `req.route` and
   * Fastify are read without help). Return undefined to fall back to the path with ids folded.
   * @defaultValue undefined
   */
  resolve?: RouteResolver;
  /**
   * When allocation tracing has named a line whose memory keeps growing, find which routes execute
   * that line (a steady mix of routes cannot be told apart by regression): a conditional breakpoint
   * on it, through the inspector, that records the route of the request in context and never
   * pauses. The Debugger domain is on for at most 30 s (or 200 hits), once per growing line.
   * @defaultValue true
   */
  probe?: boolean;
}

/** A collection to follow: its size is read every tick (held weakly, so watching it does not keep it alive). */
export type WatchedCollection = GaugeReader | { readonly size: number } | { readonly length: number };

/** Options of `createMonitor`. Every field is optional. */
export interface MonitorOptions {
  /**
   * Time between ticks (gauges, trend, detectors), in ms or a string like `'30s'`.
   * @defaultValue '1m'
   */
  interval?: number | string;
  /**
   * Detectors that turn the evidence into findings (`timers()`, `caches()`). The monitor's own
   * generic growth finding (detector `growth`, priority 0) runs besides them.
   * @defaultValue []
   */
  detectors?: Detector[];
  /**
   * Reporters that render what the monitor sees (`consoleReporter()`, `jsonReporter()`).
   * @defaultValue []
   */
  reporters?: Reporter[];
  /**
   * Allocation tracing: `true` (V8's sampling heap profiler while the gauges suspect growth, at the
   * finer interval; always on, at the production interval, for a detector that needs allocation
   * evidence at every tick), `false`, or options.
   * @defaultValue true
   */
  tracing?: boolean | MonitorTracingOptions;
  /**
   * Heap snapshots to name what keeps growing: `'auto'` when growth is sustained, tied to the work,
   * the capture is safe (memory headroom) and its expected pause fits `maxPause`; `'on'` whenever
   * growth is sustained and a capture is safe, whatever the pause (staging, tests); `'off'` never.
   * @defaultValue the environment variable `LEAKKIT_HEAP_SNAPSHOTS`, else `'auto'`
   */
  heapSnapshots?: HeapSnapshotPolicy;
  /**
   * The longest pause a capture (or a garbage collection the monitor runs itself) may be expected
   * to cost under `heapSnapshots: 'auto'`, in ms or a string.
   * @defaultValue '500ms'
   */
  maxPause?: number | string;
  /**
   * Heap captures in a series (`findGrowth` needs three).
   * @defaultValue 4
   */
  captures?: number;
  /**
   * Route attribution: `true`, `false`, or options.
   * @defaultValue true
   */
  routes?: boolean | MonitorRoutesOptions;
  /**
   * Collections whose size to follow, by name: `{ sessions: sessionsMap, queue: () => queue.length }`.
   * Recorded as gauges (`sessions`, `queue`) that detectors read.
   * @defaultValue {}
   */
  watch?: Record<string, WatchedCollection>;
  /**
   * Run a full garbage collection at each tick when its expected pause (measured on earlier ones)
   * fits a budget, and read the heap after it: small heaps go minutes without a major GC, and V8's
   * own (incremental) ones keep what was allocated while they marked, so their readings follow the
   * traffic of the moment. Where it does not fit, the reading is V8's latest. `true`: the budget is
   * 5% of the interval (at least 50 ms), at most `maxPause`; a duration: that budget; `false`: V8's
   * own collections only.
   * @defaultValue true
   */
  collectGarbage?: boolean | number | string;
  /**
   * Write one heap snapshot before an out-of-memory crash: when the heap after GC passes 85% of its
   * limit (or RSS 85% of the cgroup's), if a capture is safe then. `true` writes it to the temporary
   * directory, a string to that directory.
   * @defaultValue false
   */
  heapSnapshotNearLimit?: boolean | string;
  /**
   * A signal that starts a series of heap captures now (as `captureNow()`), e.g. `'SIGUSR2'`.
   * @defaultValue undefined (none)
   */
  captureSignal?: NodeJS.Signals;
  /**
   * Samples of gauge history kept (the trend's window is at most this many ticks).
   * @defaultValue 240
   */
  history?: number;
  /**
   * Time box of each detector's `check` and each reporter hook, in ms or a string.
   * @defaultValue the interval, at least 1 s and at most 30 s
   */
  timeout?: number | string;
}

/** {@link MonitorOptions} resolved. @internal */
export interface ResolvedMonitorOptions {
  interval: number;
  detectors: readonly Detector[];
  reporters: readonly Reporter[];
  tracing: { samplingInterval: number; escalatedInterval: number; maxInvestigation: number } | false;
  heapSnapshots: HeapSnapshotPolicy;
  maxPause: number;
  captures: number;
  routes: { maxRoutes: number; resolve: RouteResolver | undefined; probe: boolean } | false;
  watch: Record<string, WatchedCollection>;
  /** The pause budget of a garbage collection the monitor runs itself, ms (0: never). */
  collectGarbage: number;
  nearLimitDir: string | undefined;
  captureSignal: NodeJS.Signals | undefined;
  history: number;
  timeout: number;
}

const POLICIES: readonly HeapSnapshotPolicy[] = ['auto', 'on', 'off'];

/** `LEAKKIT_HEAP_SNAPSHOTS` as a policy: auto | on | off, and 1/true/0/false for on and off. */
export function policyFromEnv(value: string | undefined): HeapSnapshotPolicy | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'auto') return 'auto';
  if (v === 'on' || v === '1' || v === 'true' || v === 'yes') return 'on';
  if (v === 'off' || v === '0' || v === 'false' || v === 'no') return 'off';
  return undefined;
}

function integer(option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidOption(option, `an integer ≥ ${min}`, value);
  }
  return value;
}

function duration(option: string, value: unknown, fallback: number | string): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' && typeof v !== 'string') {
    throw invalidOption(option, 'a positive duration in ms or a string like `"30s"`', v);
  }
  return parseDuration(option, v);
}

// Ten minutes: at the default one-minute tick, the ten ticks an investigation needs at least.
const DEFAULT_MAX_INVESTIGATION = 600_000;

function resolveTracing(value: unknown): ResolvedMonitorOptions['tracing'] {
  if (value === false) return false;
  if (value === undefined || value === true) {
    return {
      samplingInterval: DEFAULT_SAMPLING_INTERVAL,
      escalatedInterval: 64 * 1024,
      maxInvestigation: DEFAULT_MAX_INVESTIGATION,
    };
  }
  if (value === null || typeof value !== 'object') {
    throw invalidOption(
      'tracing',
      'a boolean or `{ samplingInterval, escalatedInterval, maxInvestigation }`',
      value,
    );
  }
  const t = value as MonitorTracingOptions;
  const size = (name: string, v: unknown, fallback: number) => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' && typeof v !== 'string')
      throw invalidOption(name, 'a size in bytes or a string like `"64 KiB"`', v);
    return parseSize(name, v);
  };
  const samplingInterval = size('tracing.samplingInterval', t.samplingInterval, DEFAULT_SAMPLING_INTERVAL);
  const escalatedInterval =
    t.escalatedInterval === false
      ? samplingInterval
      : size('tracing.escalatedInterval', t.escalatedInterval, 64 * 1024);
  const maxInvestigation = duration(
    'tracing.maxInvestigation',
    t.maxInvestigation,
    DEFAULT_MAX_INVESTIGATION,
  );
  return { samplingInterval, escalatedInterval, maxInvestigation };
}

function resolveRoutes(value: unknown): ResolvedMonitorOptions['routes'] {
  if (value === false) return false;
  if (value === undefined || value === true) return { maxRoutes: 100, resolve: undefined, probe: true };
  if (value === null || typeof value !== 'object') {
    throw invalidOption('routes', 'a boolean or `{ maxRoutes, resolve, probe }`', value);
  }
  const r = value as MonitorRoutesOptions;
  if (r.resolve !== undefined && typeof r.resolve !== 'function')
    throw invalidOption('routes.resolve', 'a function', r.resolve);
  if (r.probe !== undefined && typeof r.probe !== 'boolean')
    throw invalidOption('routes.probe', 'a boolean', r.probe);
  return {
    maxRoutes: integer('routes.maxRoutes', r.maxRoutes, 100, 1),
    resolve: r.resolve,
    probe: r.probe ?? true,
  };
}

function resolveWatch(value: unknown): Record<string, WatchedCollection> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw invalidOption('watch', 'an object', value);
  const out: Record<string, WatchedCollection> = {};
  for (const [name, w] of Object.entries(value as Record<string, unknown>)) {
    const ok =
      typeof w === 'function' ||
      (w !== null &&
        typeof w === 'object' &&
        (typeof (w as { size?: unknown }).size === 'number' ||
          typeof (w as { length?: unknown }).length === 'number'));
    if (!ok) throw invalidOption(`watch.${name}`, 'a function or a collection with a size or length', w);
    out[name] = w as WatchedCollection;
  }
  return out;
}

/**
 * Validates and defaults the monitor's options, once, synchronously.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` naming the option.
 * @internal
 */
export function resolveMonitorOptions(options: MonitorOptions): ResolvedMonitorOptions {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
  const detectors = checkDetectors(options.detectors ?? []);
  const names = new Set<string>();
  detectors.forEach((d, i) => {
    if (d.name === 'growth' || d.name === 'handles' || names.has(d.name)) {
      throw invalidOption(
        `detectors[${i}].name`,
        'unique among the detectors and not `growth` or `handles` (the monitor’s own)',
        d.name,
      );
    }
    names.add(d.name);
  });
  const reporters = options.reporters ?? [];
  if (!Array.isArray(reporters)) throw invalidOption('reporters', 'an array of reporters', reporters);
  reporters.forEach((r: unknown, i) => {
    if (r === null || typeof r !== 'object') throw invalidOption(`reporters[${i}]`, 'a reporter object', r);
  });
  let heapSnapshots = options.heapSnapshots;
  if (heapSnapshots === undefined) {
    const env = process.env.LEAKKIT_HEAP_SNAPSHOTS;
    heapSnapshots = policyFromEnv(env) ?? 'auto';
  } else if (!POLICIES.includes(heapSnapshots)) {
    throw invalidOption('heapSnapshots', "'auto', 'on' or 'off'", heapSnapshots);
  }
  const interval = duration('interval', options.interval, '1m');
  const maxPause = duration('maxPause', options.maxPause, '500ms');
  const gc = options.collectGarbage ?? true;
  let collectGarbage: number;
  // At least 50 ms (a small heap's full GC, on a busy machine): below that, short intervals would
  // refuse the collections they most need and fall back to V8's traffic-following readings.
  if (gc === true) collectGarbage = Math.min(maxPause, Math.max(0.05 * interval, 50));
  else if (gc === false) collectGarbage = 0;
  else if (typeof gc === 'number' || typeof gc === 'string')
    collectGarbage = duration('collectGarbage', gc, 0);
  else throw invalidOption('collectGarbage', 'a boolean or a duration', gc);
  const near = options.heapSnapshotNearLimit ?? false;
  if (typeof near !== 'boolean' && (typeof near !== 'string' || near === '')) {
    throw invalidOption('heapSnapshotNearLimit', 'a boolean or a directory', near);
  }
  const signal = options.captureSignal;
  if (signal !== undefined && (typeof signal !== 'string' || !/^SIG[A-Z0-9]+$/.test(signal))) {
    throw invalidOption('captureSignal', "a signal name like `'SIGUSR2'`", signal);
  }
  return {
    interval,
    detectors,
    reporters,
    tracing: resolveTracing(options.tracing),
    heapSnapshots,
    maxPause,
    captures: integer('captures', options.captures, 4, 3),
    routes: resolveRoutes(options.routes),
    watch: resolveWatch(options.watch),
    collectGarbage,
    nearLimitDir: near === false ? undefined : near === true ? tmpdir() : near,
    captureSignal: signal,
    history: integer('history', options.history, 240, 12),
    timeout:
      options.timeout === undefined
        ? Math.min(30_000, Math.max(1000, interval))
        : duration('timeout', options.timeout, 1000),
  };
}
