import type { Session } from 'node:inspector';
import { getHeapSnapshot, setFlagsFromString } from 'node:v8';
import { invalidOption, LeakkitError } from '../errors.js';
import { addHeapSnapshot } from './exact.js';
import type { ResolvedTracingOptions, TracingOptions } from './options.js';
import { resolveTracingOptions } from './options.js';
import type { SamplingProfile } from './sampling.js';
import { addSamplingProfile } from './sampling.js';
import { Snapshot } from './snapshot.js';
import { FrameResolver } from './source.js';
import { TraceBuilder } from './traces.js';
import type { TracedMemory } from './types.js';

/** Options of `takeSnapshot()`. */
export interface TakeSnapshotOptions {
  /**
   * Sampling mode: run a full garbage collection first (`HeapProfiler.collectGarbage`) so the
   * snapshot holds only reachable objects, not garbage that no major GC has reclaimed yet. Costs one
   * full GC pause. Exact mode always collects (a heap snapshot does).
   * @default false
   */
  collectGarbage?: boolean;
}

interface TracingState {
  readonly options: ResolvedTracingOptions;
  readonly session: Session;
  epoch: number;
  current: number;
  peak: number;
  /** Snapshots run one at a time: exact mode listens to one chunk stream. */
  queue: Promise<unknown>;
  restoreFlags: (() => void) | undefined;
}

// One tracer per thread: each worker loads its own copy of this module and traces its own heap.
let state: TracingState | undefined;

type Post = <T>(session: Session, method: string, params?: object) => Promise<T>;

const post: Post = (session, method, params) =>
  new Promise((resolve, reject) => {
    try {
      session.post(method, params ?? {}, (error, result) =>
        error ? reject(error) : resolve(result as never),
      );
    } catch (error) {
      reject(error);
    }
  });

/**
 * In-process inspector commands call back synchronously (V8-NOTES): this runs one and returns its
 * result or throws its error, so `start()` and `stop()` can be synchronous and fail where called. @internal
 */
export function postSync<T>(session: Session, method: string, params?: object): T {
  let done = false;
  let failure: unknown;
  let value: unknown;
  session.post(method, params ?? {}, (error, result) => {
    done = true;
    failure = error;
    value = result;
  });
  if (!done) throw new Error(`${method} did not answer synchronously`);
  if (failure) throw failure;
  return value as T;
}

function unavailable(reason: unknown): LeakkitError {
  const why = (reason instanceof Error ? reason.message : String(reason)).replace(/\.$/, '');
  return new LeakkitError(
    'ERR_LEAKKIT_INSPECTOR_UNAVAILABLE',
    `Expected node:inspector to be usable for allocation tracing, got: ${why}. ` +
      'Tracing needs the inspector (not available under --permission without --allow-inspector, ' +
      'or in builds without it).',
    { cause: reason },
  );
}

// Disconnecting any inspector session makes V8 forget its heap object ids, which would break
// diffHeaps/findGrowth across a stop() between two heap captures. The session stays connected for
// the life of the thread (an in-process session holds no handle open) and is reused by every start().
let connected: Session | undefined;

function connect(): Session {
  connected ??= openSession();
  return connected;
}

/**
 * The thread's inspector session, for other same-thread inspector work (the monitor's route probe):
 * one session, never disconnected (see above). Throws `ERR_LEAKKIT_INSPECTOR_UNAVAILABLE`. @internal
 */
export function inspectorSession(): Session {
  return connect();
}

function openSession(): Session {
  let inspector: typeof import('node:inspector');
  try {
    // Loaded lazily: importing @leakkit/core must not fail where the inspector is missing.
    inspector = process.getBuiltinModule('node:inspector');
  } catch (error) {
    throw unavailable(error);
  }
  if (!inspector?.Session) throw unavailable('node:inspector has no Session');
  try {
    const session = new inspector.Session();
    session.connect();
    return session;
  } catch (error) {
    throw unavailable(error);
  }
}

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** Turns inlining off so callees keep their frames; returns how to turn it back on. */
function disableInlining(): () => void {
  setFlagsFromString('--no-turbo-inlining');
  // Maglev inlines too from V8 12.x on (Node 24 measured); the flag does not exist on Node 20.
  const maglev = NODE_MAJOR >= 22;
  if (maglev) setFlagsFromString('--no-maglev-inlining');
  return () => {
    setFlagsFromString('--turbo-inlining');
    if (maglev) setFlagsFromString('--maglev-inlining');
  };
}

/**
 * Exact mode: V8's allocation tracker follows objects as GC moves them, but moves made by a
 * compacting full GC are lost: on several threads (Node 24 measured: 547 of 20,000 live objects
 * unattributed in most runs; none with `--no-parallel-compaction`, 8 runs of 8) and, on one
 * thread too, whole rounds of objects that the heap snapshot's own GCs evacuated (checkBounded on
 * Node 20 and 22: 0 to 100% of a round's survivors lost their stacks; none with `--no-compact`).
 * Not compacting while exact tracing runs costs some fragmentation of the old space for that time.
 */
