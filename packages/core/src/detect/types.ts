import type { HeapGraph } from '../heap/graph.js';
import type { Growth } from '../heap/growth.js';
import type { StatsHelpers } from '../stats/helpers.js';
import type { Snapshot } from '../tracing/snapshot.js';

/** How serious a finding is: a note, something to look at, or a leak. */
export type Severity = 'info' | 'warning' | 'leak';

/** Where something is allocated: the user's file and 1-based line. */
export interface FindingSite {
  /** Path or URL of the source file, as the stack shows it. */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column, when known. */
  column?: number;
}

/** How fast something grows. A finding gives at least one of these. */
export interface FindingGrowth {
  /** Bytes retained per iteration of the work (under `checkBounded`). */
  bytesPerIteration?: number;
  /** Objects (entries, listeners, timers) retained per iteration. */
  objectsPerIteration?: number;
  /** Bytes retained per minute of wall-clock time (live monitoring). */
  bytesPerMinute?: number;
  /** Bytes held now by what grows. */
  bytes?: number;
  /** Entries / objects held now by what grows. */
  count?: number;
}

/**
 * One thing a detector found: what grows, how fast, how sure it is and what to do about it.
 * Findings are data: detectors return them, reporters render them, nobody prints.
 *
 * @example
 * ```ts
 * const finding: Finding = {
 *   id: 'timers:TimerMetrics.timers',
 *   detector: 'timers',
 *   severity: 'leak',
 *   title: 'Timing registry `TimerMetrics.timers` grows by 1 entry per request',
 *   path: 'TimerMetrics.timers',
 *   site: { file: 'src/log.ts', line: 128 },
 *   growth: { objectsPerIteration: 1, bytesPerIteration: 96 },
 *   confidence: 0.97,
 *   advice: 'Clear it after you aggregate, or bound it.',
 * };
 * ```
 */
export interface Finding {
  /**
   * Stable identity of the finding across checks: the same growing thing gets the same id each time,
   * so findings are de-duplicated and their severity can rise. Prefix it with the detector's name:
   * `'listeners:bus'`, `'timers:TimerMetrics.timers'`.
   */
  id: string;
  /** Name of the detector that made it. */
  detector: string;
  /** How serious it is; the finding store may raise it as evidence accumulates across checks. */
  severity: Severity;
  /** One line for a person: what grows and how. */
  title: string;
  /** What keeps it alive, as the developer wrote it: `'TimerMetrics.timers'`. A finding gives `path`, `site` or both. */
  path?: string;
  /** Where it is allocated, in the user's code. */
  site?: FindingSite;
  /** The route whose requests the growth follows: `'GET /predict'`. */
  route?: string;
  /** How fast it grows; at least one field. */
  growth: FindingGrowth;
  /** How sure the detector is that this is a leak, 0..1. */
  confidence: number;
  /** What to do about it, specific to the pattern: "call `.clear()` after you aggregate". */
  advice: string;
  /** The numbers behind the finding, for reporters and debugging. */
  evidence?: Record<string, unknown>;
}

/** Undoes what `setup` (or `watch`) did. May be async; called once. */
export type Disposer = () => void | Promise<void>;

/**
 * The evidence a detector needs. The session gathers only what some detector asks for: allocation
 * tracing and heap snapshots cost time and memory, so a detector that does not declare them does not
 * get them. A detector without `needs` gets gauges only.
 */
export interface EvidenceNeeds {
  /**
   * The gauge history: heap sizes after GC, active handles, watched collections and the gauges the
   * detector watches itself (`ctx.gauges.watch`). Nearly free.
   * @defaultValue true when `needs` is absent, false otherwise
   */
  gauges?: boolean;
  /**
   * Allocation snapshots from the sampling heap profiler (or exact tracking under `checkBounded`).
   * @defaultValue false
   */
  allocations?: boolean;
  /**
   * Full heap graphs and their `findGrowth` results. Costs a pause per capture.
   * @defaultValue false
   */
  heapGraphs?: boolean;
  /**
   * Creation sites of timers and intervals (the timer functions wrapped, no async_hooks).
   * @defaultValue false
   */
  timers?: boolean;
  /**
   * Requests counted per route (`diagnostics_channel` `http.server.request.start`).
   * @defaultValue false
   */
  routes?: boolean;
}

/** What {@link evidenceNeeded} answers: every kind of evidence, on or off. */
export type ResolvedEvidenceNeeds = Required<EvidenceNeeds>;

/** A gauge's reader: returns the current value (a size, a count). */
export type GaugeReader = () => number;

/**
 * The bounded history of gauge samples a detector reads, oldest first: one row per sample, one
 * column per gauge. Conventional names: `heapUsed`, `heapTotal`, `external`, `arrayBuffers`, `rss`
 * (bytes), `activeTimers`, `activeHandles`, `perfEntries` (counts), `iterations` (under
 * `checkBounded`), `route:GET /predict` (requests), and whatever detectors `watch`.
 */
