import type { DetectorFailure } from '../detect/run.js';
import type { Detector, Finding } from '../detect/types.js';

/** The function under test: called once per iteration with the iteration's index. May be async. */
export type BoundedFunction = (iteration: number) => unknown;

/** A pattern of `ignore`: a string or a regular expression, matched against a finding's path and site. */
export type IgnorePattern = string | RegExp;

/**
 * Options of `checkBounded` and `assertBounded`. Every field is optional; the defaults catch a leak
 * of one small object per call within about two seconds for a cheap function, and stay quiet on
 * bounded code.
 */
export interface CheckBoundedOptions {
  /**
   * Calls of the function per round. More catch slower leaks: growth must reach a few objects per
   * round to be seen. `'auto'` is 1000, fewer for a slow function (so the heap-size rounds take
   * about half a second), never below 100.
   * @default 'auto'
   */
  iterations?: number | 'auto';
  /**
   * Calls before measuring, so that lazy initialisation, caches filling up to their cap and the
   * JIT's warm-up are over. A cache with a larger cap than this (and than two rounds) looks like a
   * leak: raise it.
   * @default 3 × iterations
   */
  warmup?: number;
  /**
   * Heap-size rounds (a full garbage collection and the heap's size after each). At least 3.
   * @default 6
   */
  rounds?: number;
  /**
   * Detectors that diagnose what they recognise (`timers()`, `caches()`) and give advice; they take
   * over the generic finding for the same path.
   * @default []
   */
  detectors?: Detector[];
  /**
   * Most time the whole check may take, in ms or a string like `'30s'`. The check rejects with
   * `ERR_LEAKKIT_TIMEOUT` when it runs out (a synchronous function that never returns cannot be
   * interrupted).
   * @default '60s'
   */
  timeout?: number | string;
  /**
   * Bytes the function may keep per call: when the growth of every finding together stays at or
   * under it, the function counts as bounded, and the report says what the budget hid. A number of
   * bytes or a string like `'1 KiB'`.
   * @default 0 (no budget)
   */
  maxBytesPerIteration?: number | string;
  /**
   * Growth you accept, like goleak's `IgnoreTopFunction`: a finding whose path or site matches one
   * of these is moved to `ignored` (and named in the report). A string matches a path exactly or as
   * its prefix up to a `.`, `[` or ` › `, or a site as the end of `file:line` (`'cache.ts:12'`,
   * `'cache.ts'`); a RegExp is tested against the path and against `file:line`.
   * @default []
   */
  ignore?: IgnorePattern[];
  /**
   * Report timers and other handles the function leaves active (like goleak's `VerifyNone` and
   * jest's `--detectOpenHandles`).
   * @default true
   */
  handles?: boolean;
  /**
   * When to take heap graphs: `'auto'` only when the heap-size rounds show possible growth (or a
   * detector needs them); `'always'` every time, for the exact object counts even of bounded code.
   * @default 'auto'
   */
  heapGraphs?: 'auto' | 'always';
  /**
   * Print the contents of strings (Map keys) in paths. Off by default: keys may be secrets; paths
   * show a short hash instead.
   * @default false
   */
  strings?: boolean;
}

/** One measured round of a check. */
export interface BoundedRound {
  /** `'heap-size'`: heap size after a full GC; `'heap-graph'`: a heap graph too; `'probe'`: live sizes read. */
  stage: 'heap-size' | 'heap-graph' | 'probe';
  /** Calls of the function in the round. */
  iterations: number;
  /** Bytes in the heap after the round's garbage collection (code and bytecode left out). */
  heapBytes: number;
  /** Heap-graph rounds: objects born in this round that the program still holds at the end. */
  survivors?: number;
  /** Active handles and timers after the round (`process.getActiveResourcesInfo()`). */
  activeResources: number;
  /** Milliseconds the round's calls took. */
  durationMs: number;
}

/** What `checkBounded` found. */
export interface BoundedResult {
  /** No finding of severity `'leak'` is left after `ignore` and `maxBytesPerIteration`. */
  bounded: boolean;
  /**
   * What grows, where it is allocated, how fast and what to do, most severe first. Findings hidden
   * by `ignore` or the budget are not here but in {@link ignored} and {@link accepted}.
   */
  findings: Finding[];
  /** Findings matched by `ignore`. */
  ignored: Finding[];
  /** Findings within `maxBytesPerIteration`. */
  accepted: Finding[];
  /**
   * Growth per call of the function: the sum over the findings (hidden ones included) when heap
   * graphs were taken; from the heap sizes' robust slope otherwise (0 when it is not positive).
   */
  perIteration: { bytes: number; objects: number };
  /** Every measured round, in order. */
  rounds: BoundedRound[];
  /** Calls of the function in total, warm-up included. */
  iterations: number;
  /** Calls per round. */
  iterationsPerRound: number;
  /** Calls before measuring. */
  warmup: number;
  /**
   * What decided: `'heap-sizes'` when the heap did not grow at all between rounds (nothing to
   * explain), `'heap-graphs'` when objects were counted by id.
   */
  evidence: 'heap-sizes' | 'heap-graphs';
  /** Whether allocation stacks were available for sites. */
  sites: boolean;
  /** Detectors that failed (threw, timed out, returned invalid findings): reported, not thrown. */
  failures: DetectorFailure[];
  /** Wall-clock time of the check. */
  durationMs: number;
}
