import { describeValue, invalidOption, LeakkitError } from '../errors.js';
import { parseDuration } from '../options.js';
import { stats } from '../stats/helpers.js';
import { GaugeHistory } from './gauges.js';
import type { FindingStore } from './store.js';
import type { Detector, DetectorContext, Disposer, Finding, ResolvedEvidenceNeeds } from './types.js';
import { severityRank, validateFinding } from './validate.js';

/** Which part of a detector failed. */
export type DetectorPhase = 'setup' | 'check' | 'dispose';

/** A detector that failed: reported, never thrown. */
export interface DetectorFailure {
  /** The detector's name. */
  detector: string;
  /** What it was doing. */
  phase: DetectorPhase;
  /**
   * `ERR_LEAKKIT_DETECTOR_FAILED` (it threw or rejected; `cause` is what it threw),
   * `ERR_LEAKKIT_DETECTOR_TIMEOUT` or `ERR_LEAKKIT_INVALID_FINDING` (the message says what is wrong).
   */
  error: LeakkitError;
}

/** Options of {@link runDetectors}. */
export interface RunDetectorsOptions {
  /**
   * Remembers findings across runs: de-duplicates them by id, raises severity as they persist.
   * Without one, each run stands alone (findings are still unique by id within it).
   * @defaultValue undefined
   */
  store?: FindingStore;
  /**
   * Time box of each detector's `check`, in ms or a string like `'10s'`. A check that has not
   * settled by then is reported (`ERR_LEAKKIT_DETECTOR_TIMEOUT`), its `ctx.signal` aborted, and its
   * late result ignored. A synchronous check that never returns cannot be interrupted.
   * @defaultValue '30s'
   */
  timeout?: number | string;
  /**
   * Most findings kept from one detector in one run; the rest are dropped and reported.
   * @defaultValue 100
   */
  maxFindings?: number;
  /**
   * Called for each failure (a throwing, rejecting or hanging detector, an invalid finding). A
   * handler that throws is ignored.
   * @defaultValue undefined
   */
  onError?: (failure: DetectorFailure) => void;
}

/** Options of {@link setupDetectors}. */
export interface SetupDetectorsOptions {
  /**
   * Time box of each detector's `setup`, in ms or a string.
   * @defaultValue '30s'
   */
  timeout?: number | string;
  /**
   * Called for each failure of a `setup` or a disposer.
   * @defaultValue undefined
   */
  onError?: (failure: DetectorFailure) => void;
}

/** What {@link runDetectors} returns. */
export interface DetectorRun {
  /** Valid findings, unique by id; with a store, as the store sees them (severity raised, confidence combined). */
  findings: Finding[];
  /** Every failure of this run, also passed to `onError`. */
  failures: DetectorFailure[];
  /** Milliseconds each detector took (until its time box for one that hung), in detector order. */
  durations: number[];
}

interface ResolvedRunOptions {
  store: FindingStore | undefined;
  timeout: number;
  maxFindings: number;
  onError: ((failure: DetectorFailure) => void) | undefined;
}

function resolveTimeout(value: unknown): number {
  if (value === undefined) return 30_000;
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw invalidOption('timeout', 'a positive duration in ms or a string like `"30s"`', value);
  }
  return parseDuration('timeout', value);
}

function resolveOnError(value: unknown): ((failure: DetectorFailure) => void) | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalidOption('onError', 'a function', value);
  return value as ((failure: DetectorFailure) => void) | undefined;
}

function resolveRunOptions(options: RunDetectorsOptions): ResolvedRunOptions {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
  const { maxFindings = 100, store } = options;
  if (typeof maxFindings !== 'number' || !Number.isInteger(maxFindings) || maxFindings < 1) {
    throw invalidOption('maxFindings', 'an integer ≥ 1', maxFindings);
  }
  if (store !== undefined && (store === null || typeof store.record !== 'function')) {
    throw invalidOption('store', 'a FindingStore', store);
  }
  return {
    store,
    timeout: resolveTimeout(options.timeout),
    maxFindings,
    onError: resolveOnError(options.onError),
  };
}

/**
 * Checks a list of detectors: an array of objects with a non-empty `name` and a `check` function.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` naming the bad entry: "Expected `detectors[1]` …".
 * @internal
 */
