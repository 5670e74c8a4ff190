import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFunction: (() => void) | undefined;

/**
 * A full garbage collection without `--expose-gc`: turning the flag on at run time makes V8 install
 * `gc` in every context created afterwards, so a fresh context hands it over. The function is kept:
 * a new context per call would itself leave a script behind each time.
 */
export function fullGc(): void {
  if (gcFunction === undefined) {
    const exposed = (globalThis as { gc?: unknown }).gc;
    if (typeof exposed === 'function') gcFunction = exposed as () => void;
    else {
      setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as () => void;
    }
  }
  // Twice: the first collection runs finalizers and clears weak cells whose targets the second
  // one then frees (measured: one call leaves a few hundred bytes that the second one frees).
  gcFunction();
  gcFunction();
}

// Spaces whose size moves with compilation, not with what the program keeps: code (JIT output),
// trusted (bytecode and metadata from V8 12 on) and the read-only snapshot.
const IGNORED_SPACE = /code|trusted|read_only/;

/**
 * Bytes the program can own, right now: the used size of every JS heap space but code, trusted and
 * read-only, plus external memory (backing stores of ArrayBuffers and Buffers). After `fullGc()` this is flat for a bounded program to the byte in most
 * rounds (V8-NOTES: code-space and bytecode jumps are what make plain `heapUsed` jump by ~220 KB).
 */
export function heapBytes(): number {
  // Plus external memory: ArrayBuffer and Buffer backing stores live outside the spaces, and one
  // typed array rebuilt bigger on every call grows nothing else (no object survives a round).
  let total = getHeapStatistics().external_memory;
  for (const space of getHeapSpaceStatistics()) {
    if (!IGNORED_SPACE.test(space.space_name)) total += space.space_used_size;
  }
  return total;
}

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/**
 * Sets the V8 flags a measurement needs and returns how to restore them: no bytecode flushing (a
 * function's bytecode aged out and recompiled moves the heap by kilobytes between rounds) and no
 * inlining (an inlined callee's allocations are attributed to its caller, so a site would name the
 * wrong function). Both are process-wide, so they are turned back on afterwards.
 */
export function measurementFlags(): () => void {
  setFlagsFromString('--no-flush-bytecode');
  setFlagsFromString('--no-turbo-inlining');
  // Maglev inlines from V8 12 (Node 22) on; the flag does not exist on Node 20.
  const maglev = NODE_MAJOR >= 22;
  if (maglev) setFlagsFromString('--no-maglev-inlining');
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    setFlagsFromString('--flush-bytecode');
    setFlagsFromString('--turbo-inlining');
    if (maglev) setFlagsFromString('--maglev-inlining');
  };
}

// Node's own timer functions, taken before anyone patches the globals: leakkit's handle watch wraps
// setTimeout/setInterval, and fake timers (vi.useFakeTimers) replace the globals, which would make a
// round boundary wait forever.
const realTimers = process.getBuiltinModule('node:timers');
export const realSetTimeout = realTimers.setTimeout;
export const realClearTimeout = realTimers.clearTimeout;
const realSetImmediate = realTimers.setImmediate;

/** Lets the event loop run once (timers due, I/O callbacks, immediates) before the next round. */
export function turn(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

/** Waits `ms` on Node's own timer, unref'd: a check must not keep the process alive by itself. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms).unref());
}
