import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import type { HeapEvidence } from '../detect/types.js';
import { captureHeap, HEAP_TRACKING_WARNING_CODE, resetHeapTracking } from '../heap/capture.js';
import type { HeapGraph } from '../heap/graph.js';
import type { Growth } from '../heap/growth.js';
import { findGrowth } from '../heap/growth.js';
import type { CaptureSummary } from '../report/types.js';
import { formatBytes } from './format.js';
import type { MemoryLimits } from './limits.js';
import { availableMemory } from './limits.js';
import { isLeakkitFile } from './own.js';

/** The heap-snapshot policy: by budget, always (headroom still checked), never. */
export type HeapSnapshotPolicy = 'auto' | 'on' | 'off';

// Measured peak RSS of a capture beside the heap (V8's snapshot generator, the streamed JSON and the
// parsed graph): +51 MB for a 5 MB heap, +726 MB for 50 MB (10-15x); V8-NOTES: 166 MB for 11 MB,
// 1.3 GB for 100 MB, ~6 GB for 590 MB. 16x covers them all.
const CAPTURE_MEMORY_FACTOR = 16;
// A parsed graph kept for the series: typed arrays of ~1.4x the heap (measured 70 MB per 50 MB heap).
const GRAPH_MEMORY_FACTOR = 1.5;
// First guess of a capture's pause per MB of heap before one was measured (V8-NOTES: 11 MB 0.5 s,
// 100 MB 4-6 s, 590 MB ~40 s: 45-70 ms per MB), including the parse and the growth analysis.
const DEFAULT_MS_PER_MB = 80;
const MB = 2 ** 20;

/**
 * Runs a capture without captureHeap's one-time warning that GC stays slow after a snapshot: the
 * monitor resets V8's id tracking itself when the series is done (only that warning is held back;
 * any other goes through, and process.emitWarning is restored as soon as the capture settles).
 */