export function keepObjectsInPlace(): () => void {
  const given = (name: string) => process.execArgv.some((a) => a.replaceAll('_', '-') === name);
  // A process started with a flag keeps it: only undo what this call changed.
  const undo: string[] = [];
  if (!given('--no-compact')) {
    setFlagsFromString('--no-compact');
    undo.push('--compact');
  }
  if (!given('--no-parallel-compaction')) {
    setFlagsFromString('--no-parallel-compaction');
    undo.push('--parallel-compaction');
  }
  return () => {
    for (const flag of undo) setFlagsFromString(flag);
  };
}

function sameOptions(
  a: ResolvedTracingOptions,
  b: ResolvedTracingOptions,
): keyof ResolvedTracingOptions | undefined {
  for (const key of Object.keys(a) as (keyof ResolvedTracingOptions)[]) if (a[key] !== b[key]) return key;
  return undefined;
}

const isNotStarted = (error: unknown) =>
  error instanceof Error && /sampling heap profiler was not started/i.test(error.message);

/**
 * Starts tracing allocations in this thread: tracemalloc's `start()`. Calling it again with the same
 * options does nothing.
 *
 * @param options - Mode, sampling interval, frames; see {@link TracingOptions}.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option (or different options while
 *   tracing), `ERR_LEAKKIT_INSPECTOR_UNAVAILABLE` when the inspector cannot be used.
 * @example
 * ```ts
 * start({ samplingInterval: '64 KiB' });
 * ```
 */
export function start(options: TracingOptions = {}): void {
  const resolved = resolveTracingOptions(options);
  if (state) {
    const differs = sameOptions(state.options, resolved);
    if (differs === undefined) return;
    throw new LeakkitError(
      'ERR_LEAKKIT_INVALID_OPTION',
      `Expected \`${differs}\` to stay ${JSON.stringify(state.options[differs])} while tracing, got ` +
        `\`${JSON.stringify(resolved[differs])}\`; call stop() first`,
      { option: differs },
    );
  }
  const session = connect();
  let restoreFlags: (() => void) | undefined;
  try {
    const restoreInlining = resolved.precise ? disableInlining() : undefined;
    const restoreCompaction = resolved.mode === 'exact' ? keepObjectsInPlace() : undefined;
    if (restoreInlining || restoreCompaction) {
      restoreFlags = () => {
        restoreInlining?.();
        restoreCompaction?.();
      };
    }
    if (resolved.mode === 'sampling') {
      postSync(session, 'HeapProfiler.startSampling', { samplingInterval: resolved.samplingInterval });
    } else {
      postSync(session, 'HeapProfiler.enable');
      postSync(session, 'HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
    }
  } catch (error) {
    restoreFlags?.();
    throw unavailable(error);
  }
  state = {
    options: resolved,
    session,
    epoch: 0,
    current: 0,
    peak: 0,
    queue: Promise.resolve(),
    restoreFlags,
  };
}

/**
 * Stops tracing and forgets every trace: tracemalloc's `stop()`. Snapshots already taken stay
 * usable. Restores inlining and, after exact mode, V8's normal GC speed. Does nothing when not tracing.
 */
export function stop(): void {
  const s = state;
  if (!s) return;
  state = undefined;
  try {
    if (s.options.mode === 'sampling') postSync(s.session, 'HeapProfiler.stopSampling');
    else {
      // Not stopTrackingHeapObjects: it takes one more heap snapshot. Disabling stops tracking and
      // clears V8's object-id map, which otherwise keeps every GC ~7x slower.
      postSync(s.session, 'HeapProfiler.disable');
    }
  } catch {
    // Someone else stopped the profiler already: there is nothing left to stop.
  }
  s.restoreFlags?.();
}

/** Whether `start()` is in effect in this thread: tracemalloc's `is_tracing()`. */
export function isTracing(): boolean {
  return state !== undefined;
}

function notTracing(what: string): LeakkitError {
  return new LeakkitError(
    'ERR_LEAKKIT_NOT_TRACING',
    `Expected allocation tracing to be started before ${what}, got no tracing: call start() first`,
  );
}

function restartSampling(s: TracingState): LeakkitError {
  s.epoch += 1;
  let restarted = true;
  try {
    postSync(s.session, 'HeapProfiler.startSampling', { samplingInterval: s.options.samplingInterval });
  } catch {
    restarted = false;
  }
  return new LeakkitError(
    'ERR_LEAKKIT_PROFILER_STOPPED',
    'Expected the sampling heap profiler to be running, got it stopped by another inspector session ' +
      `(HeapProfiler.stopSampling stops it for the whole process). Everything sampled so far is lost; ${
        restarted
          ? 'leakkit restarted it, so take a new baseline snapshot'
          : 'restarting it failed, so call stop() and start()'
      }.`,
  );
}

async function sample(s: TracingState, options: TakeSnapshotOptions): Promise<Snapshot> {
  if (options.collectGarbage) await post(s.session, 'HeapProfiler.collectGarbage');
  let profile: SamplingProfile;
  try {
    ({ profile } = await post<{ profile: SamplingProfile }>(s.session, 'HeapProfiler.getSamplingProfile'));
  } catch (error) {
    if (isNotStarted(error)) throw restartSampling(s);
    throw unavailable(error);
  }
  const builder = new TraceBuilder(s.options, new FrameResolver(s.options.statementLines));
  const { total, maxOrdinal } = addSamplingProfile(profile, s.options.samplingInterval, builder);
  record(s, total);
  return new Snapshot(builder.traces(), {
    mode: 'sampling',
    samplingInterval: s.options.samplingInterval,
    tracebackLimit: s.options.frames,
    epoch: s.epoch,
    maxOrdinal,
  });
}

async function exact(s: TracingState): Promise<Snapshot> {
  // v8.getHeapSnapshot(), not the inspector's HeapProfiler.takeHeapSnapshot: on V8 12+ (Node 22, 24)
  // a snapshot taken through the inspector leaves allocation tracking blind to 5-40% of the objects
  // allocated afterwards (measured); the same snapshot taken through the v8 module does not.
  let text: string;
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
    // Let go of the chunks before parsing: the text is all we need and the heap is being measured.
    chunks.length = 0;
  } catch (error) {
    throw unavailable(error);
  }
  const builder = new TraceBuilder(s.options, new FrameResolver(s.options.statementLines));
  const { total } = addHeapSnapshot(text, builder);
  record(s, total);
  return new Snapshot(builder.traces(), {
    mode: 'exact',
    samplingInterval: 0,
    tracebackLimit: s.options.frames,
    epoch: s.epoch,
  });
}

