/**
 * One frame of an allocation's stack, in the developer's coordinates: a path relative to the working
 * directory (absolute outside it, `node:events` for Node's own modules), 1-based line and column.
 */
export interface Frame {
  /** The file, relative to `process.cwd()` when inside it; the original source when a source map applies. */
  readonly file: string;
  /**
   * 1-based line of the allocating statement when leakkit could find it in the function's source,
   * otherwise the line where the function starts. `0` when unknown.
   */
  readonly line: number;
  /** 1-based column of `line`'s statement or of the function; `0` when unknown. */
  readonly column: number;
  /** The function's name as V8 reports it; `''` for anonymous functions and module bodies. */
  readonly functionName: string;
  /** 1-based line where the function starts (what V8 itself reports). Groups the `'function'` key. */
  readonly functionLine: number;
}

/**
 * The memory a snapshot attributes to one stack. Unlike tracemalloc's per-block traces, a trace here
 * aggregates every live object allocated at the same stack, because V8 reports allocations that way.
 */
export interface Trace {
  /** The stack, most recent call first; at most the `frames` option long. Never empty. */
  readonly frames: readonly Frame[];
  /** Bytes, an integer. In sampling mode an unbiased estimate. */
  readonly size: number;
  /** Objects, an integer. In sampling mode an unbiased estimate. */
  readonly count: number;
}

/** How a snapshot's traces were collected. */
export type TracingMode = 'sampling' | 'exact';

/** What a snapshot knows about how it was taken. */
export interface SnapshotMeta {
  /** `'sampling'` or `'exact'`; `undefined` for snapshots built from plain data. */
  readonly mode: TracingMode | undefined;
  /** The sampling interval in bytes (sampling mode), else `0`. */
  readonly samplingInterval: number;
  /** The most frames a trace keeps (the `frames` option). */
  readonly tracebackLimit: number;
  /** When the snapshot was taken, ms since the epoch. */
  readonly timestamp: number;
  /**
   * Counts the times the process-wide sampling profiler had to be restarted since `start()` because
   * something else stopped it. Two snapshots with different epochs cannot be compared meaningfully:
   * everything sampled before a restart was lost.
   */
  readonly epoch: number;
  /**
   * The highest sample ordinal V8 had handed out when the snapshot was taken (sampling mode), else
   * `0`. A sample with a higher ordinal was allocated after this snapshot.
   */
  readonly maxOrdinal: number;
}

/** Grouping keys of `statistics()` and `compareTo()`, as in tracemalloc plus `'function'`. */
export type StatisticKey = 'filename' | 'lineno' | 'function' | 'traceback';

/** Options of `statistics()` and `compareTo()`. */
export interface StatisticsOptions {
  /**
   * Count each trace under every frame of its stack instead of only the most recent one, like
   * tracemalloc's `cumulative=True`. Not allowed with the `'traceback'` key. A trace is counted
   * once per distinct key even when a frame repeats (recursion).
   * @default false
   */
  cumulative?: boolean;
}

/**
 * Selects traces by file, like tracemalloc's `Filter`. Several inclusive filters are or-ed; a trace
 * must pass every exclusive filter.
 *
 * @example
 * ```ts
 * snapshot.filter([{ inclusive: false, filenamePattern: 'node_modules/*' }])
 * ```
 */
export interface Filter {
  /** `true` keeps matching traces, `false` drops them. */
  readonly inclusive: boolean;
  /**
   * A glob (`*` any run of characters including `/`, `?` one character, `[abc]`, `[!abc]`) matched
   * against the whole `Frame.file`, as the snapshot shows it.
   */
  readonly filenamePattern: string;
  /**
   * Only frames at this 1-based line match.
   * @default undefined (any line)
   */
  readonly lineno?: number;
  /**
   * Match any frame of the stack instead of only the most recent one.
   * @default false
   */
  readonly allFrames?: boolean;
}

/** `getTracedMemory()`'s answer, in bytes. */
export interface TracedMemory {
  /** Live traced memory at the last reading. */
  current: number;
  /** The highest `current` seen by any reading since `start()`. */
  peak: number;
}