export function checkDetectors(detectors: unknown): readonly Detector[] {
  if (!Array.isArray(detectors)) throw invalidOption('detectors', 'an array of detectors', detectors);
  detectors.forEach((d: unknown, i) => {
    const at = `detectors[${i}]`;
    if (d === null || typeof d !== 'object') throw invalidOption(at, 'a detector `{ name, check }`', d);
    const { name, check, setup, needs, priority } = d as Record<string, unknown>;
    if (typeof name !== 'string' || name === '')
      throw invalidOption(`${at}.name`, 'a non-empty string', name);
    if (typeof check !== 'function') throw invalidOption(`${at}.check`, 'a function', check);
    if (setup !== undefined && typeof setup !== 'function')
      throw invalidOption(`${at}.setup`, 'a function', setup);
    if (needs !== undefined && (needs === null || typeof needs !== 'object')) {
      throw invalidOption(`${at}.needs`, 'an object like `{ allocations: true }`', needs);
    }
    if (priority !== undefined && (typeof priority !== 'number' || !Number.isFinite(priority))) {
      throw invalidOption(`${at}.priority`, 'a finite number', priority);
    }
  });
  return detectors as readonly Detector[];
}

/**
 * The evidence a set of detectors needs, so a session gathers nothing that no detector uses:
 * allocation tracing only when some detector needs `allocations`, heap snapshots only for
 * `heapGraphs`, and so on. A detector without `needs` asks for gauges only.
 *
 * @param detectors - the detectors in use.
 * @returns every kind of evidence, true when at least one detector needs it.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for something that is not a detector.
 *
 * @example
 * ```ts
 * import { evidenceNeeded } from '@leakkit/core';
 * evidenceNeeded([{ name: 'a', check: () => [] }, { name: 'b', needs: { heapGraphs: true }, check: () => [] }]);
 * // { gauges: true, allocations: false, heapGraphs: true, timers: false, routes: false }
 * ```
 */
export function evidenceNeeded(detectors: readonly Detector[]): ResolvedEvidenceNeeds {
  const needed: ResolvedEvidenceNeeds = {
    gauges: false,
    allocations: false,
    heapGraphs: false,
    timers: false,
    routes: false,
  };
  for (const d of checkDetectors(detectors)) {
    const needs = d.needs;
    if (needs === undefined) {
      needed.gauges = true;
      continue;
    }
    for (const key of Object.keys(needed) as (keyof ResolvedEvidenceNeeds)[]) {
      if (needs[key] === true) needed[key] = true;
    }
  }
  return needed;
}

/** What the caller may give {@link createDetectorContext}; everything else gets a default. */
export interface DetectorContextInit {
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** @defaultValue a new {@link GaugeHistory} */
  gauges?: DetectorContext['gauges'];
  /** @defaultValue absent */
  allocations?: NonNullable<DetectorContext['allocations']>;
  /** @defaultValue absent */
  heap?: NonNullable<DetectorContext['heap']>;
  /** @defaultValue absent */
  iteration?: number;
}

/**
 * A {@link DetectorContext} from what a session has gathered, with defaults for the rest (the
 * clock, an empty gauge history, the stats helpers). Useful to test a detector on evidence you
 * build yourself.
 *
 * @param init - see {@link DetectorContextInit}.
 * @returns a context for `setupDetectors` and `runDetectors`.
 *
 * @example
 * ```ts
 * import { createDetectorContext, GaugeHistory } from '@leakkit/core';
 * const gauges = new GaugeHistory();
 * for (let t = 0; t < 12; t++) gauges.record(t * 1000, { heapUsed: 1e6 + t * 1e4 });
 * const ctx = createDetectorContext({ gauges });
 * ctx.stats.classifyTrend(ctx.gauges.series('heapUsed')!).verdict;  // 'leak'
 * ```
 */
export function createDetectorContext(init: DetectorContextInit = {}): DetectorContext {
  if (init === null || typeof init !== 'object') throw invalidOption('init', 'an object', init);
  if (init.now !== undefined && typeof init.now !== 'function')
    throw invalidOption('now', 'a function', init.now);
  const context: {
    now: () => number;
    gauges: DetectorContext['gauges'];
    stats: DetectorContext['stats'];
    allocations?: NonNullable<DetectorContext['allocations']>;
    heap?: NonNullable<DetectorContext['heap']>;
    iteration?: number;
  } = { now: init.now ?? Date.now, gauges: init.gauges ?? new GaugeHistory(), stats };
  if (init.allocations !== undefined) context.allocations = init.allocations;
  if (init.heap !== undefined) context.heap = init.heap;
  if (init.iteration !== undefined) context.iteration = init.iteration;
  return context;
}