export interface Gauges {
  /** Samples held (at most the history's capacity). */
  readonly length: number;
  /** Names of the gauges with at least one sample or a reader. */
  names(): string[];
  /**
   * Sample times in ms, oldest first. Pass `out` (of at least `length` values) to reuse a buffer.
   * @returns `out`'s first `length` values, or a new array.
   */
  times(out?: Float64Array): Float64Array;
  /**
   * One gauge's values, oldest first, `NaN` where a sample did not read it (the stats functions skip
   * `NaN`), or undefined for an unknown gauge.
   */
  series(name: string, out?: Float64Array): Float64Array | undefined;
  /** The newest value of a gauge, or `NaN`. */
  latest(name: string): number;
  /**
   * Reads `read()` into gauge `name` at every sample from now on (replacing an earlier reader of
   * that name). A reader that throws records `NaN` and is reported, never thrown.
   * @returns a disposer that stops reading it (the samples taken stay).
   */
  watch(name: string, read: GaugeReader): Disposer;
}

/** Allocation snapshots, when tracing is on: the newest and those before it. */
export interface AllocationEvidence {
  /** The snapshot taken for this check. */
  current: Snapshot;
  /** Earlier snapshots, oldest first (bounded by the session). */
  previous: readonly Snapshot[];
}

/** Heap graphs, when heap snapshots are on. */
export interface HeapEvidence {
  /** The graphs captured so far in this series, oldest first. */
  graphs: readonly HeapGraph[];
  /** `findGrowth(graphs)`, computed once for every detector (empty for fewer than three graphs). */
  growth: readonly Growth[];
  /**
   * Under `checkBounded`: the calls of the function under test between each graph and the next
   * (one fewer than `graphs`), to turn growth per graph into growth per call. Absent in the monitor,
   * whose graphs are spaced by time.
   */
  iterations?: readonly number[];
}

/**
 * What a detector gets: what the session has gathered, and only that. Evidence that no detector
 * declared in `needs` is absent.
 */
export interface DetectorContext {
  /** The session's clock, in ms. */
  readonly now: () => number;
  /** The gauge history. */
  readonly gauges: Gauges;
  /** Allocation snapshots, when some detector needs `allocations` and tracing is on. */
  readonly allocations?: AllocationEvidence;
  /** Heap graphs and their growth, when some detector needs `heapGraphs`. */
  readonly heap?: HeapEvidence;
  /** Iterations of the function under test run so far (under `checkBounded` only). */
  readonly iteration?: number;
  /** Trend statistics: robust slope, Mann–Kendall, saturation, the three-way verdict. */
  readonly stats: StatsHelpers;
  /**
   * Aborted when the detector's time box runs out: a detector doing slow async work should stop.
   * Set by `runDetectors` / `setupDetectors` for each detector.
   */
  readonly signal?: AbortSignal;
}

/**
 * A leak detector: a plain object, usually made by a factory of its options
 * (`timers(options) => Detector`). `check` reads the context and returns findings; it should not
 * print or throw (a throwing detector is reported and skipped, the others still run).
 *
 * @example
 * ```ts
 * const heapGrowth: Detector = {
 *   name: 'heap-growth',
 *   check(ctx) {
 *     const used = ctx.gauges.series('heapUsed');
 *     const t = used && ctx.stats.classifyTrend(used, { xs: ctx.gauges.times() });
 *     if (t?.verdict !== 'leak') return [];
 *     return [{
 *       id: 'heap-growth:heapUsed', detector: 'heap-growth', severity: 'warning',
 *       title: 'Heap used keeps growing', path: 'heapUsed',
 *       growth: { bytesPerMinute: t.slope * 60_000 }, confidence: t.confidence,
 *       advice: 'Turn on allocation tracing to see where it is allocated.',
 *     }];
 *   },
 * };
 * ```
 */
export interface Detector {
  /** Short, unique among the detectors in use: `'timers'`, `'caches'`. */
  name: string;
  /** The evidence it needs; absent means gauges only. */
  needs?: EvidenceNeeds;
  /**
   * Who speaks when several detectors report the same `path` (or site): the highest priority wins
   * and the others are listed in its `evidence.alsoReportedBy`. Pattern detectors that know a leak
   * better than a generic one rank higher: core's generic growth finding is 0, `caches()` 10,
   * `timers()` 20.
   * @defaultValue 0
   */
  priority?: number;
  /** Called once before the first check: install hooks, watch gauges. May return a disposer. */
  // biome-ignore lint/suspicious/noConfusingVoidType: `void` lets a setup that returns nothing type-check, as DESIGN.md writes it
  setup?(ctx: DetectorContext): void | Disposer | Promise<void | Disposer>;
  /** Reads the evidence and returns what it found (an empty array for nothing). */
  check(ctx: DetectorContext): Finding[] | Promise<Finding[]>;
}
