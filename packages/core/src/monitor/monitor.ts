import { EventEmitter } from 'eventemitter3';
import { GaugeHistory } from '../detect/gauges.js';
import type { DetectorFailure } from '../detect/run.js';
import { createDetectorContext, evidenceNeeded, runDetectors, setupDetectors } from '../detect/run.js';
import { FindingStore } from '../detect/store.js';
import type { Detector, DetectorContext, Disposer, Finding } from '../detect/types.js';
import { describeValue, LeakkitError } from '../errors.js';
import type {
  CaptureSummary,
  EvidenceLevel,
  FindingChange,
  MonitorInfo,
  MonitorReport,
  MonitorSample,
  Reporter,
  RouteAttribution,
} from '../report/types.js';
import { SEVERITY_ORDER } from '../report/types.js';
import type { GrowingSite } from './allocations.js';
import { AllocationTracker } from './allocations.js';
import type { Analysis } from './analysis.js';
import { analyse, GAUGE, standingOut, trendSummary } from './analysis.js';
import { HeapCaptures, seriesStride } from './captures.js';
import type { GenericEvidence } from './finding.js';
import { describeRoute, GENERIC, genericFindings, HEAP_FINDING_ID } from './finding.js';
import { GcWatcher } from './gc.js';
import { HandleSites } from './handle-sites.js';
import { handlesDetector } from './handles.js';
import type { MemoryLimits } from './limits.js';
import { memoryLimits } from './limits.js';
import type { MonitorOptions, ResolvedMonitorOptions, WatchedCollection } from './options.js';
import { resolveMonitorOptions } from './options.js';
import { isLeakkitFile } from './own.js';
import type { RouteProbe, RouteProbeResult } from './route-probe.js';
import { chooseRoute, startRouteProbe } from './route-probe.js';
import { RouteCounter } from './routes.js';

/** Events of a {@link Monitor}. */
export interface MonitorEvents {
  /** One tick's gauges. */
  sample: (sample: MonitorSample) => void;
  /**
   * A finding appeared (`'new'`), its severity rose (`'escalated'`) or it learnt its path, site, route
   * or allocating line (`'updated'`).
   */
  finding: (finding: Finding, change: FindingChange) => void;
  /** A finding is no longer seen. */
  resolve: (finding: Finding) => void;
  /** Something failed or was skipped as unsafe; each kind is reported once. */
  error: (error: LeakkitError) => void;
}

/**
 * A live leak monitor: gauges every tick, evidence that escalates by itself (allocation sites, then
 * heap graphs within a pause budget), detectors, findings and reporters. Made by {@link createMonitor}.
 */
export interface Monitor extends EventEmitter<MonitorEvents> {
  /** Whether it is running (between `start()` and `stop()`). */
  readonly running: boolean;
  /** Starts ticking; idempotent. Hooks, timers and tracing start here, not in `createMonitor`. */
  start(): Monitor;
  /**
   * Stops: the final report goes to every reporter (synchronously, before the first `await`), then
   * everything the monitor installed is released: timers, the GC profiler, the diagnostics_channel
   * subscriptions, allocation tracing it started, detectors' hooks. Idempotent.
   * @param options - `report: false` to stop without sending the final report.
   * @returns the final report.
   */
  stop(options?: { report?: boolean }): Promise<MonitorReport>;
  /** The report now: gauges, trend and forecast, routes, top allocation lines, captures, findings. */
  report(): MonitorReport;
  /** Runs one tick now (gauges, escalation, detectors) and returns its sample. */
  check(): Promise<MonitorSample>;
  /**
   * Starts a series of heap captures now, whatever the gauges say and whatever the pause (memory
   * headroom is still checked), and resolves when it is complete or skipped. The first capture is
   * taken now, the others one per tick (object growth needs time between them).
   */
  captureNow(): Promise<CaptureSummary>;
  /** Follows a collection's size (or a reader's value) as gauge `name`. */
  watch(name: string, what: WatchedCollection): Disposer;
}

interface ReporterState {
  reporter: Reporter;
  name: string;
  pending: boolean;
  failed: boolean;
}

const MAX_ERROR_KINDS = 64;
// Ticks without suspicion before the investigation (finer tracing) ends.
const CALM_TICKS = 10;
// An investigation that runs out of time (tracing.maxInvestigation) lasts at least this many ticks.
const MIN_INVESTIGATION_TICKS = 10;
// The longest wait before another investigation, after several ran out of time in a row.
const MAX_INVESTIGATION_PAUSE = 6 * 3_600_000;
// Time between two heap series on their own (a series costs pauses and slower GC meanwhile): 30
// ticks, and at least ten minutes.
const SERIES_COOLDOWN = 600_000;
// Series that named nothing while the growth went on, retried sooner than the cooldown (after
// EMPTY_SERIES_WAIT ticks) with captures further apart, this many times in a row.
const MAX_EMPTY_SERIES = 3;
const EMPTY_SERIES_WAIT = 10;
// Ticks in a row (with a leak verdict) a route must explain the growth before the monitor names it:
// early on, warm-up growth (a cache filling with one route's traffic) can look like a route's leak.
const ROUTE_STREAK = 3;
// Ticks without any growth verdict after which the generic finding is resolved.
const STICKY_TICKS = 3;

function severityRank(f: Finding): number {
  return SEVERITY_ORDER[f.severity] ?? 3;
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function';
}

function sizeOf(what: WatchedCollection): () => number {
  if (typeof what === 'function') return what as () => number;
  // Weakly: following a collection must not keep it (or what it holds) alive.
  const ref = new WeakRef(what as object);
  return () => {
    const c = ref.deref() as { size?: number; length?: number } | undefined;
    if (c === undefined) return Number.NaN;
    return typeof c.size === 'number' ? c.size : (c.length ?? Number.NaN);
  };
}

function perfEntries(): number {
  // getEntries() throws above ~125k entries on Node 20; by type works.
  try {
    return performance.getEntriesByType('mark').length + performance.getEntriesByType('measure').length;
  } catch {
    return Number.NaN;
  }
}