function report(
  onError: ((failure: DetectorFailure) => void) | undefined,
  failures: DetectorFailure[],
  failure: DetectorFailure,
): void {
  failures.push(failure);
  if (onError === undefined) return;
  try {
    onError(failure);
  } catch {
    // The host's handler failing is not ours to rethrow: a check must not throw into the host.
  }
}

function failed(detector: string, phase: DetectorPhase, verb: string, cause: unknown): DetectorFailure {
  const reason = cause instanceof Error ? cause.message : describeValue(cause);
  return {
    detector,
    phase,
    error: new LeakkitError('ERR_LEAKKIT_DETECTOR_FAILED', `Detector \`${detector}\` ${verb}: ${reason}`, {
      cause,
    }),
  };
}

type Outcome = { ok: true; value: unknown } | { ok: false; timedOut: boolean; cause: unknown };

/**
 * Calls `fn(ctx)` with a per-call abort signal and waits for it at most `timeout` ms. Never rejects.
 * A late rejection after the time box is swallowed (it would otherwise be an unhandled rejection);
 * a late value goes to `onLate` (setup uses it to dispose of hooks installed too late).
 */
async function timeBoxed(
  fn: (ctx: DetectorContext) => unknown,
  context: DetectorContext,
  timeout: number,
  onLate?: (value: unknown) => void,
): Promise<Outcome> {
  const controller = new AbortController();
  const ctx: DetectorContext = { ...context, signal: controller.signal };
  let result: unknown;
  try {
    result = fn(ctx);
  } catch (cause) {
    return { ok: false, timedOut: false, cause };
  }
  if (result === null || typeof (result as PromiseLike<unknown>)?.then !== 'function') {
    return { ok: true, value: result };
  }
  const pending = Promise.resolve(result as PromiseLike<unknown>);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, timeout, 'timeout');
    // A hung detector must not keep the process alive on its own.
    timer.unref?.();
  });
  try {
    const winner = await Promise.race([pending.then((value) => ({ value })), expired]);
    if (winner !== 'timeout') return { ok: true, value: winner.value };
    const cause = new LeakkitError('ERR_LEAKKIT_DETECTOR_TIMEOUT', `did not settle within ${timeout} ms`);
    controller.abort(cause);
    pending.then(onLate, () => {});
    return { ok: false, timedOut: true, cause };
  } catch (cause) {
    return { ok: false, timedOut: false, cause };
  } finally {
    clearTimeout(timer);
  }
}

function toFailure(
  detector: string,
  phase: DetectorPhase,
  outcome: Outcome & { ok: false },
): DetectorFailure {
  if (outcome.timedOut) {
    return {
      detector,
      phase,
      error: new LeakkitError(
        'ERR_LEAKKIT_DETECTOR_TIMEOUT',
        `Detector \`${detector}\` ${phase} ${(outcome.cause as Error).message}`,
      ),
    };
  }
  return failed(detector, phase, phase === 'check' ? 'check() failed' : `${phase}() failed`, outcome.cause);
}

/**
 * Runs every detector's `check` on one context and collects their findings, so that one bad
 * detector never costs the others:
 * - a check that throws, rejects or does not settle within `timeout` is reported (to `onError` and
 *   in `failures`) and the others still run; checks run concurrently, each in its own time box;
 * - each finding is validated ({@link validateFinding}): a malformed one is reported, not passed on;
 * - findings are unique by `id` (the more severe, then the surer, wins within a run) and, with a
 *   {@link FindingStore}, de-duplicated across runs with severity rising as they persist;
 * - findings of different detectors about the same `path` (or, without one, the same `site`) are
 *   merged: the detector with the highest `priority` speaks, the others are listed in its
 *   `evidence.alsoReportedBy`.
 *
 * Each detector gets a shallow copy of the context with its own `signal` (`{ ...context, signal }`),
 * aborted when its time box runs out: pass a plain object, as {@link createDetectorContext} makes
 * (getters would be read once per detector, class methods lost).
 * Never rejects, except for invalid options or detectors (a programming error, reported at once).
 *
 * @param detectors - the detectors to run.
 * @param context - what the session gathered (see {@link createDetectorContext}).
 * @param options - see {@link RunDetectorsOptions}.
 * @returns the findings, the failures and how long each detector took.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` (as a rejection) for bad options or detectors.
 *
 * @example
 * ```ts
 * import { createDetectorContext, FindingStore, runDetectors } from '@leakkit/core';
 * const store = new FindingStore();
 * const ctx = createDetectorContext();
 * const { findings, failures } = await runDetectors([myDetector], ctx, {
 *   store,
 *   timeout: '5s',
 *   onError: (f) => console.error(f.error.message),
 * });
 * ```
 */
