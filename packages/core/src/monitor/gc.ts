import { GCProfiler, getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Spaces whose size moves with compilation, not with what the program keeps: code (JIT output),
// trusted (bytecode and metadata from V8 12 on) and the read-only snapshot. Leaving them out makes
// the heap after GC flat for a bounded program instead of jumping by ~220 KB now and then.
const IGNORED_SPACE = /code|trusted|read_only/;

interface ProfilerSpace {
  spaceName: string;
  spaceUsedSize: number;
}

interface ProfilerEntry {
  gcType: string;
  cost: number;
  afterGC: {
    heapStatistics: { usedHeapSize: number; externalMemory?: number };
    heapSpaceStatistics: ProfilerSpace[];
  };
}

/** What the GC watcher saw since it was last read. */
export interface GcReading {
  /** Major GCs (mark-sweep-compact) V8 ran on its own since the last reading. */
  majors: number;
  /**
   * Bytes the program can own after the latest of them, NaN when there was none: the heap's (see
   * {@link ownedBytes}) plus its external memory, the ArrayBuffer backing stores behind Buffers and
   * typed arrays. A program that keeps Buffers keeps a few hundred bytes of heap per Buffer and all
   * of its bytes outside: measured on the heap alone, a cache of response bodies grows fifty times
   * slower than the process does, and its requests are lost in the heap's noise.
   */
  afterGC: number;
  /** The external part of {@link afterGC}; NaN when there was none. */
  external: number;
  /** Whether `afterGC` comes from a collection the monitor ran itself. */
  collected: boolean;
}

/** The bytes of the heap the program can own, from space statistics (profiler or live). */
function ownedBytes(spaces: readonly ProfilerSpace[]): number {
  let total = 0;
  for (const s of spaces) if (!IGNORED_SPACE.test(s.spaceName)) total += s.spaceUsedSize;
  return total;
}

/**
 * External memory right after a full collection. The collection frees dead ArrayBuffers' backing
 * stores in a sweep that runs beside the program and is only accounted at the next collection:
 * read straight after one, up to all the Buffers allocated since the last still count. A young
 * generation collection (about a millisecond) completes the sweep; measured on Node 20, 22 and 24:
 * exact to the byte after it, up to ten times the live bytes without.
 */
function externalAfterFullGc(collect: (options?: { type: 'minor' }) => void): number {
  try {
    collect({ type: 'minor' });
  } catch {
    // Options refused: the reading may hold Buffers the sweep has not accounted yet.
  }
  return getHeapStatistics().external_memory;
}

/** The same as {@link ownedBytes}, read now. */
export function ownedHeapNow(): number {
  let total = 0;
  for (const s of getHeapSpaceStatistics()) if (!IGNORED_SPACE.test(s.space_name)) total += s.space_used_size;
  return total;
}

let gcFunction: ((options?: { type: 'minor' }) => void) | undefined;

/** Ticks in a row whose own collection fits the budget before V8's collections stop being watched. */
export const FIT_TICKS = 3;

/**
 * A full garbage collection without `--expose-gc`: turning the flag on at run time makes V8 install
 * `gc` in every context created afterwards, so one fresh context hands it over (kept: a context per
 * call would leave a script behind each time).
 */
function fullGc(): (options?: { type: 'minor' }) => void {
  if (gcFunction === undefined) {
    const exposed = (globalThis as { gc?: unknown }).gc;
    if (typeof exposed === 'function') gcFunction = exposed as unknown as typeof gcFunction;
    else {
      setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as typeof gcFunction;
    }
  }
  gcFunction!();
  return gcFunction!;
}

/**
 * Heap size after garbage collection, read at each tick.
 *
 * `read(collect)` runs a full collection itself when its expected pause (from the measured cost of
 * earlier ones per byte of heap) fits the budget given, and reads the heap after it: on a small heap
 * V8 may not run a major GC for minutes, and its incremental ones keep the garbage allocated while
 * they mark.
 *
 * Where a collection is too dear for the budget (or the budget is 0), the reading is the latest of
 * V8's own major GCs, from `v8.GCProfiler`: per GC it reports the heap statistics after the
 * collection, which perf_hooks `gc` entries cannot give (they arrive batched and late, so a heap
 * size read in their callback is not the post-GC size). The profiler runs only then: V8 calls it on
 * every collection, scavenges included, and an allocation-heavy server scavenges hundreds of times a
 * second (measured: ~1.5% of an HTTP server's CPU per request, bench/monitor-overhead `parts/`). It
 * starts at the first tick whose own collection does not fit, and stops after {@link FIT_TICKS}
 * ticks in a row whose collections fit again. It keeps every GC's record until stopped, so it is
 * rotated (stopped and a new one started) on every read and by a short unref'd timer in between,
 * which bounds what it holds.
 */
export class GcWatcher {
  #profiler: GCProfiler | undefined;
  #rotation: ReturnType<typeof setInterval> | undefined;
  #majors = 0;
  #afterGC = Number.NaN;
  #external = Number.NaN;
  // The heap after the latest major GC seen, for the next estimate.
  #lastAfterGC = Number.NaN;
  // Measured costs of recent major GCs, ms per MB of heap after them (a ring; median used).
  readonly #costs = new Float64Array(8);
  #costCount = 0;
  // Shrinks the estimate at each tick a collection was refused, back to 1 at each measurement.
  #discount = 1;

  #rotateEvery = 5000;
  #started = false;
  // Ticks in a row whose own collection fitted the budget (the profiler stops at FIT_TICKS).
  #fitted = 0;

  /**
   * Starts watching; idempotent. With `watchV8` (no collections of its own, a budget of 0), V8's
   * collections are watched from now on; else from the first tick whose collection is too dear.
   */
  start(rotateEvery: number, watchV8 = false): void {
    if (this.#started) return;
    this.#started = true;
    this.#rotateEvery = rotateEvery;
    if (watchV8) this.#watch();
  }

  /** Whether V8's own collections are being watched (the GC profiler runs). */
  get watching(): boolean {
    return this.#profiler !== undefined;
  }

  /** Stops watching and lets go of the profiler; idempotent. */
  stop(): void {
    this.#started = false;
    this.#unwatch();
  }

  #watch(): void {
    if (this.#profiler !== undefined || !this.#started) return;
    this.#profiler = new GCProfiler();
    this.#profiler.start();
    this.#rotation = setInterval(() => this.#rotate(), this.#rotateEvery);
    this.#rotation.unref();
  }

  #unwatch(): void {
    if (this.#rotation !== undefined) clearInterval(this.#rotation);
    this.#rotation = undefined;
    const p = this.#profiler;
    this.#profiler = undefined;
    try {
      p?.stop();
    } catch {
      // Already stopped: nothing is left to release.
    }
  }

  /**
   * Expected pause of a full GC, in ms: the median measured cost per MB of the recent major GCs (a
   * first guess of 2 ms per MB before any was seen) times the live heap (the latest heap after GC,
   * or `heapUsed` before there is one): marking costs in proportion to what survives.
   */
  expectedPause(heapUsed: number): number {
    const n = Math.min(this.#costCount, this.#costs.length);
    let perMB = 2;
    if (n > 0) {
      const recent = Array.from(this.#costs.subarray(0, n)).sort((a, b) => a - b);
      perMB = recent[n >> 1]!;
    }
    const live = Number.isFinite(this.#lastAfterGC) ? this.#lastAfterGC : heapUsed;
    return perMB * (live / 2 ** 20) * this.#discount;
  }

  /**
   * Major GCs since the last read and the heap after the latest. With `collect` (a pause budget in
   * ms), runs a full GC when the expected pause fits the budget and reads the heap after it.
   */
  read(collect: number, heapUsed: number): GcReading {
    this.#rotate();
    const majors = this.#majors;
    let afterGC = this.#afterGC;
    let external = this.#external;
    let collected = false;
    this.#majors = 0;
    this.#afterGC = Number.NaN;
    this.#external = Number.NaN;
    const fits = this.expectedPause(heapUsed) <= collect;
    if (collect > 0 && !fits) {
      // Forget slowly: one slow collection (the machine busy elsewhere) must not rule them out for
      // good, and a new measurement is the only way to learn they became cheap again.
      this.#discount *= 0.85;
    }
    // A collection of our own whenever it fits the budget, even after one of V8's: V8's major GCs
    // mark incrementally, and what the program allocates meanwhile survives them (floating garbage),
    // so their readings move with the allocation rate of the moment, and with the traffic mix; a
    // full collection at the tick reads what is really held, at the same moment as the gauges.
    if (collect > 0 && fits) {
      const t0 = performance.now();
      try {
        const collect = fullGc();
        const heap = ownedHeapNow();
        // Marking costs in proportion to the heap: the cost is learnt before the sweep's completion.
        this.#learn(performance.now() - t0, heap);
        external = externalAfterFullGc(collect);
        afterGC = heap + external;
        collected = true;
      } catch {
        // gc unavailable (a locked-down runtime): the gauge waits for V8's own collections.
      }
      // The profiler saw that collection too: drop it, it is not one of V8's own.
      this.#rotate();
      this.#majors = 0;
      this.#afterGC = Number.NaN;
      this.#external = Number.NaN;
    }
    if (collected) {
      if (++this.#fitted >= FIT_TICKS) this.#unwatch();
    } else {
      // No collection of our own this tick: V8's are the only readings, from now on.
      this.#fitted = 0;
      this.#watch();
    }
    return { majors, afterGC, external, collected };
  }

  #learn(ms: number, bytes: number): void {
    this.#discount = 1;
    this.#lastAfterGC = bytes;
    this.#costs[this.#costCount % this.#costs.length] = ms / Math.max(1, bytes / 2 ** 20);
    this.#costCount++;
  }

  #rotate(): void {
    const p = this.#profiler;
    if (p === undefined) return;
    let data: { statistics?: ProfilerEntry[] } | undefined;
    try {
      data = p.stop() as { statistics?: ProfilerEntry[] } | undefined;
    } catch {
      data = undefined;
    }
    const next = new GCProfiler();
    next.start();
    this.#profiler = next;
    const stats = data?.statistics;
    if (stats === undefined) return;
    for (const entry of stats) {
      if (entry.gcType !== 'MarkSweepCompact') continue;
      this.#majors++;
      const heap = ownedBytes(entry.afterGC.heapSpaceStatistics);
      // V8's own collection leaves its sweep of ArrayBuffers to run on: the external bytes may
      // still hold some dead ones (see externalAfterFullGc).
      const external = entry.afterGC.heapStatistics.externalMemory;
      this.#external = typeof external === 'number' ? external : 0;
      this.#afterGC = heap + this.#external;
      // Not its cost: V8's own major GCs mark incrementally, so their pause says little about a full
      // collection's.
      this.#lastAfterGC = heap;
    }
  }
}