class MonitorImpl extends EventEmitter<MonitorEvents> implements Monitor {
  readonly #o: ResolvedMonitorOptions;
  readonly #history: GaugeHistory;
  readonly #gc = new GcWatcher();
  // Where handles of a type the handles detector reports are opened (an async hook, briefly).
  readonly #handleSites = new HandleSites();
  readonly #routes: RouteCounter | undefined;
  readonly #allocs: AllocationTracker | undefined;
  readonly #captures: HeapCaptures;
  readonly #store = new FindingStore({ capacity: 200 });
  readonly #reporters: ReporterState[];
  readonly #detectors: Detector[];
  readonly #needs: ReturnType<typeof evidenceNeeded>;
  readonly #heapDetectors: Set<string>;
  readonly #pendingDetectors = new Set<string>();
  readonly #errorKinds = new Map<string, number>();
  readonly #errorMessages: string[] = [];
  readonly #watchers: Disposer[] = [];
  #limits: MemoryLimits = { heap: 0, usable: 0, cgroup: null };
  #running = false;
  #stopped = false;
  #startedAt = 0;
  #ticks = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #setup: Promise<() => Promise<void>> | undefined;
  #level: EvidenceLevel = 'gauges';
  #analysis: Analysis = { trend: undefined, routes: [], explaining: [], tied: false, forecast: undefined };
  #calm = 0;
  // The investigation (finer tracing): when it started, its ticks, when the next one may start, the
  // wait after the last one that ran out of time, and the line it named (kept on the finding after
  // it ran out, while the growth lasts).
  #investigationStart = 0;
  #investigationTicks = 0;
  #investigateAfter = 0;
  #investigationPause = 0;
  #namedSite: GrowingSite | undefined;
  #namedThisInvestigation = false;
  // tracing.maxInvestigation (never reached without tracing: there is no investigation then).
  readonly #maxInvestigation: number;
  #nextSeriesTick = 0;
  #seriesStart = 0;
  // Ticks between two captures of the series under way, the tick of its latest capture, and how many
  // series in a row named nothing.
  #captureStride = 1;
  #lastCaptureTick = 0;
  #emptySeries = 0;
  // When the latest heap series started (a few; the history's window holds no more than that).
  // Times of the monitor's own steps in the heap (heap series, route probes): level shifts for the route regression.
  readonly #seriesTimes: number[] = [];
  #seriesSpacing = 0;
  #captureWaiters: ((s: CaptureSummary) => void)[] = [];
  #captureRequested = false;
  #tracingFailed = false;
  #lastSample: MonitorSample | undefined;
  #generic: GenericEvidence | undefined;
  #signalHandler: (() => void) | undefined;
  readonly #known = new Map<string, string>();
  readonly #superseded = new Set<string>();
  #heapOffset = 0;
  #beforeSeries: { value: number; time: number; slope: number } | undefined;
  #settle = 0;
  readonly #cooldownTicks: number;
  #routeCandidate: string | undefined;
  #routeStreak = 0;
  #route: string | undefined;
  // The route probe: the one running, the growing line it was (or is being) run for, what it saw.
  #probe: RouteProbe | undefined;
  #probeSite: string | undefined;
  #probeResult: { site: string; result: RouteProbeResult } | undefined;
  // The route the findings name this tick, with how it was found (for the report's routes).
  #findingRoute: RouteAttribution | undefined;
  #stopping: Promise<MonitorReport> | undefined;