export async function runDetectors(
  detectors: readonly Detector[],
  context: DetectorContext,
  options: RunDetectorsOptions = {},
): Promise<DetectorRun> {
  const list = checkDetectors(detectors);
  const o = resolveRunOptions(options);
  if (context === null || typeof context !== 'object')
    throw invalidOption('context', 'a DetectorContext', context);
  const failures: DetectorFailure[] = [];
  const durations: number[] = new Array(list.length).fill(0);
  const outcomes = await Promise.all(
    list.map(async (d, i) => {
      const start = performance.now();
      const outcome = await timeBoxed((ctx) => d.check(ctx), context, o.timeout);
      durations[i] = performance.now() - start;
      return outcome;
    }),
  );

  const byId = new Map<string, Finding>();
  const ran = new Set<string>();
  list.forEach((d, i) => {
    const outcome = outcomes[i]!;
    if (!outcome.ok) {
      report(o.onError, failures, toFailure(d.name, 'check', outcome));
      return;
    }
    const value = outcome.value;
    if (!Array.isArray(value)) {
      report(o.onError, failures, {
        detector: d.name,
        phase: 'check',
        error: new LeakkitError(
          'ERR_LEAKKIT_INVALID_FINDING',
          `Expected detector \`${d.name}\` check() to return an array of findings, got \`${describeValue(value)}\``,
        ),
      });
      return;
    }
    ran.add(d.name);
    const kept = Math.min(value.length, o.maxFindings);
    for (let k = 0; k < kept; k++) {
      const v = validateFinding(value[k], `${d.name} finding[${k}]`);
      if (!v.ok) {
        report(o.onError, failures, {
          detector: d.name,
          phase: 'check',
          error: new LeakkitError('ERR_LEAKKIT_INVALID_FINDING', v.problem),
        });
        continue;
      }
      const f = v.finding;
      const other = byId.get(f.id);
      const better =
        other === undefined ||
        severityRank(f.severity) > severityRank(other.severity) ||
        (f.severity === other.severity && f.confidence > other.confidence);
      if (better) byId.set(f.id, f);
    }
    if (value.length > kept) {
      report(o.onError, failures, {
        detector: d.name,
        phase: 'check',
        error: new LeakkitError(
          'ERR_LEAKKIT_INVALID_FINDING',
          `Expected detector \`${d.name}\` to return at most ${o.maxFindings} findings (maxFindings), got ${value.length}; kept the first ${kept}`,
        ),
      });
    }
  });

  const priorities = new Map(list.map((d) => [d.name, d.priority ?? 0]));
  let findings = mergeBySubject([...byId.values()], priorities);
  if (o.store !== undefined) {
    const onError = o.onError;
    findings = o.store.record(findings, {
      ran,
      onListenerError: (error) =>
        report(onError, failures, { detector: 'FindingStore', phase: 'check', error }),
    });
  }
  return { findings, failures, durations };
}

/** What a finding is about: its path, else its site. Findings about nothing in particular have none. */
function subjectOf(f: Finding): string | undefined {
  if (f.path !== undefined) return `path:${f.path}`;
  if (f.site !== undefined) return `site:${f.site.file}:${f.site.line}`;
  return undefined;
}

/**
 * One finding per subject across detectors: when several detectors name the same path (or, without
 * a path, the same site), the one from the detector of highest `priority` speaks for all, and the
 * others are listed in its `evidence.alsoReportedBy`. A pattern detector (timers, caches) thus takes
 * over the generic "this grows" finding, and a user sees one line per culprit, with the best advice.
 * Findings of equal priority about the same subject are all kept: neither knows better.
 */
