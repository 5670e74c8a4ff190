import type { Finding, Severity } from '../detect/types.js';
import type { LeakkitError } from '../errors.js';

/** A value or a promise of it: reporter hooks may be synchronous or not. */
export type Awaitable<T> = T | PromiseLike<T>;

/** How much evidence the monitor is gathering: gauges always, then allocation sites, then heap graphs. */
export type EvidenceLevel = 'gauges' | 'allocations' | 'heap-graphs';

/**
 * Why a finding event was sent: it appeared, its severity rose, or it was `'updated'` with what it
 * did not know before (a path, an allocation site or a route).
 */
export type FindingChange = 'new' | 'escalated' | 'updated';

/** What the monitor tells reporters when it starts. */
export interface MonitorInfo {
  /** Process id. */
  pid: number;
  /** `process.version`. */
  node: string;
  /** When the monitor started, ms since the epoch. */
  startedAt: number;
  /** Milliseconds between ticks. */
  interval: number;
  /** Names of the detectors in use, the monitor's own included (`growth`, `handles`). */
  detectors: string[];
  /** V8's heap limit in bytes (`heap_size_limit`, what `--max-old-space-size` really gives). */
  heapLimit: number;
  /** The cgroup's memory limit in bytes (`memory.max`), or null when there is none. */
  cgroupLimit: number | null;
  /** Whether allocation tracing is on, and at what interval (bytes). */
  tracing: { on: boolean; samplingInterval: number };
  /** The heap-snapshot policy in effect. */
  heapSnapshots: 'auto' | 'on' | 'off';
}

/**
 * One tick's gauges. Byte values are bytes; `heapAfterGC` is `NaN` when no major garbage collection
 * happened since the previous tick (and the monitor did not run one).
 */
export interface MonitorSample {
  /** When the sample was taken, ms since the epoch. */
  time: number;
  /** Ticks so far, this one included. */
  tick: number;
  /** Bytes of the JS heap the program can own (code and read-only space left out) after the latest major GC. */
  heapAfterGC: number;
  /** Whether the monitor ran that garbage collection itself (none happened on its own). */
  collected: boolean;
  /** `process.memoryUsage()` now. */
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  /** V8's heap limit (`heap_size_limit`). */
  heapLimit: number;
  /** `performance` marks and measures held (the perf_hooks timeline). */
  perfEntries: number;
  /** Active handles and requests by type (`process.getActiveResourcesInfo()`): `{ Timeout: 3, TCPSocketWrap: 12 }`. */
  handles: Record<string, number>;
  /** HTTP requests counted since the monitor started, all routes. */
  requests: number;
  /** Requests counted since the monitor started, per route (`'GET /users/:id': 1234`). */
  routes: Record<string, number>;
  /**
   * V8's own major garbage collections since the previous tick (not the monitor's), counted while
   * the monitor watches them: when its own collection at the tick does not fit the pause budget.
   * 0 otherwise.
   */
  majorGCs: number;
  /** The evidence level after this tick. */
  level: EvidenceLevel;
  /**
   * The heap's trend after this tick (as `report().heap.trend`), once there are readings: what a
   * reporter exporting live metrics needs without waiting for a report.
   */
  trend?: MonitorTrend;
  /** When the heap reaches its limit at the current rate (as `report().heap.forecast`); absent when it does not grow. */
  forecast?: MonitorForecast;
}

/** A trend over a gauge: robust slope and the three-way verdict. */
export interface MonitorTrend {
  /** `'leak'`, `'maybe-leak'` or `'not-leak'` (see `classifyTrend`). */
  verdict: 'leak' | 'maybe-leak' | 'not-leak';
  /** Why (see `TrendReason`). */
  reason: string;
  /** Theil–Sen slope in bytes per hour. */
  bytesPerHour: number;
  /** 0..1. */
  confidence: number;
  /** Samples the verdict is about. */
  samples: number;
}

/** When the heap reaches its limit at the current rate of growth. */
export interface MonitorForecast {
  /** The limit it will reach first, in bytes. */
  limit: number;
  /**
   * Which limit: V8's heap limit (`heap_size_limit`, set by `--max-old-space-size`) or the cgroup's
   * `memory.max` (a container's memory limit, which the process's RSS reaches first).
   */
  source: 'heap' | 'cgroup';
  /** Bytes per hour of the growth forecast. */
  bytesPerHour: number;
  /** Milliseconds until the limit at that rate; `Infinity` when not growing. */
  eta: number;
  /** For people: `heap +1.1 MiB/h; reaches the 700 MiB limit (--max-old-space-size) in ~3.2 days`. */
  text: string;
}