  constructor(options: ResolvedMonitorOptions) {
    super();
    this.#o = options;
    this.#history = new GaugeHistory({
      capacity: options.history,
      maxGauges: 256,
      onError: (error) => this.#fail(`gauge:${error.message}`, error),
    });
    this.#routes = options.routes
      ? new RouteCounter(options.routes.maxRoutes, options.routes.resolve)
      : undefined;
    this.#maxInvestigation = options.tracing ? options.tracing.maxInvestigation : Number.POSITIVE_INFINITY;
    this.#allocs = options.tracing
      ? new AllocationTracker(
          options.tracing.samplingInterval,
          options.tracing.escalatedInterval,
          Math.min(5 * options.interval, 5000),
          options.interval,
        )
      : undefined;
    this.#captures = new HeapCaptures(options.heapSnapshots, options.maxPause, options.captures);
    this.#cooldownTicks = Math.max(30, Math.ceil(SERIES_COOLDOWN / options.interval));
    this.#reporters = options.reporters.map((reporter, i) => ({
      reporter,
      name: typeof reporter.name === 'string' && reporter.name !== '' ? reporter.name : `reporter #${i}`,
      pending: false,
      failed: false,
    }));
    const generic: Detector = {
      name: GENERIC,
      priority: 0,
      needs: { gauges: true },
      check: () => (this.#generic === undefined ? [] : genericFindings(this.#generic)),
    };
    // Handles that pile up (watchers, sockets) hold little heap: the monitor's own second detector.
    this.#detectors = [generic, handlesDetector(this.#handleSites), ...options.detectors];
    this.#needs = evidenceNeeded(this.#detectors);
    this.#heapDetectors = new Set(options.detectors.filter((d) => d.needs?.heapGraphs).map((d) => d.name));
    this.#store.on('finding', (f) => this.#emitFinding(f, 'new'));
    // Only a real rise: the store also signals a streak that would lift a finding past `leak`.
    this.#store.on('escalate', (f, from) => {
      if (from !== f.severity) this.#emitFinding(f, 'escalated');
    });
    this.#store.on('resolve', (f) => {
      if (this.#superseded.delete(f.id)) return;
      this.#safeEmit('resolve', f);
      this.#callReporters('onResolve', f);
    });
  }

  get running(): boolean {
    return this.#running;
  }

  start(): Monitor {
    if (this.#running || this.#stopped) return this;
    this.#running = true;
    this.#startedAt = Date.now();
    this.#limits = memoryLimits();
    this.#gc.start(Math.min(this.#o.interval, 5000), this.#o.collectGarbage === 0);
    this.#routes?.start();
    if (this.#allocs !== undefined) {
      try {
        // Always on only for a detector that needs allocation evidence at every tick; else from the
        // first suspicion of growth (escalate).
        this.#allocs.start(this.#needs.allocations === true);
      } catch (error) {
        this.#tracingFailed = true;
        this.#fail('tracing', error, 'Allocation tracing is off');
      }
    }
    for (const [name, what] of Object.entries(this.#o.watch)) this.#watchers.push(this.watch(name, what));
    const ctx = createDetectorContext({ gauges: this.#history });
    this.#setup = setupDetectors(this.#o.detectors, ctx, {
      timeout: this.#o.timeout,
      onError: (f) => this.#detectorFailed(f),
    }).catch((error: unknown) => {
      this.#fail('setup', error);
      return async () => {};
    });
    const signal = this.#o.captureSignal;
    if (signal !== undefined) {
      this.#signalHandler = () => {
        void this.captureNow();
      };
      try {
        process.on(signal, this.#signalHandler);
      } catch (error) {
        this.#signalHandler = undefined;
        this.#fail('signal', error, `Cannot listen to ${signal}`);
      }
    }
    this.#callReporters('onStart', this.#info());
    this.#schedule();
    return this;
  }

  #info(): MonitorInfo {
    return {
      pid: process.pid,
      node: process.version,
      startedAt: this.#startedAt,
      interval: this.#o.interval,
      detectors: this.#detectors.map((d) => d.name),
      heapLimit: this.#limits.heap,
      cgroupLimit: this.#limits.cgroup,
      tracing: {
        on: this.#allocs !== undefined && !this.#tracingFailed,
        samplingInterval: this.#o.tracing ? this.#o.tracing.samplingInterval : 0,
      },
      heapSnapshots: this.#o.heapSnapshots,
    };
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.check().finally(() => this.#schedule());
    }, this.#o.interval);
    // The monitor never keeps its host alive.
    this.#timer.unref();
  }

  check(): Promise<MonitorSample> {
    const run = this.#queue.then(
      () => this.#tick(),
      () => this.#tick(),
    );
    this.#queue = run.catch(() => undefined);
    return run;
  }

  captureNow(): Promise<CaptureSummary> {
    return new Promise((resolve) => {
      if (!this.#running || this.#o.heapSnapshots === 'off') {
        resolve(this.#captures.summary());
        return;
      }
      this.#captureRequested = true;
      this.#captureWaiters.push(resolve);
      void this.check();
    });
  }

  watch(name: string, what: WatchedCollection): Disposer {
    return this.#history.watch(name, sizeOf(what));
  }

  async #tick(): Promise<MonitorSample> {
    const time = Date.now();
    this.#ticks++;
    const mem = process.memoryUsage();
    const budget = this.#o.collectGarbage;
    let gc = { majors: 0, afterGC: Number.NaN, external: Number.NaN, collected: false };
    try {
      gc = this.#gc.read(this.#running ? budget : 0, mem.heapUsed);
    } catch (error) {
      this.#fail('gc', error);
    }
    const handles: Record<string, number> = {};
    let activeHandles = 0;
    try {
      for (const type of process.getActiveResourcesInfo()) {
        handles[type] = (handles[type] ?? 0) + 1;
        activeHandles++;
      }
    } catch {
      // Not available: the handle gauges stay empty.
    }
    const perf = perfEntries();
    const afterGC = this.#correct(gc.afterGC, time);
    const values: Record<string, number> = {
      [GAUGE.heapAfterGC]: afterGC,
      [GAUGE.externalAfterGC]: gc.external,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      rss: mem.rss,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      perfEntries: perf,
      activeHandles,
      activeTimers: handles.Timeout ?? 0,
    };
    for (const type in handles) values[`handles:${type}`] = handles[type]!;
    const routes: Record<string, number> = {};
    if (this.#routes !== undefined) {
      values[GAUGE.requests] = this.#routes.total;
      for (const { route, count } of this.#routes.counts()) {
        values[`${GAUGE.routePrefix}${route}`] = count;
        routes[route] = count;
      }
    }
    this.#history.record(time, values);

    try {
      this.#analysis = analyse(this.#history, this.#limits, mem.rss, this.#seriesTimes);
    } catch (error) {
      this.#fail('analysis', error);
    }
    if (this.#running) await this.#nearLimit(mem.rss);
    let heapEvidence = false;
    if (this.#running) heapEvidence = await this.#escalate();
    if (this.#running) await this.#runDetectors(heapEvidence);
    this.#captures.releaseEvidence();

    const sample: MonitorSample = {
      time,
      tick: this.#ticks,
      heapAfterGC: afterGC,
      collected: gc.collected,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      rss: mem.rss,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      heapLimit: this.#limits.heap,
      perfEntries: perf,
      handles,
      requests: this.#routes?.total ?? 0,
      routes,
      majorGCs: gc.majors,
      level: this.#level,
    };
    // The tick's analysis too, so that reporters exporting live metrics (Prometheus) need no report.
    const trend = this.#analysis.trend;
    if (trend !== undefined) sample.trend = trendSummary(trend);
    if (this.#analysis.forecast !== undefined) sample.forecast = this.#analysis.forecast;
    this.#lastSample = sample;
    if (this.#running) {
      this.#safeEmit('sample', sample);
      this.#callReporters('onSample', sample);
    }
    return sample;
  }

  /**
   * The heap after GC as the program's: readings taken while a heap series is under way are left out
   * (the captures' parsing churns the heap), and the step the monitor's own first captures leave
   * behind (the heap-graph code, its caches, the detectors' first heap analysis) is subtracted from
   * every later reading, measured against what the trend predicted across the series.
   */
  #correct(raw: number, time: number): number {
    if (this.#captures.inProgress) return Number.NaN;
    if (!Number.isFinite(raw)) return raw;
    const before = this.#beforeSeries;
    if (before !== undefined) {
      // The first readings after a series still hold its garbage (parsed chunks, the analysis):
      // left out, like the series' own.
      if (this.#settle > 0) {
        this.#settle--;
        return Number.NaN;
      }
      this.#beforeSeries = undefined;
      const expected = before.value + Math.max(0, before.slope) * (time - before.time);
      const shift = raw - this.#heapOffset - expected;
      if (shift > 0) this.#heapOffset += shift;
    }
    return raw - this.#heapOffset;
  }

  async #nearLimit(rss: number): Promise<void> {
    const dir = this.#o.nearLimitDir;
    if (dir === undefined) return;
    // The heap limit bounds the heap alone: the external bytes counted with it are left out here.
    const external = this.#history.latest(GAUGE.externalAfterGC);
    const heap = this.#history.latest(GAUGE.heapAfterGC) - (Number.isFinite(external) ? external : 0);
    // The usable limit: a heap dies near the old generation's maximum, well below heap_size_limit.
    const nearHeap = heap >= 0.85 * this.#limits.usable;
    const nearCgroup = this.#limits.cgroup !== null && rss >= 0.85 * this.#limits.cgroup;
    if (!nearHeap && !nearCgroup) return;
    try {
      const r = await this.#captures.nearLimit(dir, this.#limits);
      if (r.skipped !== undefined)
        this.#fail('near-limit', undefined, `Skipped the heap snapshot near the limit: ${r.skipped}`);
      else if (r.file !== undefined)
        this.#fail('near-limit-file', undefined, `Wrote a heap snapshot near the memory limit: ${r.file}`);
    } catch (error) {
      this.#fail('near-limit-error', error, 'The heap snapshot near the limit failed');
    }
  }

  /**
   * Decides how much evidence to gather this tick and gathers it: allocation snapshots while the
   * gauges suspect growth (or a detector needs them), then a heap series when the growth is
   * sustained, tied to the work, and a capture is safe and fits the budget.
   * @returns whether a heap series completed this tick (its evidence goes to the detectors).
   */
  async #escalate(): Promise<boolean> {
    const t = this.#analysis.trend;
    const suspect = t !== undefined && t.verdict !== 'not-leak' && t.slope > 0;
    const sustained = t !== undefined && t.verdict === 'leak' && t.slope > 0;
    this.#calm = suspect ? 0 : this.#calm + 1;
    const allocs = this.#allocs;
    if (allocs !== undefined && !this.#tracingFailed) {
      try {
        const now = Date.now();
        if (suspect && !allocs.escalated && now >= this.#investigateAfter) {
          allocs.escalate();
          this.#investigationStart = now;
          this.#investigationTicks = 0;
          this.#namedThisInvestigation = false;
        } else if (this.#calm >= CALM_TICKS && allocs.escalated && !this.#captures.inProgress) allocs.relax();
        else if (allocs.escalated && this.#investigationSpent(now)) {
          // Out of time: back to the production interval, and a longer wait before the next one.
          allocs.relax();
          this.#investigationPause = Math.min(
            MAX_INVESTIGATION_PAUSE,
            this.#investigationPause === 0 ? this.#maxInvestigation : 2 * this.#investigationPause,
          );
          this.#investigateAfter = now + this.#investigationPause;
        }
        if (this.#calm >= CALM_TICKS) {
          // The growth is over: the next suspicion gets a full investigation at once.
          this.#investigationPause = 0;
          this.#investigateAfter = 0;
          this.#namedSite = undefined;
        }
        if (allocs.escalated) this.#investigationTicks++;
        if (allocs.escalated || this.#needs.allocations || suspect) await allocs.snapshot();
      } catch (error) {
        if (!allocs.on) {
          // Tracing could not start (no inspector in this runtime): the gauges go on without it.
          this.#tracingFailed = true;
          this.#fail('tracing', error, 'Allocation tracing is off');
        } else this.#fail('allocations', error, 'An allocation snapshot failed');
      }
    }
    const policy = this.#o.heapSnapshots;
    const forced = this.#captureRequested;
    const wanted =
      forced ||
      this.#captures.inProgress ||
      (policy !== 'off' && sustained && this.#analysis.tied && this.#ticks >= this.#nextSeriesTick);
    if (this.#calm >= CALM_TICKS) this.#emptySeries = 0;
    // A series under way takes its next capture when its stride has passed.
    const due =
      forced || !this.#captures.inProgress || this.#ticks - this.#lastCaptureTick >= this.#captureStride;
    let completed = false;
    if (wanted && due && this.#running) {
      const reason = this.#captures.unsafe(forced || policy === 'on', this.#limits);
      if (reason !== undefined) {
        this.#captures.skip(reason);
        this.#fail(
          `capture:${reason.replace(/[\d.]+/g, '#')}`,
          undefined,
          `Skipped a heap capture: ${reason}`,
        );
        if (this.#captures.inProgress) await this.#captures.abort();
        // Try again later, not at every tick: the conditions rarely change from one tick to the next.
        this.#nextSeriesTick = this.#ticks + this.#cooldownTicks;
        this.#finishCapture();
      } else {
        try {
          if (!this.#captures.inProgress) {
            this.#seriesStart = Date.now();
            this.#expectOwnStep('series', this.#seriesStart);
            this.#captureStride = forced
              ? 1
              : seriesStride(t?.slope ?? 0, this.#o.interval, this.#emptySeries);
          }
          // No route probe during a heap capture: it gives way (and may run again for its line later).
          this.#probe?.stop();
          completed = await this.#captures.step();
          this.#lastCaptureTick = this.#ticks;
          if (completed) {
            this.#seriesSpacing = (Date.now() - this.#seriesStart) / Math.max(1, this.#o.captures - 1);
            const named = this.#captures.growth.length > 0;
            if (!named && sustained && this.#emptySeries < MAX_EMPTY_SERIES) {
              // The heap grows and the series saw nothing grow: again soon, captures further apart.
              this.#emptySeries++;
              this.#nextSeriesTick = this.#ticks + EMPTY_SERIES_WAIT;
            } else {
              if (named) this.#emptySeries = 0;
              this.#nextSeriesTick = this.#ticks + this.#cooldownTicks;
            }
            this.#finishCapture();
          }
        } catch (error) {
          this.#fail('capture-failed', error, 'A heap capture failed');
          this.#nextSeriesTick = this.#ticks + this.#cooldownTicks;
          this.#finishCapture();
        }
      }
    }
    this.#level =
      this.#captures.inProgress || completed ? 'heap-graphs' : allocs?.escalated ? 'allocations' : 'gauges';
    const live = allocs?.growingSite(t?.slope ?? 0);
    if (live !== undefined) {
      this.#namedSite = live;
      this.#namedThisInvestigation = true;
    }
    // After an investigation ran out of time, the line it named stays on the finding while the
    // growth lasts, through the next investigation too until that one names a line (its baseline
    // starts over). Within one investigation a line no longer growing is dropped, as before.
    const site =
      live ?? (allocs?.escalated === true && this.#namedThisInvestigation ? undefined : this.#namedSite);
    const regression = this.#followRoute(sustained);
    this.#maybeProbe(site);
    const probed = this.#probeRoute(site);
    const { route, regressionRoute, probeRoute } = chooseRoute(
      regression,
      probed,
      this.#probeResult?.result.hits ?? [],
    );
    this.#findingRoute = route;
    this.#generic = {
      analysis: this.#analysis,
      site,
      growth: this.#captures.growth,
      spacing: this.#seriesSpacing,
      captureSkip: this.#captures.summary().lastSkip,
      lines: allocs?.topLines(5) ?? [],
      route,
      regressionRoute,
      probeRoute,
      sticky:
        this.#store.get(HEAP_FINDING_ID)?.streak !== undefined &&
        this.#store.get(HEAP_FINDING_ID)!.streak > 0 &&
        this.#calm < STICKY_TICKS,
    };
    return completed;
  }

  /**
   * Whether the investigation running has used its time (`tracing.maxInvestigation`, and at least
   * MIN_INVESTIGATION_TICKS ticks) and may end: not while a heap series or the route probe, which
   * work from what it found, are running.
   */
  #investigationSpent(now: number): boolean {
    return (
      now - this.#investigationStart >= this.#maxInvestigation &&
      this.#investigationTicks >= MIN_INVESTIGATION_TICKS &&
      !this.#captures.inProgress &&
      this.#probe === undefined
    );
  }

  /**
   * The route the growth follows: the top explaining route, once it has been the top one for
   * `ROUTE_STREAK` ticks in a row with a leak verdict; kept while it still explains some of it.
   */
  #followRoute(sustained: boolean): Analysis['routes'][number] | undefined {
    // Only a route that stands out (see standingOut).
    const top = standingOut(this.#analysis.explaining);
    if (sustained && top !== undefined) {
      this.#routeStreak = top.route === this.#routeCandidate ? this.#routeStreak + 1 : 1;
      this.#routeCandidate = top.route;
      if (this.#routeStreak >= ROUTE_STREAK) this.#route = top.route;
    } else if (!sustained) {
      this.#routeStreak = 0;
      this.#routeCandidate = undefined;
    }
    if (this.#route === undefined) return undefined;
    // Once named, it stays while it still explains some of the growth (one tick's noisier fit is no
    // reason to take the route off the finding) by more than the fit's own uncertainty (a slow leak
    // under a changing mix lets a bystander route win three noisy ticks: measured, `GET /health`
    // named for a rate limiter's leak, its estimate later below one standard error); with none
    // left, another route (or none) has to earn its place again.
    const current =
      this.#analysis.explaining.find((r) => r.route === this.#route) ??
      this.#analysis.routes.find((r) => r.route === this.#route && r.share > 0 && r.unique >= r.stderr);
    if (current === undefined) this.#route = undefined;
    return current;
  }

  /**
   * Starts the route probe when allocation tracing names a growing line: once per growing line, never
   * two at once, never during a heap capture. Also when the regression names a route: under a mix
   * that is only nearly steady it can name the wrong one (measured: a POST route with a body, none
   * of whose requests kept anything, named for a GET route's leak), and the probe says which route
   * runs the line.
   */
  #maybeProbe(site: GrowingSite | undefined): void {
    const o = this.#o.routes;
    if (o === false || !o.probe || this.#routes === undefined || !this.#running) return;
    if (site === undefined || this.#probe !== undefined) return;
    if (this.#allocs === undefined || this.#tracingFailed || this.#captures.inProgress) return;
    const key = `${site.site.file}:${site.site.line}`;
    if (key === this.#probeSite) return;
    this.#probeSite = key;
    this.#probeResult = undefined;
    try {
      // Debugger.enable leaves V8's debug data in the heap (~0.5 MB, measured), a step the route
      // regression must not give to whichever route was busy, and the trend must not read as growth
      // (a bounded server whose sampling noise named a line would get a leak finding from the probe
      // alone).
      this.#expectOwnStep('probe', Date.now());
      const probe = startRouteProbe({
        file: site.site.file,
        line: site.site.line,
        maxRoutes: o.maxRoutes,
        resolve: o.resolve,
      });
      this.#probe = probe;
      void probe.done.then((result) => {
        if (this.#probe === probe) this.#probe = undefined;
        if (result.error !== undefined) this.#fail('route-probe', result.error, 'The route probe failed');
        // Stopped before it could say (a heap capture, stop()): it may run again for this line.
        if (result.reason === 'stopped' && result.route === undefined) {
          if (this.#probeSite === key) this.#probeSite = undefined;
          return;
        }
        if (this.#probeSite === key) this.#probeResult = { site: key, result };
      });
    } catch (error) {
      // Reported once, and not tried again for this line.
      this.#fail('route-probe', error, 'The route probe failed');
    }
  }

  /**
   * The route the probe found running the growing line, while that line is still the one growing;
   * bytes per request are the heap's growth rate over that route's request rate in the trend's window.
   */
  #probeRoute(site: GrowingSite | undefined): RouteAttribution | undefined {
    const p = this.#probeResult;
    if (p === undefined || p.result.route === undefined) return undefined;
    if (site !== undefined && `${site.site.file}:${site.site.line}` !== p.site) return undefined;
    const route = p.result.route;
    const row = this.#analysis.routes.find((r) => r.route === route);
    return {
      route,
      requests: row?.requests ?? 0,
      bytesPerRequest: this.#perRequest(route),
      unique: row?.unique ?? Number.NaN,
      stderr: row?.stderr ?? Number.POSITIVE_INFINITY,
      share: row?.share ?? 0,
      method: 'probe',
      probe: { hits: p.result.routeHits, sampled: p.result.sampled },
    };
  }

  /** The heap's growth rate over `route`'s request rate, both over the trend's window; NaN when unknown. */
  #perRequest(route: string): number {
    const t = this.#analysis.trend;
    const counts = this.#history.series(`${GAUGE.routePrefix}${route}`);
    if (t === undefined || !(t.slope > 0) || counts === undefined) return Number.NaN;
    const times = this.#history.times();
    const last = counts.length - 1;
    let first = Math.max(0, t.from);
    while (first < last && !Number.isFinite(counts[first]!)) first++;
    if (first >= last || !Number.isFinite(counts[last]!)) return Number.NaN;
    const rate = (counts[last]! - counts[first]!) / (times[last]! - times[first]!);
    return rate > 0 ? t.slope / rate : Number.NaN;
  }

  /**
   * Marks a step of the monitor's own in the heap after GC (a heap series, the route probe): a level
   * shift for the route regression (the last reading before it is on its near side), and corrected
   * out of the series by {@link #correct} at the next reading, beyond what the trend's slope
   * explains. A series' first readings still hold its garbage and are left out; a probe does not
   * replace a correction still awaited.
   */
  #expectOwnStep(kind: 'series' | 'probe', now: number): void {
    if (this.#seriesTimes.length >= 8) this.#seriesTimes.shift();
    this.#seriesTimes.push(this.#history.times().at(-1) ?? now);
    const value = this.#history.latest(GAUGE.heapAfterGC);
    if (!Number.isFinite(value) || (kind === 'probe' && this.#beforeSeries !== undefined)) return;
    this.#beforeSeries = {
      value,
      time: this.#history.times().at(-1) ?? now,
      slope: this.#analysis.trend?.slope ?? 0,
    };
    if (kind === 'series') this.#settle = 2;
  }

  #finishCapture(): void {
    this.#captureRequested = false;
    const waiters = this.#captureWaiters;
    this.#captureWaiters = [];
    const summary = this.#captures.summary();
    for (const w of waiters) w(summary);
  }

  async #runDetectors(heapEvidence: boolean): Promise<void> {
    if (this.#setup !== undefined) await this.#setup;
    const init: Parameters<typeof createDetectorContext>[0] = { gauges: this.#history };
    const allocations = this.#allocs?.evidence();
    if (allocations !== undefined) init.allocations = allocations;
    const heap = heapEvidence ? this.#captures.takeEvidence() : undefined;
    if (heap !== undefined) init.heap = heap;
    const ctx: DetectorContext = createDetectorContext(init);
    // A detector whose earlier check still hangs sits this tick out: its late result is ignored anyway.
    const list = this.#detectors
      .filter((d) => !this.#pendingDetectors.has(d.name))
      .map((d) => this.#guard(d));
    const failed = new Set<string>();
    const run = await runDetectors(list, ctx, {
      timeout: this.#o.timeout,
      maxFindings: 50,
      onError: (f) => {
        if (f.phase === 'check') failed.add(f.detector);
        this.#detectorFailed(f);
      },
    });
    if (!this.#running) return;
    const ran = list
      .map((d) => d.name)
      // Findings that came from heap graphs stay until the next series: a check without graphs is no
      // evidence that they are gone.
      .filter((name) => !failed.has(name) && (heap !== undefined || !this.#heapDetectors.has(name)));
    // Absorbed by a pattern detector in this run (same path): its resolution is no news either.
    for (const f of run.findings) {
      const also = f.evidence?.alsoReportedBy;
      if (f.detector === GENERIC || !Array.isArray(also)) continue;
      for (const a of also as { detector?: unknown; id?: unknown }[]) {
        if (a.detector === GENERIC && typeof a.id === 'string') this.#superseded.add(a.id);
      }
    }
    const findings = this.#merge(run.findings);
    this.#store.record(findings, {
      ran,
      onListenerError: (error) => this.#fail('store-listener', error),
    });
    this.#announceUpdates();
  }

  /**
   * `'updated'` for findings that learnt a path, a site, a route or the line that allocates them
   * (`evidence.allocation`, from allocation tracing) since they were last announced (the generic
   * finding names the site first, then the path once a heap series completes).
   */
  #announceUpdates(): void {
    const known = this.#known;
    const seen = new Set<string>();
    // The active findings as reported: pattern findings from an earlier heap series get the route
    // and site the generic evidence has learnt since.
    for (const stored of this.#store.findings('active')) {
      const f = this.#enrich(stored);
      seen.add(f.id);
      const allocation = typeof f.evidence?.allocation === 'string' ? f.evidence.allocation : '';
      const key = `${f.path ?? ''}\u0000${f.site ? `${f.site.file}:${f.site.line}` : ''}\u0000${f.route ?? ''}\u0000${allocation === '' ? '' : '1'}`;
      const before = known.get(f.id);
      known.set(f.id, key);
      if (before === undefined || before === key) continue;
      const [path, site, route, allocated] = before.split('\u0000');
      const learnt =
        (path === '' && f.path !== undefined) ||
        (site === '' && f.site !== undefined) ||
        (route === '' && f.route !== undefined) ||
        (allocated === '' && allocation !== '');
      if (learnt) this.#emitFinding(f, 'updated');
    }
    // Only what is still reported: the map stays as small as the active findings.
    for (const id of known.keys()) if (!seen.has(id)) known.delete(id);
  }

  /** Wraps a detector so a check that is still pending after its time box keeps it out of later ticks. */
  #guard(d: Detector): Detector {
    return {
      ...d,
      check: (ctx) => {
        const result = d.check(ctx);
        if (isPromiseLike(result)) {
          this.#pendingDetectors.add(d.name);
          const clear = () => {
            this.#pendingDetectors.delete(d.name);
          };
          Promise.resolve(result).then(clear, clear);
        }
        return result;
      },
    };
  }

  /**
   * The generic finding gives way to a pattern detector's finding about the same path or site, in
   * this run or still active from an earlier one (heap-graph findings persist between series); the
   * pattern finding then gets the route and site the generic one knew.
   */
  #merge(findings: Finding[]): Finding[] {
    const subjects = new Set<string>();
    const subject = (f: Finding) =>
      f.path !== undefined ? `path:${f.path}` : f.site ? `site:${f.site.file}:${f.site.line}` : undefined;
    for (const f of [...findings, ...this.#store.findings('active')]) {
      if (f.detector === GENERIC) continue;
      const s = subject(f);
      if (s !== undefined) subjects.add(s);
      if (f.site !== undefined) subjects.add(`site:${f.site.file}:${f.site.line}`);
    }
    const out: Finding[] = [];
    for (const f of findings) {
      // leakkit's own state (a stats memo filling up to the history's size) is not the program's leak.
      if (f.site !== undefined && isLeakkitFile(f.site.file)) continue;
      if (f.detector === GENERIC) {
        const byPath = f.path !== undefined && subjects.has(`path:${f.path}`);
        const bySite =
          f.path === undefined && f.site !== undefined && subjects.has(`site:${f.site.file}:${f.site.line}`);
        if (byPath || bySite) {
          // Superseded by a pattern detector's finding: its resolution is no news.
          this.#superseded.add(f.id);
          continue;
        }
      }
      out.push(this.#enrich(f));
    }
    return out;
  }

  /** Adds the route and site of the generic evidence to a pattern finding about the same thing. */
  #enrich(f: Finding): Finding {
    if (f.detector === GENERIC) return f;
    const g = this.#generic;
    if (g === undefined) return f;
    const top = g.growth[0];
    const absorbed = Array.isArray(f.evidence?.alsoReportedBy)
      ? (f.evidence.alsoReportedBy as { detector?: string }[]).some((a) => a.detector === GENERIC)
      : false;
    const samePath = f.path !== undefined && top !== undefined && f.path === top.path;
    const sameSite =
      f.site !== undefined &&
      g.site !== undefined &&
      f.site.file === g.site.site.file &&
      f.site.line === g.site.site.line;
    if (!absorbed && !samePath && !sameSite) return f;
    const route = g.route;
    const allocation = g.site !== undefined ? String(g.site.diff) : undefined;
    const needsRoute = f.route === undefined && route !== undefined;
    const needsSite = f.site === undefined && g.site !== undefined;
    const needsAllocation = allocation !== undefined && f.evidence?.allocation === undefined;
    if (!needsRoute && !needsSite && !needsAllocation) return f;
    const evidence: Record<string, unknown> = { ...f.evidence };
    const out: Finding = { ...f, evidence };
    if (needsRoute) {
      out.route = route.route;
      evidence.route = describeRoute(route);
    }
    if (needsSite && g.site !== undefined) out.site = { ...g.site.site };
    // The line that allocates what the pattern detector found, from allocation tracing.
    if (needsAllocation) evidence.allocation = allocation;
    return out;
  }

  report(): MonitorReport {
    const heapSeries = this.#history.series(GAUGE.heapAfterGC) ?? new Float64Array(0);
    const times = this.#history.times();
    const series: number[] = [];
    const seriesTimes: number[] = [];
    for (let i = Math.max(0, heapSeries.length - 120); i < heapSeries.length; i++) {
      if (!Number.isFinite(heapSeries[i]!)) continue;
      series.push(heapSeries[i]!);
      seriesTimes.push(times[i]!);
    }
    const s = this.#lastSample;
    const mem = s ?? process.memoryUsage();
    const latestAfterGC = series.length > 0 ? series[series.length - 1]! : Number.NaN;
    const findings = this.#store
      .findings('active')
      .map((f) => this.#enrich(f))
      .sort((a, b) => severityRank(a) - severityRank(b) || b.confidence - a.confidence);
    const t = this.#analysis.trend;
    const routes = (this.#analysis.routes.length > 0 ? this.#analysis.routes : this.#plainRoutes()).slice(
      0,
      10,
    );
    const named = this.#findingRoute;
    if (named !== undefined && findings.some((f) => f.route === named.route)) {
      // The route the findings name, with how it was found (and, found by the probe, its estimate).
      const i = routes.findIndex((r) => r.route === named.route);
      const row =
        named.method === 'probe'
          ? { ...(i >= 0 ? routes[i]! : named), method: named.method, bytesPerRequest: named.bytesPerRequest }
          : { ...(i >= 0 ? routes[i]! : named), method: named.method ?? 'regression' };
      if (named.probe !== undefined) row.probe = { ...named.probe };
      if (i >= 0) routes[i] = row;
      else if (routes.length < 10) routes.push(row);
      else routes[routes.length - 1] = row;
    }
    const report: MonitorReport = {
      time: Date.now(),
      startedAt: this.#startedAt,
      ticks: this.#ticks,
      level: this.#level,
      heap: {
        afterGC: latestAfterGC,
        used: mem.heapUsed,
        rss: mem.rss,
        external: mem.external,
        arrayBuffers: mem.arrayBuffers,
        limit: this.#limits.heap,
        cgroupLimit: this.#limits.cgroup,
        series,
        times: seriesTimes,
      },
      requests: this.#routes?.total ?? 0,
      routes,
      allocations: this.#allocs?.topLines(10) ?? [],
      captures: this.#captures.summary(),
      findings,
      errors: [...this.#errorMessages],
    };
    if (t !== undefined) report.heap.trend = trendSummary(t);
    if (this.#analysis.forecast !== undefined) report.heap.forecast = this.#analysis.forecast;
    return report;
  }

  /** Routes by requests when no regression could be made yet. */
  #plainRoutes(): MonitorReport['routes'] {
    const counts = this.#routes?.counts() ?? [];
    return counts
      .sort((a, b) => b.count - a.count)
      .map((c) => ({
        route: c.route,
        requests: c.count,
        bytesPerRequest: Number.NaN,
        unique: Number.NaN,
        stderr: Number.POSITIVE_INFINITY,
        share: 0,
      }));
  }

  stop(options: { report?: boolean } = {}): Promise<MonitorReport> {
    if (this.#stopping !== undefined) return this.#stopping;
    const wasRunning = this.#running;
    const send = wasRunning && options?.report !== false;
    this.#running = false;
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    // Everything up to the reporters' calls is synchronous, so that a stop() from an 'exit' handler
    // still gets the report out through reporters that write synchronously.
    const report = this.report();
    const reported = send ? this.#callReporters('onReport', report) : Promise.resolve();
    const stopped = wasRunning ? this.#callReporters('onStop') : Promise.resolve();
    if (this.#signalHandler !== undefined && this.#o.captureSignal !== undefined) {
      process.off(this.#o.captureSignal, this.#signalHandler);
      this.#signalHandler = undefined;
    }
    this.#routes?.stop();
    this.#probe?.stop();
    this.#gc.stop();
    this.#handleSites.stop();
    for (const dispose of this.#watchers.splice(0)) dispose();
    this.#finishCapture();
    this.#stopping = (async () => {
      // A tick under way finishes (it checks `running` after every await) before hooks go away.
      await this.#queue;
      await this.#captures.abort();
      this.#allocs?.stop();
      if (this.#setup !== undefined) {
        const dispose = await this.#setup;
        await dispose();
      }
      await Promise.all([reported, stopped]);
      return report;
    })();
    return this.#stopping;
  }

  #emitFinding(f: Finding, change: FindingChange): void {
    this.#safeEmit('finding', f, change);
    this.#callReporters('onFinding', f, change);
  }

  #safeEmit<E extends keyof MonitorEvents>(event: E, ...args: Parameters<MonitorEvents[E]>): void {
    try {
      // biome-ignore lint/suspicious/noExplicitAny: eventemitter3's rest-args typing needs a cast here
      (this.emit as any)(event, ...args);
    } catch (error) {
      if (event !== 'error') this.#fail(`listener:${event}`, error, `A \`${event}\` listener threw`);
    }
  }

  /** A detector failure, reported once per detector, phase and kind. */
  #detectorFailed(f: DetectorFailure): void {
    this.#fail(`detector:${f.detector}:${f.phase}:${f.error.code}`, undefined, undefined, f.error);
  }

  /**
   * Reports a failure once per `kind` (to 'error' listeners and reporters' `onError`), counts the
   * repeats, and never throws.
   */
  #fail(kind: string, cause: unknown, message?: string, error?: LeakkitError): void {
    const seen = this.#errorKinds.get(kind);
    if (seen !== undefined) {
      this.#errorKinds.set(kind, seen + 1);
      return;
    }
    if (this.#errorKinds.size >= MAX_ERROR_KINDS) return;
    this.#errorKinds.set(kind, 1);
    let e = error;
    if (e === undefined) {
      if (cause instanceof LeakkitError && message === undefined) e = cause;
      else {
        const reason =
          cause === undefined ? '' : `: ${cause instanceof Error ? cause.message : describeValue(cause)}`;
        e = new LeakkitError(
          kind.startsWith('capture') || kind.startsWith('near-limit')
            ? 'ERR_LEAKKIT_CAPTURE_SKIPPED'
            : 'ERR_LEAKKIT_MONITOR',
          `${message ?? `Monitor ${kind} failed`}${reason}`,
          cause === undefined ? {} : { cause },
        );
      }
    }
    if (this.#errorMessages.length < 20) this.#errorMessages.push(e.message);
    this.#safeEmit('error', e);
    this.#callReporters('onError', e);
  }

  /**
   * Calls one hook on every reporter, isolated: a throw, a rejection or a hang is reported once per
   * reporter and never reaches the monitor; a reporter whose previous call still hangs misses this
   * one (so a hung reporter cannot pile up calls). Synchronous up to the calls themselves.
   */
  #callReporters<H extends keyof Reporter>(
    hook: H,
    ...args: Reporter[H] extends ((...a: infer A) => unknown) | undefined ? A : never
  ): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const state of this.#reporters) {
      const fn = state.reporter[hook];
      if (typeof fn !== 'function' || state.pending) continue;
      const failed = (cause: unknown, what: string) => {
        if (state.failed) return;
        state.failed = true;
        // A failing reporter's own onError is not called: it could fail the same way again.
        const e = new LeakkitError(
          'ERR_LEAKKIT_REPORTER_FAILED',
          `Reporter \`${state.name}\` ${hook}() ${what}${
            cause === undefined ? '' : `: ${cause instanceof Error ? cause.message : describeValue(cause)}`
          }`,
          cause === undefined ? {} : { cause },
        );
        if (this.#errorMessages.length < 20) this.#errorMessages.push(e.message);
        this.#safeEmit('error', e);
        for (const other of this.#reporters) {
          if (other === state || other.pending || typeof other.reporter.onError !== 'function') continue;
          try {
            const r = other.reporter.onError(e);
            if (isPromiseLike(r)) Promise.resolve(r).catch(() => {});
          } catch {
            // Reported through its own hook next time it fails.
          }
        }
      };
      let result: unknown;
      try {
        result = (fn as (...a: unknown[]) => unknown).apply(state.reporter, args);
      } catch (error) {
        failed(error, 'threw');
        continue;
      }
      if (!isPromiseLike(result)) continue;
      state.pending = true;
      const settled = Promise.resolve(result).then(
        () => {
          state.pending = false;
        },
        (error: unknown) => {
          state.pending = false;
          failed(error, 'rejected');
        },
      );
      waits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            failed(undefined, `did not settle within ${this.#o.timeout} ms`);
            resolve();
          }, this.#o.timeout);
          timer.unref();
          void settled.then(() => {
            clearTimeout(timer);
            resolve();
          });
        }),
      );
    }
    return Promise.all(waits).then(() => undefined);
  }
}

/**
 * Creates a live leak monitor; `start()` it. Options are validated here, synchronously; nothing is
 * installed until `start()`.
 *
 * Every tick (`interval`) it reads the gauges (heap after the latest major GC from `v8.GCProfiler`,
 * V8's real heap limit and the cgroup's, RSS, external and array-buffer memory, the perf_hooks
 * timeline, active handles by type, requests per route from `diagnostics_channel`, watched
 * collections), fits a robust trend and a time-to-limit forecast, and regresses heap growth on
 * per-route request counts. When growth is suspected it gathers allocation sites (sampling tracing
 * at a finer interval); when growth is sustained and tied to the work, a short series of heap
 * captures (where safe and within `maxPause`) names what keeps it alive. Detectors get that
 * evidence; findings go to events and reporters.
 *
 * The monitor never hurts its host: its timers are unref'd, a throwing or hanging detector or
 * reporter is isolated and reported once, its memory is bounded, and `stop()` releases everything.
 *
 * @param options - see {@link MonitorOptions}.
 * @returns the monitor, not started.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option.
 *
 * @example
 * ```ts
 * import { createMonitor, jsonReporter } from '@leakkit/core';
 * import { timers } from '@leakkit/detector-timers';
 *
 * const monitor = createMonitor({ interval: '1m', detectors: [timers()], reporters: [jsonReporter({ file: 'leaks.jsonl' })] });
 * monitor.on('finding', (f) => console.error(`${f.severity}: ${f.title}`));
 * monitor.start();
 * process.on('SIGTERM', async () => { await monitor.stop(); process.exit(0); });
 * ```
 */
export function createMonitor(options: MonitorOptions = {}): Monitor {
  return new MonitorImpl(resolveMonitorOptions(options));
}
