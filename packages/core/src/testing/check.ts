import { GaugeHistory } from '../detect/gauges.js';
import type { DetectorFailure } from '../detect/run.js';
import { createDetectorContext, evidenceNeeded, runDetectors, setupDetectors } from '../detect/run.js';
import type { Detector, DetectorContext, Finding } from '../detect/types.js';
import { describeValue, LeakkitError } from '../errors.js';
import type { HeapGraph } from '../heap/graph.js';
import { findGrowth } from '../heap/growth.js';
import { isLeakkitFile } from '../monitor/own.js';
import { median } from '../stats/robust.js';
import { robustSlope } from '../stats/slope.js';
import type { Analysis, SurvivorGroup } from './analysis.js';
import { analyse, isLinear, largeCollections, renderPath } from './analysis.js';
import type { Tracking } from './capture.js';
import { functionFrame, snapshot, startTracking } from './capture.js';
import { allocationSnapshot } from './evidence.js';
import { growthFindings, handleFindings, timerGroups } from './findings.js';
import type { HandleWatch, TimerRecord } from './handles.js';
import { activeResources, watchHandles } from './handles.js';
import type { ResolvedCheckOptions } from './options.js';
import { checkFunction, resolveCheckOptions } from './options.js';
import { SiteResolver } from './sites.js';
import type {
  BoundedFunction,
  BoundedResult,
  BoundedRound,
  CheckBoundedOptions,
  IgnorePattern,
} from './types.js';
import { fullGc, heapBytes, measurementFlags, realClearTimeout, realSetTimeout, sleep, turn } from './vm.js';

/** Heap-graph rounds: the first two are checked (their survivors outlive a later round). */
const GRAPH_ROUNDS = 3;
/**
 * Growth per heap-size round, in bytes, at or below which the heap counts as flat: 2 KiB, or 8 bytes
 * per call for shorter rounds, so that one object per call (16 bytes or more) always exceeds it.
 * Bounded code measures 0 in most rounds after a full GC; what moves it by a KB or two now and then
 * is compiled code's metadata (bytecode and feedback live in the old space on Node 20) and the test
 * runner's own work between rounds. A slower leak needs longer rounds (`iterations`).
 */
function flatBytesPerRound(perRound: number): number {
  return Math.min(2048, 8 * perRound);
}
/** Growth over all heap-size rounds that counts when it comes in steps (the median step is 0). */
const STEPS_BYTES = 16 * 1024;
/**
 * Rounds whose measurements are thrown away before the heap-size rounds. leakkit's own code between
 * rounds gets compiled by V8 over the first few (its optimised code's metadata lives in the old
 * space on Node 20): with 2 of them, a function doing nothing read +13 KB in the third measured
 * round every time; with 8, steps of a few KB either way.
 */
const WARM_ROUNDS = 8;
/** Time the heap-size rounds of a slow function aim at, with `iterations: 'auto'`. */
const AUTO_ROUNDS_MS = 500;
/** How long a check waits for timeouts the function started to fire before calling them left behind. */
const SETTLE_MS = 200;

/**
 * Calls per heap-graph round. Counting by id needs far fewer calls than heap sizes do, and calls
 * run ~10x slower while allocations are tracked: half a heap-size round.
 */
function graphRoundSize(perRound: number): number {
  return Math.max(50, Math.ceil(perRound / 2));
}

/** Rounds that read live sizes of collections whose growth only their backing store shows. */
const PROBE_ROUNDS = 2;

const STAGE_BASELINE = 0;
const STAGE_SIZE = 1;
const STAGE_GRAPH = 2;
const STAGE_PROBE = 3;
const STAGES = [undefined, 'heap-size', 'heap-graph', 'probe'] as const;

