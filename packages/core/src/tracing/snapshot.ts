import { readFileSync, writeFileSync } from 'node:fs';
import { describeValue, LeakkitError } from '../errors.js';
import { decodeDump, encodeDump } from './dump.js';
import { applyFilters, compileFilters } from './filter.js';
import type { HeapProfile } from './heapprofile.js';
import { toHeapProfile } from './heapprofile.js';
import type { Statistic, StatisticDiff } from './statistics.js';
import { checkKey, compareGroups, groupBy, toStatistics } from './statistics.js';
import type { Filter, Frame, SnapshotMeta, StatisticKey, StatisticsOptions, Trace } from './types.js';

const UNKNOWN_FRAME: Frame = { file: '<unknown>', line: 0, column: 0, functionName: '', functionLine: 0 };

function fileError(path: string, verb: string, cause: unknown): LeakkitError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new LeakkitError('ERR_LEAKKIT_FILE', `Could not ${verb} \`${path}\`: ${reason}`, {
    file: path,
    cause,
  });
}

/**
 * The live memory at one moment, grouped by the stack that allocated it: tracemalloc's `Snapshot`.
 * Take one with `takeSnapshot()`, load one with `Snapshot.load()`, or build one from plain traces
 * (tests, other tools).
 *
 * @example
 * ```ts
 * const s = new Snapshot([{ frames: [{ file: 'a.js', line: 3, column: 1, functionName: 'f', functionLine: 1 }], size: 48, count: 2 }]);
 * String(s.statistics('lineno')[0]) // 'a.js:3: size=48 B, count=2, average=24 B'
 * ```
 */
export class Snapshot {
  /** Every trace: one per distinct stack, most recent frame first. */
  readonly traces: readonly Trace[];
  /** How and when the snapshot was taken. */
  readonly meta: SnapshotMeta;

  /**
   * @param traces - Plain trace data; sizes and counts are rounded to integers and a trace without
   *   frames gets one `<unknown>:0` frame.
   * @param meta - What is known about how it was taken; missing fields default to zero / undefined.
   */
  constructor(traces: readonly Trace[], meta: Partial<SnapshotMeta> = {}) {
    if (!Array.isArray(traces)) {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_ARGUMENT',
        `Expected traces to be an array, got \`${describeValue(traces)}\``,
      );
    }
    this.traces = traces.map((t) => ({
      frames: t.frames.length > 0 ? t.frames : [UNKNOWN_FRAME],
      size: Math.round(t.size),
      count: Math.round(t.count),
    }));
    this.meta = {
      mode: meta.mode,
      samplingInterval: meta.samplingInterval ?? 0,
      tracebackLimit: meta.tracebackLimit ?? this.traces.reduce((m, t) => Math.max(m, t.frames.length), 1),
      timestamp: meta.timestamp ?? Date.now(),
      epoch: meta.epoch ?? 0,
      maxOrdinal: meta.maxOrdinal ?? 0,
    };
  }

  /** Total bytes of all traces. */
  get size(): number {
    let n = 0;
    for (const t of this.traces) n += t.size;
    return n;
  }

  /** Total objects of all traces. */
  get count(): number {
    let n = 0;
    for (const t of this.traces) n += t.count;
    return n;
  }

  /**
   * Groups memory by `key`, largest first (size, then count).
   *
   * @param key - `'lineno'` (file and line), `'filename'`, `'function'` or `'traceback'` (whole stack).
   * @param options - `{ cumulative }`: count a trace under every frame of its stack.
   * @returns Statistics sorted by size, descending.
   */
  statistics(key: StatisticKey, options: StatisticsOptions = {}): Statistic[] {
    const cumulative = checkKey(key, options);
    return toStatistics(groupBy(this.traces, key, cumulative), key);
  }

  /**
   * What changed since `old`, grouped by `key`: tracemalloc's `compare_to`.
   *
   * @param old - The earlier snapshot.
   * @param key - As in {@link Snapshot.statistics}.
   * @param options - `{ cumulative }`, as in {@link Snapshot.statistics}.
   * @returns Differences sorted by absolute size change, then size, descending.
   */
  compareTo(old: Snapshot, key: StatisticKey, options: StatisticsOptions = {}): StatisticDiff[] {
    if (!(old instanceof Snapshot)) {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_ARGUMENT',
        `Expected old to be a Snapshot, got \`${describeValue(old)}\``,
      );
    }
    const cumulative = checkKey(key, options);
    return compareGroups(groupBy(this.traces, key, cumulative), groupBy(old.traces, key, cumulative), key);
  }

  /**
   * A new snapshot with only the traces that pass `filters`, with tracemalloc's `filter_traces` rules:
   * a trace must match one inclusive filter (if any) and no exclusive filter.
   *
   * @param filters - File globs with optional line and all-frames matching.
   * @returns A filtered copy; an empty list copies everything.
   */
  filter(filters: readonly Filter[]): Snapshot {
    return new Snapshot(applyFilters(this.traces, compileFilters(filters)), this.meta);
  }

  /**
   * Writes the snapshot as versioned JSON (see docs/tracing.md, "Dump format").
   *
   * @param path - Destination file; overwritten.
   * @throws LeakkitError `ERR_LEAKKIT_FILE` when the file cannot be written.
   */
  dump(path: string): void {
    try {
      writeFileSync(path, encodeDump(this.meta, this.traces));
    } catch (cause) {
      throw fileError(path, 'write', cause);
    }
  }

  /**
   * Reads a snapshot written by {@link Snapshot.dump}.
   *
   * @param path - The dump file.
   * @throws LeakkitError `ERR_LEAKKIT_BAD_DUMP` (with `file`, and `offset` for broken JSON) for a
   *   corrupt, foreign or other-version file; `ERR_LEAKKIT_FILE` when it cannot be read.
   */
  static load(path: string): Snapshot {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw fileError(path, 'read', cause);
    }
    const { meta, traces } = decodeDump(text, path);
    return new Snapshot(traces, meta);
  }

  /**
   * The snapshot as a Chrome DevTools `.heapprofile` object: `writeFileSync('x.heapprofile',
   * JSON.stringify(s.toHeapProfile()))`, then load it in DevTools' Memory panel.
   */
  toHeapProfile(): HeapProfile {
    return toHeapProfile(this.traces);
  }
}