async function quietly<T>(capture: () => Promise<T>): Promise<T> {
  const original = process.emitWarning;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const options = rest[0];
    const code =
      typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : rest[1];
    if (code === HEAP_TRACKING_WARNING_CODE) return;
    return (original as (...a: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  process.emitWarning = filtered;
  try {
    return await capture();
  } finally {
    // Unless someone replaced it meanwhile: theirs then stays (ours, under it, only holds back that one warning).
    if (process.emitWarning === filtered) process.emitWarning = original;
  }
}

// Heap growth (by the trend) between two captures of a series, at the least: a slow leak's
// collections grow too little between captures a tick apart to be told from noise (a rate
// limiter's per-client arrays of timestamps: ~40 bytes each between 1 s ticks).
const SERIES_STEP_BYTES = 128 * 1024;
// The longest time between two captures of a series (the process's GC is slower meanwhile).
const MAX_CAPTURE_GAP = 120_000;

/**
 * Ticks between the captures of a series starting now: enough for the heap to grow by 128 KiB at
 * the trend's rate (four times more per series in a row that named nothing), 1 at least and two
 * minutes' worth at most.
 * @param slope - The trend's growth, bytes per ms.
 * @param interval - The monitor's tick interval, ms.
 * @param emptySeries - Series in a row that named nothing while the growth went on.
 */
export function seriesStride(slope: number, interval: number, emptySeries: number): number {
  const perTick = Math.max(1, slope * interval);
  const target = SERIES_STEP_BYTES * 4 ** emptySeries;
  const most = Math.max(1, Math.floor(MAX_CAPTURE_GAP / interval));
  return Math.min(most, Math.max(1, Math.ceil(target / perTick)));
}

/**
 * The heap-graph tier of the monitor: a short series of heap captures (the same process, so object
 * ids match) that `findGrowth` turns into the paths of what keeps growing, then V8's id tracking
 * reset so garbage collection is fast again. Every capture is checked first: memory beside the heap
 * (a capture needs up to ~16× the heap in native memory, which can itself kill a server in a
 * container) against what the machine and the cgroup still give, room left in the JS heap, and,
 * under the `'auto'` policy, the expected pause against the budget.
 */
export class HeapCaptures {
  readonly policy: HeapSnapshotPolicy;
  readonly maxPause: number;
  readonly steps: number;
  #graphs: HeapGraph[] = [];
  #msPerMB = DEFAULT_MS_PER_MB;
  #taken = 0;
  #skipped = 0;
  #lastSkip: string | undefined;
  #lastPause: number | undefined;
  #growth: Growth[] = [];
  #files: string[] = [];
  #nearLimitDone = false;
  #evidence: HeapEvidence | undefined;

  constructor(policy: HeapSnapshotPolicy, maxPause: number, steps = 4) {
    this.policy = policy;
    this.maxPause = maxPause;
    this.steps = steps;
  }

  /** Whether a series is under way (captures taken, not yet analysed). */
  get inProgress(): boolean {
    return this.#graphs.length > 0;
  }

  /** The latest series' growth (kept after its graphs are let go). */
  get growth(): readonly Growth[] {
    return this.#growth;
  }

  /** Expected pause of one capture of the heap now, ms. */
  expectedPause(heapUsed: number): number {
    return this.#msPerMB * (heapUsed / MB);
  }

  /**
   * Why a capture must not be taken now, or undefined when it may.
   * @param force - ignore the pause budget (policy `'on'`, `captureNow()`); headroom is always checked.
   * @param limits - the heap's usable limit (the old generation's maximum, not `heap_size_limit`,
   *   which the live heap never reaches) and the cgroup's.
   */
  unsafe(force: boolean, limits: Pick<MemoryLimits, 'usable' | 'cgroup'>): string | undefined {
    const { heapUsed, rss } = process.memoryUsage();
    const cgroupLimit = limits.cgroup;
    // The snapshot streams through JS strings and the parser's arrays are allocated as it goes.
    const heapRoom = limits.usable - heapUsed;
    const heapNeeded = Math.max(32 * MB, 0.1 * heapUsed);
    if (heapRoom < heapNeeded) {
      return `only ${formatBytes(Math.max(0, heapRoom))} left below the heap limit (${formatBytes(limits.usable)}); a capture needs ${formatBytes(heapNeeded)}`;
    }
    const need =
      CAPTURE_MEMORY_FACTOR * heapUsed + GRAPH_MEMORY_FACTOR * heapUsed * (this.#graphs.length + 1);
    let room = availableMemory();
    let where = 'the machine';
    if (cgroupLimit !== null && cgroupLimit - rss < room) {
      room = cgroupLimit - rss;
      where = `the cgroup (memory.max ${formatBytes(cgroupLimit)})`;
    }
    // Half of what is left at most: the program keeps running and allocating meanwhile.
    if (need > room / 2) {
      return `a capture of this ${formatBytes(heapUsed)} heap may need ${formatBytes(need)} beside it and ${where} has ${formatBytes(Math.max(0, room))} left`;
    }
    if (!force) {
      const pause = this.expectedPause(heapUsed);
      // A series under way goes on at up to 1.5× the budget: stopping it halfway wastes the pauses
      // already taken, and the first capture's measured pause is often a little above the estimate.
      if (pause > this.maxPause * (this.#graphs.length > 0 ? 1.5 : 1)) {
        return `expected pause ${Math.round(pause)} ms exceeds maxPause ${Math.round(this.maxPause)} ms`;
      }
    }
    return undefined;
  }

  /** Counts a skipped capture and remembers why. */
  skip(reason: string): void {
    this.#skipped++;
    this.#lastSkip = reason;
  }

  /**
   * Takes the next capture of the series. When the series is complete, analyses it (`findGrowth`),
   * resets V8's id tracking and makes the evidence available to this tick's detectors.
   * @returns true when the series completed with this capture.
   */
  async step(): Promise<boolean> {
    const heapUsed = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    let graph: HeapGraph;
    try {
      graph = await quietly(() => captureHeap());
    } catch (error) {
      await this.abort();
      throw error;
    }
    this.#graphs.push(graph);
    this.#taken++;
    const pause = performance.now() - t0;
    this.#lastPause = pause;
    this.#msPerMB = Math.max(1, pause / Math.max(1, heapUsed / MB));
    if (this.#graphs.length < this.steps) return false;
    const graphs = this.#graphs;
    this.#graphs = [];
    try {
      // What leakkit itself holds (a stats memo filling up, the monitor's own buffers) is not the program's.
      this.#growth = findGrowth(graphs, { limit: 10 }).filter(
        (g) => g.file === undefined || !isLeakkitFile(g.file),
      );
      this.#evidence = { graphs, growth: this.#growth };
    } finally {
      await resetHeapTracking().catch(() => undefined);
    }
    return true;
  }

  /** Abandons a series under way and resets V8's id tracking. */
  async abort(): Promise<void> {
    const had = this.#graphs.length > 0;
    this.#graphs = [];
    if (had) await resetHeapTracking().catch(() => undefined);
  }

  /** This tick's heap evidence (only on the tick a series completed). */
  takeEvidence(): HeapEvidence | undefined {
    return this.#evidence;
  }

  /** Lets go of the evidence's graphs once detectors have seen them. */
  releaseEvidence(): void {
    this.#evidence = undefined;
  }

  /**
   * `heapSnapshotNearLimit`: once per process life of the monitor, a snapshot written to `dir` when
   * the heap nears its limit, if a capture is safe then. Returns the file, or a reason it was skipped.
   */
  async nearLimit(
    dir: string,
    limits: Pick<MemoryLimits, 'usable' | 'cgroup'>,
  ): Promise<{ file?: string; skipped?: string }> {
    if (this.#nearLimitDone) return {};
    this.#nearLimitDone = true;
    const reason = this.unsafe(true, limits);
    if (reason !== undefined) return { skipped: reason };
    const file = join(
      dir,
      `leakkit-${process.pid}-${new Date().toISOString().replace(/[:.]/g, '-')}.heapsnapshot`,
    );
    await this.abort();
    // Written, not parsed: near the limit the parsed graph's memory is what must not be spent.
    writeHeapSnapshot(file);
    await resetHeapTracking().catch(() => undefined);
    this.#files.push(file);
    return { file };
  }

  /** What the report shows. */
  summary(): CaptureSummary {
    const out: CaptureSummary = {
      taken: this.#taken,
      skipped: this.#skipped,
      growth: this.#growth.map((g) => ({
        path: g.path,
        kind: g.kind,
        countPerStep: g.countPerStep,
        bytesPerStep: g.bytesPerStep,
        share: g.share,
      })),
      files: [...this.#files],
    };
    if (this.#lastSkip !== undefined) out.lastSkip = this.#lastSkip;
    if (this.#lastPause !== undefined) out.lastPause = Math.round(this.#lastPause);
    return out;
  }
}