/** Per-round numbers in typed arrays sized up front; the round objects are made at the end. */
class RoundLog {
  readonly stage: Uint8Array;
  readonly iterations: Float64Array;
  readonly heap: Float64Array;
  readonly resources: Float64Array;
  readonly timers: Float64Array;
  readonly ms: Float64Array;
  readonly survivors: Float64Array;
  length = 0;

  constructor(capacity: number) {
    this.stage = new Uint8Array(capacity);
    this.iterations = new Float64Array(capacity);
    this.heap = new Float64Array(capacity);
    this.resources = new Float64Array(capacity);
    this.timers = new Float64Array(capacity);
    this.ms = new Float64Array(capacity);
    this.survivors = new Float64Array(capacity).fill(-1);
  }

  add(stage: number, iterations: number, heap: number, resources: number, timers: number, ms: number): void {
    const i = this.length++;
    this.stage[i] = stage;
    this.iterations[i] = iterations;
    this.heap[i] = heap;
    this.resources[i] = resources;
    this.timers[i] = timers;
    this.ms[i] = ms;
  }

  /** Live timers of the function after the baseline and each heap-size and heap-graph round. */
  timerCounts(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.length; i++) if (this.stage[i] !== STAGE_PROBE) out.push(this.timers[i]!);
    return out;
  }

  rounds(): BoundedRound[] {
    const out: BoundedRound[] = [];
    for (let i = 0; i < this.length; i++) {
      const stage = STAGES[this.stage[i]!];
      if (stage === undefined) continue;
      const round: BoundedRound = {
        stage,
        iterations: this.iterations[i]!,
        heapBytes: this.heap[i]!,
        activeResources: this.resources[i]!,
        durationMs: this.ms[i]!,
      };
      if (this.survivors[i]! >= 0) round.survivors = this.survivors[i]!;
      out.push(round);
    }
    return out;
  }
}

const SIZE_READER = `function () {
  if (this instanceof Map || this instanceof Set) return this.size;
  if (Array.isArray(this)) return this.length;
  if (this !== null && typeof this === 'object') return Reflect.ownKeys(this).length;
  return undefined;
}`;

class Deadline {
  readonly at: number;
  readonly #timeout: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #cancel: ((error: LeakkitError) => void) | undefined;
  #where: (() => string) | undefined;

  constructor(timeout: number) {
    this.#timeout = timeout;
    this.at = performance.now() + timeout;
  }

  error(where: string): LeakkitError {
    return new LeakkitError(
      'ERR_LEAKKIT_TIMEOUT',
      `Expected the check to finish within its timeout of ${this.#timeout} ms, got still running ${where}. Pass a larger \`timeout\` or fewer \`iterations\``,
      { option: 'timeout' },
    );
  }

  check(where: string): void {
    if (performance.now() > this.at) throw this.error(where);
  }

  /**
   * Waits for one call's promise, or rejects at the deadline. One timer for the whole check, which
   * rejects whichever call is waiting when it fires; each call's own promise is garbage once the
   * call settles. (A race against one long-lived promise would keep a reaction per call on it:
   * growth of leakkit's own, every call.)
   */
  wait(result: PromiseLike<unknown>, where: () => string): Promise<unknown> {
    if (this.#timer === undefined) {
      this.#timer = realSetTimeout(
        () => this.#cancel?.(this.error(this.#where?.() ?? '')),
        Math.max(0, this.at - performance.now()),
      );
      // A hung function must not keep the process alive on leakkit's account.
      this.#timer.unref();
    }
    this.#where = where;
    return new Promise((resolve, reject) => {
      this.#cancel = reject;
      result.then(resolve, reject);
    });
  }

  /** Lets go of the last call's promise. */
  settled(): void {
    this.#cancel = undefined;
    this.#where = undefined;
  }

  clear(): void {
    if (this.#timer !== undefined) realClearTimeout(this.#timer);
  }
}