/** One route and what it explains of the heap's growth. */
export interface RouteAttribution {
  /** `'GET /predict'`: the method and the route pattern, or the path with ids folded (`/users/:id`). */
  route: string;
  /** Requests in the analysed window. */
  requests: number;
  /** Bytes the heap keeps per request of this route (robust regression of growth on per-route counts). */
  bytesPerRequest: number;
  /**
   * Bytes per request from this route's own departures from its steady rate (fitted on it and time
   * alone): what tells it apart from the other routes and from time.
   */
  unique: number;
  /** Standard error of `unique`; a route explains growth when `unique` is three of them above zero. */
  stderr: number;
  /** Part of the heap's growth in the window this route explains, 0..1. */
  share: number;
  /**
   * On the route the findings name only: how it was found. `'regression'`: its requests explain the
   * growth. `'probe'`: a steady mix of routes could not be told apart by regression, so the monitor
   * watched which routes execute the growing allocation line (see `probe`); `bytesPerRequest` is then
   * the heap's growth rate over this route's request rate.
   */
  method?: 'regression' | 'probe';
  /**
   * The route probe's count, when one ran for the growing line: `hits` of the `sampled` executions
   * made inside requests were this route's.
   */
  probe?: { hits: number; sampled: number };
}

/** What the heap captures of the monitor found. */
export interface CaptureSummary {
  /** Heap graphs captured so far. */
  taken: number;
  /** Captures skipped, with the reason of the latest. */
  skipped: number;
  /** Why the latest capture was skipped (headroom, pause budget). */
  lastSkip?: string;
  /** Pause of the latest capture in ms. */
  lastPause?: number;
  /** The series' growing paths (`TimerMetrics.timers`), largest share first. */
  growth: { path: string; kind: string; countPerStep: number; bytesPerStep: number; share: number }[];
  /** Files written by `heapSnapshotNearLimit`. */
  files: string[];
}

/** What `monitor.report()` returns and reporters render. */
export interface MonitorReport {
  /** When the report was made, ms since the epoch. */
  time: number;
  /** When monitoring started, ms since the epoch. */
  startedAt: number;
  /** Ticks so far. */
  ticks: number;
  /** The evidence level reached. */
  level: EvidenceLevel;
  heap: {
    /**
     * The latest heap after a major GC (bytes the program can own), with the external memory
     * (ArrayBuffers) its objects hold; `NaN` before the first.
     */
    afterGC: number;
    used: number;
    rss: number;
    external: number;
    arrayBuffers: number;
    limit: number;
    cgroupLimit: number | null;
    /** Heap after GC over time, oldest first (at most the last 120 values, for a sparkline). */
    series: number[];
    /** Times of `series`, ms since the epoch. */
    times: number[];
    trend?: MonitorTrend;
    forecast?: MonitorForecast;
  };
  /** Requests counted since start. */
  requests: number;
  /** Routes, most requests first (at most 10), with what each explains of the growth when known. */
  routes: RouteAttribution[];
  /**
   * Allocation sites that grew since the baseline, tracemalloc style (`String(StatisticDiff)`),
   * largest first; at most 10. Empty without tracing.
   */
  allocations: string[];
  captures: CaptureSummary;
  /** Active findings, most severe first. */
  findings: Finding[];
  /** Failures seen (each reported once), by message. */
  errors: string[];
}

/**
 * Renders what a monitor sees. Every hook is optional and may return a promise; a hook that throws,
 * rejects or hangs is reported once and never stops the monitor or the other reporters. A reporter
 * should not keep what it is given beyond the call (the monitor's own memory must stay bounded).
 *
 * `onReport` is called synchronously as `stop()` begins (before its first `await`), so a reporter
 * that writes synchronously gets its final report out even from a `process.on('exit')` handler.
 *
 * @example
 * ```ts
 * import type { Reporter } from '@leakkit/core';
 * const slack: Reporter = {
 *   name: 'slack',
 *   async onFinding(finding, change) {
 *     if (finding.severity === 'leak') await postToSlack(`${change}: ${finding.title}`);
 *   },
 * };
 * createMonitor({ reporters: [slack] }).start();
 * ```
 */
export interface Reporter {
  /** For error messages. @defaultValue `'reporter #<index>'` */
  name?: string;
  /** The monitor started. */
  onStart?(info: MonitorInfo): Awaitable<void>;
  /** One tick's gauges. */
  onSample?(sample: MonitorSample): Awaitable<void>;
  /** A finding appeared or its severity rose. */
  onFinding?(finding: Finding, change: FindingChange): Awaitable<void>;
  /** A finding is no longer seen. */
  onResolve?(finding: Finding): Awaitable<void>;
  /** Something failed (a detector, a reporter, a capture skipped as unsafe): each kind once. */
  onError?(error: LeakkitError): Awaitable<void>;
  /** The report: at `stop()`, and whenever `monitor.report({ emit: true })` asks. */
  onReport?(report: MonitorReport): Awaitable<void>;
  /** The monitor stopped: flush and close. */
  onStop?(): Awaitable<void>;
}

/** Severity order for sorting: leak first. @internal */
export const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { leak: 0, warning: 1, info: 2 };