function mergeBySubject(findings: Finding[], priorities: ReadonlyMap<string, number>): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const subject = subjectOf(f);
    if (subject === undefined) continue;
    const group = groups.get(subject);
    if (group === undefined) groups.set(subject, [f]);
    else group.push(f);
  }
  const dropped = new Set<Finding>();
  const replaced = new Map<Finding, Finding>();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    let top = Number.NEGATIVE_INFINITY;
    for (const f of group) top = Math.max(top, priorities.get(f.detector) ?? 0);
    const winners = group.filter((f) => (priorities.get(f.detector) ?? 0) === top);
    const losers = group.filter((f) => (priorities.get(f.detector) ?? 0) !== top);
    if (losers.length === 0) continue;
    const also = losers.map((f) => ({ detector: f.detector, id: f.id }));
    for (const f of losers) dropped.add(f);
    // A site read off exact allocation stacks (`evidence.siteFrom: 'allocations'`) beats one a
    // detector inferred (a collection's declaration): the winner keeps its diagnosis and takes it.
    const allocated = losers.find((f) => f.site !== undefined && f.evidence?.siteFrom === 'allocations');
    for (const w of winners) {
      const previous = w.evidence?.alsoReportedBy;
      const list = Array.isArray(previous) ? [...previous, ...also] : also;
      const merged: Finding = { ...w, evidence: { ...w.evidence, alsoReportedBy: list } };
      if (allocated?.site && w.evidence?.siteFrom !== 'allocations') {
        merged.site = allocated.site;
        merged.evidence = {
          ...merged.evidence,
          siteFrom: 'allocations',
          ...(w.site ? { detectorSite: w.site } : {}),
        };
      }
      replaced.set(w, merged);
    }
  }
  if (dropped.size === 0) return findings;
  const out: Finding[] = [];
  for (const f of findings) if (!dropped.has(f)) out.push(replaced.get(f) ?? f);
  return out;
}

/**
 * Runs every detector's `setup` once, isolating failures like {@link runDetectors}, and returns one
 * disposer for all of them. The disposer calls each detector's disposer (newest first), reports
 * failures instead of throwing, and is idempotent. A setup that settles after its time box has its
 * disposer called at once, so hooks installed too late do not stay behind.
 *
 * @param detectors - the detectors in use.
 * @param context - the context their `setup` gets.
 * @param options - see {@link SetupDetectorsOptions}.
 * @returns a disposer undoing every setup.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` (as a rejection) for bad options or detectors.
 *
 * @example
 * ```ts
 * import { createDetectorContext, setupDetectors } from '@leakkit/core';
 * const ctx = createDetectorContext();
 * const dispose = await setupDetectors([myDetector], ctx, { onError: (f) => log(f.error) });
 * // … checks …
 * await dispose();
 * ```
 */
export async function setupDetectors(
  detectors: readonly Detector[],
  context: DetectorContext,
  options: SetupDetectorsOptions = {},
): Promise<() => Promise<void>> {
  const list = checkDetectors(detectors);
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
  const timeout = resolveTimeout(options.timeout);
  const onError = resolveOnError(options.onError);
  const failures: DetectorFailure[] = [];
  const disposers: { name: string; dispose: Disposer }[] = [];
  const runDisposer = async (name: string, dispose: Disposer) => {
    try {
      await dispose();
    } catch (cause) {
      report(onError, failures, failed(name, 'dispose', 'dispose failed', cause));
    }
  };
  const outcomes = await Promise.all(
    list.map((d) =>
      d.setup === undefined
        ? Promise.resolve<Outcome>({ ok: true, value: undefined })
        : timeBoxed(
            (ctx) => d.setup!(ctx),
            context,
            timeout,
            (late) => {
              if (typeof late === 'function') void runDisposer(d.name, late as Disposer);
            },
          ),
    ),
  );
  list.forEach((d, i) => {
    const outcome = outcomes[i]!;
    if (!outcome.ok) report(onError, failures, toFailure(d.name, 'setup', outcome));
    else if (typeof outcome.value === 'function')
      disposers.push({ name: d.name, dispose: outcome.value as Disposer });
  });
  let disposed = false;
  return async () => {
    if (disposed) return;
    disposed = true;
    for (let i = disposers.length - 1; i >= 0; i--)
      await runDisposer(disposers[i]!.name, disposers[i]!.dispose);
  };
}