interface Runner {
  calls: number;
  phase: string;
  run(count: number): Promise<number>;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function makeRunner(fn: BoundedFunction, deadline: Deadline): Runner {
  const runner: Runner = {
    calls: 0,
    phase: 'warm-up',
    async run(count) {
      const start = performance.now();
      for (let k = 0; k < count; k++) {
        const i = runner.calls++;
        let result: unknown;
        try {
          result = fn(i);
          if (isThenable(result)) {
            await deadline.wait(result, () => `at iteration ${i} (${runner.phase})`);
            deadline.settled();
          }
        } catch (cause) {
          if (cause instanceof LeakkitError && cause.code === 'ERR_LEAKKIT_TIMEOUT') throw cause;
          const reason = cause instanceof Error ? cause.message : describeValue(cause);
          throw new LeakkitError(
            'ERR_LEAKKIT_FUNCTION_FAILED',
            `Expected the function under test to return, got it throwing at iteration ${i} (${runner.phase}): ${reason}`,
            { cause },
          );
        }
        // Not kept: the last result would otherwise be a survivor held by this frame.
        result = undefined;
        if ((k & 31) === 31) deadline.check(`at iteration ${i} (${runner.phase})`);
      }
      return performance.now() - start;
    },
  };
  return runner;
}

/**
 * The heap's size once what is in flight has settled: after a turn of the event loop and a full
 * GC, twice, the smaller. Whatever else runs in the process (a test runner's messages to its
 * parent: ~190 KB strings, measured in a vitest worker) can be alive at one instant and gone at the
 * next; what the function keeps is there both times.
 */
async function settledHeap(watch: HandleWatch | undefined): Promise<number> {
  await turn();
  watch?.compact();
  fullGc();
  const first = heapBytes();
  await turn();
  fullGc();
  return Math.min(first, heapBytes());
}

/** Live timers the function created, with a site in its code (not vitest's, not a library's own). */
function programTimers(watch: HandleWatch | undefined): TimerRecord[] {
  return watch ? watch.live() : [];
}

/** Robust growth of the heap-size rounds, per round: the larger of the median step and the Theil–Sen slope. */
function heapGrowthPerRound(heap: readonly number[]): { median: number; slope: number } {
  const steps = heap.slice(1).map((h, i) => h - heap[i]!);
  const xs = heap.map((_, i) => i);
  return { median: median(steps), slope: robustSlope(xs, heap).slope };
}

/**
 * Whether the heap-size readings (the baseline, then one per round) moved (`moves`): then the
 * heap-graph rounds say what grows; else the function is bounded on this evidence alone. `steps`:
 * they grew in steps, which a collection of numbers can do without a survivor to show for it.
 *
 * @param heap - The settled heap sizes, in bytes.
 * @param perRound - Calls per round.
 */
export function heapSizesMove(
  heap: readonly number[],
  perRound: number,
  trend = heapGrowthPerRound(heap),
): { moves: boolean; steps: boolean } {
  // Steady growth moves the median step; growth in steps (a backing store growing by half its
  // size now and then) moves the slope and adds up. A few hundred bytes once or twice (feedback
  // vectors of code warming up) do neither.
  const total = heap[heap.length - 1]! - heap[0]!;
  const flat = flatBytesPerRound(perRound);
  const steps = trend.slope > flat && total > STEPS_BYTES;
  // A reading now and then is 100-300 KB high even after two full GCs (measured with a Map that
  // grows: old space differs by ~200 KB between two GCs with nothing run in between), and two or
  // three such readings in seven drown a slow leak's median step. They only ever read high, so the
  // last reading above the lowest is growth they cannot hide; a high last reading costs a bounded
  // function only the heap-graph rounds, which decide. (Over 8 runs each: a Map keeping one entry
  // per 10 calls rose 37-229 KB; bounded functions 3-11 KB, twice ~30.)
  const rise = heap[heap.length - 1]! - Math.min(...heap);
  return { moves: trend.median > flat || steps || rise > STEPS_BYTES, steps };
}

function matchesIgnore(finding: Finding, patterns: readonly IgnorePattern[]): IgnorePattern | undefined {
  const site = finding.site ? `${finding.site.file}:${finding.site.line}` : undefined;
  for (const p of patterns) {
    if (p instanceof RegExp) {
      p.lastIndex = 0;
      if (finding.path !== undefined && p.test(finding.path)) return p;
      p.lastIndex = 0;
      if (site !== undefined && p.test(site)) return p;
      continue;
    }
    const path = finding.path;
    if (
      path !== undefined &&
      (path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`) || path.startsWith(`${p} › `))
    ) {
      return p;
    }
    if (site !== undefined && finding.site && (site.endsWith(p) || finding.site.file.endsWith(p))) return p;
  }
  return undefined;
}

/**
 * Runs `fn` over and over and decides whether the memory it leaves behind stays bounded: heap-size
 * rounds with full garbage collections first; when they move, heap graphs compared by object id
 * (which objects each round created and the program still holds, and what holds them), with exact
 * allocation tracking for where they were allocated. Growth that is linear in the calls is a
 * finding, whatever its kind; growth that saturates (warm-up, lazy initialisation, a capped cache)
 * is not. Detectors add their diagnosis on top. Timers and handles left active are reported too.
 *
 * Needs no flags (`--expose-gc` is set at run time); V8's flags it changes for the measurement
 * (bytecode flushing, inlining) are restored, and so is garbage-collection speed (object-id
 * tracking is reset). Checks in one thread run one after the other: one started while another
 * runs waits for it.
 *
 * @param fn - Called once per iteration with the iteration's index; may return a promise.
 * @param options - See {@link CheckBoundedOptions}.
 * @returns What was found; `bounded` is false when a finding of severity `'leak'` remains.
 * @throws LeakkitError (as a rejection) `ERR_LEAKKIT_INVALID_ARGUMENT` for a non-function,
 *   `ERR_LEAKKIT_INVALID_OPTION` for bad options, `ERR_LEAKKIT_FUNCTION_FAILED` when `fn` throws
 *   (the message names the iteration, `cause` is what it threw), `ERR_LEAKKIT_TIMEOUT`.
 *
 * @example
 * ```ts
 * import { checkBounded } from '@leakkit/core/testing';
 * const seen: object[] = [];
 * const result = await checkBounded((i) => { seen.push({ i }) });
 * result.bounded;                        // false
 * result.findings[0]?.path;              // 'app.test.ts › seen'
 * result.perIteration.objects;           // 1
 * ```
 */
export async function checkBounded(
  fn: BoundedFunction,
  options: CheckBoundedOptions = {},
): Promise<BoundedResult> {
  checkFunction(fn);
  const o = resolveCheckOptions(options);
  // One check at a time per thread: two at once would measure each other's garbage, share the
  // allocation tracking and restore each other's timers. A second check waits for the first.
  const run = running.then(
    () => check(fn, o),
    () => check(fn, o),
  );
  running = run.catch(() => undefined);
  return run;
}

let running: Promise<unknown> = Promise.resolve();

async function check(fn: BoundedFunction, o: ResolvedCheckOptions): Promise<BoundedResult> {
  const started = performance.now();
  const deadline = new Deadline(o.timeout);
  const runner = makeRunner(fn, deadline);
  const failures: DetectorFailure[] = [];
  const onError = (failure: DetectorFailure) => failures.push(failure);
  const gauges = new GaugeHistory();
  const needs = evidenceNeeded(o.detectors);
  let restoreFlags: (() => void) | undefined;
  let watch: HandleWatch | undefined;
  let tracking: Tracking | undefined;
  let disposeDetectors: (() => Promise<void>) | undefined;
  let graphs: HeapGraph[] = [];
  try {
    restoreFlags = measurementFlags();
    // The context detectors get: one object, filled in as evidence arrives (runDetectors copies it
    // shallowly per detector, so it is complete before the checks run).
    const context = createDetectorContext({ gauges, now: () => performance.now() }) as {
      -readonly [K in keyof DetectorContext]: DetectorContext[K];
    };
    context.iteration = 0;
    if (o.detectors.length > 0) {
      disposeDetectors = await setupDetectors(o.detectors, context, { onError, timeout: o.timeout });
    }
    const baseline = activeResources();
    if (o.handles) watch = watchHandles(() => true);
    // Everything recorded per round goes into arrays allocated now: an object or an array growing
    // per round would itself be growth in the heap sizes the rounds compare.
    const capacity = o.rounds + GRAPH_ROUNDS + PROBE_ROUNDS + 1;
    const log = new RoundLog(capacity);
    const record = (stage: number, iterations: number, ms: number, heap = heapBytes(), into = log) => {
      const resources = process.getActiveResourcesInfo().length;
      const timers = programTimers(watch).length;
      const h = heap;
      into.add(stage, iterations, h, resources, timers, ms);
      context.iteration = runner.calls;
      gauges.record(performance.now(), {
        iterations: runner.calls,
        heapUsed: h,
        activeResources: resources,
        activeTimers: timers,
      });
    };
    // The gauges' columns are made on the first sample: take it before the first measurement.
    gauges.record(performance.now(), { iterations: 0, heapUsed: 0, activeResources: 0, activeTimers: 0 });

    // Warm-up, timing the first calls when the round size is automatic.
    let perRound = o.iterations;
    let warmup = o.warmup;
    if (perRound === undefined) {
      const timed = 50;
      const ms = await runner.run(timed);
      const perCall = ms / timed;
      perRound = Math.max(
        100,
        Math.min(1000, Math.round(AUTO_ROUNDS_MS / (o.rounds * Math.max(perCall, 1e-6)))),
      );
      warmup = Math.max(0, (warmup ?? 3 * perRound) - timed);
    } else warmup ??= 3 * perRound;
    await runner.run(warmup);
    // Rounds whose measurements are thrown away: leakkit's own code between rounds is compiled
    // and its inline caches filled now (see WARM_ROUNDS).
    const scratch = new RoundLog(WARM_ROUNDS);
    for (let r = 0; r < WARM_ROUNDS; r++) {
      const ms = await runner.run(Math.min(perRound, 100));
      record(STAGE_BASELINE, 0, ms, await settledHeap(watch), scratch);
    }
    runner.phase = 'heap-size rounds';
    record(STAGE_BASELINE, 0, 0, await settledHeap(watch));

    for (let r = 0; r < o.rounds; r++) {
      const ms = await runner.run(perRound);
      record(STAGE_SIZE, perRound, ms, await settledHeap(watch));
    }
    const heap = Array.from(log.heap.subarray(0, o.rounds + 1));
    const trend = heapGrowthPerRound(heap);
    const { moves: heapMoves, steps } = heapSizesMove(heap, perRound, trend);
    const wantGraphs = o.heapGraphs === 'always' || needs.heapGraphs || needs.allocations || heapMoves;

    let analysis: Analysis | undefined;
    const resolver = new SiteResolver();
    if (wantGraphs) {
      runner.phase = 'heap-graph rounds';
      deadline.check('before the heap-graph rounds');
      tracking = await startTracking();
      await turn();
      watch?.compact();
      graphs = [await snapshot()];
      const iterations: number[] = [];
      const graphRound = graphRoundSize(perRound);
      for (let r = 0; r < GRAPH_ROUNDS; r++) {
        const ms = await runner.run(graphRound);
        await turn();
        watch?.compact();
        // No full GC of our own: the snapshot collects garbage first, and a GC with object ids
        // tracked costs several times more. The round's heap size is read before it.
        record(STAGE_GRAPH, graphRound, ms);
        graphs.push(await snapshot());
        iterations.push(graphRound);
        deadline.check('in the heap-graph rounds');
      }
      analysis = analyse(graphs, { iterations, strings: o.strings });
      analysis.survivors.forEach((count, i) => {
        log.survivors[o.rounds + 1 + i] = count;
      });
      // Heap sizes grew in steps, yet no survivor says what grows: a collection of numbers whose
      // backing store did not grow within the heap-graph rounds. The program's large collections
      // are probed.
      if (steps && analysis.growing.length === 0 && analysis.probes.length === 0) {
        analysis.probes.push(...largeCollections(graphs, o.strings));
      }
      if (analysis.probes.length > 0 && tracking.traces) {
        // Collections whose growth only shows in their backing store (numbers, small integers as
        // keys): read their live size over two more rounds.
        runner.phase = 'probe rounds';
        const ids = analysis.probes.map((p) => p.id);
        const sizes = [await tracking.probe(ids, SIZE_READER)];
        for (let r = 0; r < PROBE_ROUNDS; r++) {
          const ms = await runner.run(perRound);
          sizes.push(await tracking.probe(ids, SIZE_READER));
          await turn();
          record(STAGE_PROBE, perRound, ms);
        }
        analysis.probes.forEach((p, i) => {
          const s = sizes.map((row) => row[i]);
          if (s.some((x) => x === undefined)) return;
          const values = s as number[];
          if (!isLinear([values[1]! - values[0]!, values[2]! - values[1]!], 1)) return;
          p.group.confirmed = 'size';
          p.group.sizes = values;
          analysis!.growing.push(p.group);
          analysis!.other.splice(analysis!.other.indexOf(p.group), 1);
        });
      }
      if (needs.heapGraphs) {
        let growth: ReturnType<typeof findGrowth> = [];
        try {
          const last = graphs[graphs.length - 1]!;
          // Paths as the generic findings print them, so that a detector reporting the same
          // collection takes the generic finding over; the file and line that anchor them go along
          // (a detector looks the path up in that file).
          growth = findGrowth(graphs, { strings: o.strings })
            .map((g) => {
              const index = last.nodeIndexOf(g.nodeId);
              const path = index < 0 ? undefined : renderPath(last, index, o.strings);
              if (path === undefined) return g;
              const { file: _file, line: _line, ...rest } = g;
              return {
                ...rest,
                path: path.text,
                ...(path.file === undefined ? {} : { file: path.file }),
                ...(path.line === undefined ? {} : { line: path.line }),
              };
            })
            // What leakkit itself holds (the handle tracker's list of the intervals a leak leaves,
            // the timers detector's memo of their sites) mirrors the program's leak: not another one.
            .filter((g) => g.file === undefined || !isLeakkitFile(g.file));
        } catch {
          // Evidence a detector can do without.
        }
        context.heap = { graphs, growth, iterations };
      }
      if (needs.allocations && tracking.traces) {
        const [first, ...rest] = graphs.map(allocationSnapshot);
        context.allocations = {
          current: rest[rest.length - 1] ?? first!,
          previous: [first!, ...rest.slice(0, -1)],
        };
      }
    }

    // Timers and handles left behind: give timeouts that are about to fire the chance to.
    runner.phase = 'settling';
    const settleUntil = performance.now() + SETTLE_MS;
    await turn();
    watch?.compact();
    // Requests in flight (a file read, a DNS lookup) are handles too, for a moment.
    const busy = () => {
      if (programTimers(watch).some((t) => t.kind === 'setTimeout' && t.ref)) return true;
      for (const [type, count] of activeResources()) {
        if (type !== 'Timeout' && type !== 'Immediate' && count > (baseline.get(type) ?? 0)) return true;
      }
      return false;
    };
    while (performance.now() < settleUntil && busy()) {
      await sleep(10);
      watch?.compact();
    }
    const leftover = programTimers(watch);
    const resourcesNow = activeResources();

    // Sites of what grows.
    const growing = analysis?.growing ?? [];
    const rounds = log.rounds();
    const timerSites = timerGroups(leftover, log.timerCounts(), rounds);
    // Growth no allocation stack explains (a backing store whose stack V8 dropped) is placed in
    // the function under test, at the statement that stores into what outlives the call.
    const fallback = growing.some((g) => g.sites.length === 0 && g.definition === undefined)
      ? await functionFrame(fn)
      : undefined;
    await resolver.prepare([
      ...growing.flatMap((g) => g.sites.slice(0, 3).map((s) => s.frame)),
      ...(fallback ? [fallback] : []),
    ]);
    const own: Finding[] = [
      ...growthFindings(growing, resolver, {
        perRound,
        graphRound: graphRoundSize(perRound),
        graphRounds: GRAPH_ROUNDS,
        timerSites,
        strings: o.strings,
        fallback,
      }),
      ...(o.handles ? handleFindings(timerSites, baseline, resourcesNow, leftover) : []),
    ];
    const builtins: Detector[] = [
      { name: 'growth', priority: 0, check: () => own.filter((f) => f.detector === 'growth') },
      { name: 'handles', priority: 0, check: () => own.filter((f) => f.detector === 'handles') },
    ];
    const run = await runDetectors([...builtins, ...o.detectors], context, {
      onError,
      timeout: Math.max(1000, deadline.at - performance.now()),
    });
    // A finding sited in leakkit's own code is its bookkeeping of the program's leak (see above).
    const all = run.findings.filter((f) => f.site === undefined || !isLeakkitFile(f.site.file));

    // What the user accepts: ignore patterns, then the byte budget.
    const ignored: Finding[] = [];
    let kept: Finding[] = [];
    for (const f of all) {
      if (matchesIgnore(f, o.ignore) !== undefined) ignored.push(f);
      else kept.push(f);
    }
    const accepted: Finding[] = [];
    if (o.maxBytesPerIteration > 0) {
      const leaks = kept.filter((f) => f.severity === 'leak');
      const budgetable = leaks.every((f) => f.growth.bytesPerIteration !== undefined);
      const total = leaks.reduce((t, f) => t + (f.growth.bytesPerIteration ?? 0), 0);
      if (budgetable && total <= o.maxBytesPerIteration) {
        accepted.push(...leaks);
        kept = kept.filter((f) => !leaks.includes(f));
      }
    }
    const rank = { leak: 2, warning: 1, info: 0 } as const;
    kept.sort(
      (a, b) =>
        rank[b.severity] - rank[a.severity] ||
        (b.growth.bytesPerIteration ?? 0) - (a.growth.bytesPerIteration ?? 0),
    );

    let perIteration = { bytes: 0, objects: 0 };
    if (analysis) {
      for (const f of [...kept, ...ignored, ...accepted]) {
        if (f.detector !== 'growth' && !(f.evidence && 'alsoReportedBy' in f.evidence)) continue;
        perIteration.bytes += f.growth.bytesPerIteration ?? 0;
        perIteration.objects += f.growth.objectsPerIteration ?? 0;
      }
    } else {
      perIteration = { bytes: Math.max(0, Math.max(trend.median, trend.slope) / perRound), objects: 0 };
    }

    return {
      bounded: !kept.some((f) => f.severity === 'leak'),
      findings: kept,
      ignored,
      accepted,
      perIteration,
      rounds,
      iterations: runner.calls,
      iterationsPerRound: perRound,
      warmup: (o.iterations === undefined ? 50 : 0) + warmup,
      evidence: analysis ? 'heap-graphs' : 'heap-sizes',
      sites: analysis?.traced ?? false,
      failures,
      durationMs: performance.now() - started,
    };
  } finally {
    graphs = [];
    deadline.clear();
    watch?.dispose();
    await tracking?.stop();
    restoreFlags?.();
    if (disposeDetectors) await disposeDetectors();
  }
}

export type { SurvivorGroup };