function record(s: TracingState, total: number): void {
  s.current = Math.round(total);
  if (s.current > s.peak) s.peak = s.current;
}

/**
 * Takes a snapshot of the live memory traced since `start()`: tracemalloc's `take_snapshot()`.
 * Only objects still alive are in it. Sampling mode reads V8's profile (7–50 ms); exact mode takes a
 * heap snapshot (a pause of about a second per 10 MB of heap).
 *
 * @returns The snapshot.
 * @throws LeakkitError `ERR_LEAKKIT_NOT_TRACING` before `start()`; `ERR_LEAKKIT_PROFILER_STOPPED`
 *   once when something else stopped the sampling profiler (leakkit restarts it: take a new baseline).
 * @example
 * ```ts
 * start();
 * const before = await takeSnapshot();
 * ```
 */
export function takeSnapshot(options: TakeSnapshotOptions = {}): Promise<Snapshot> {
  const s = state;
  if (!s) return Promise.reject(notTracing('takeSnapshot()'));
  if (options === null || typeof options !== 'object') {
    return Promise.reject(invalidOption('options', 'an object', options));
  }
  if (options.collectGarbage !== undefined && typeof options.collectGarbage !== 'boolean') {
    return Promise.reject(invalidOption('collectGarbage', 'a boolean', options.collectGarbage));
  }
  const run = () => {
    if (state !== s) return Promise.reject(notTracing('takeSnapshot()'));
    return s.options.mode === 'sampling' ? sample(s, options) : exact(s);
  };
  const result = s.queue.then(run, run);
  s.queue = result.catch(() => undefined);
  return result;
}

/**
 * The traced live memory and its peak, in bytes: tracemalloc's `get_traced_memory()`. Sampling
 * mode reads the profile now (an estimate, 7–50 ms); exact mode reports the last snapshot. The peak is
 * the highest value any reading saw, not a continuous maximum.
 *
 * @throws LeakkitError `ERR_LEAKKIT_NOT_TRACING` before `start()`.
 */
export function getTracedMemory(): TracedMemory {
  const s = state;
  if (!s) throw notTracing('getTracedMemory()');
  if (s.options.mode === 'sampling') {
    try {
      const { profile } = postSync<{ profile: SamplingProfile }>(
        s.session,
        'HeapProfiler.getSamplingProfile',
      );
      let total = 0;
      // Sample sizes arrive already scaled to unbiased estimates (see unscaleSample).
      for (const sample of profile.samples) total += sample.size;
      record(s, total);
    } catch (error) {
      if (isNotStarted(error)) throw restartSampling(s);
      throw unavailable(error);
    }
  }
  return { current: s.current, peak: s.peak };
}
