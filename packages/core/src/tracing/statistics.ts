import { invalidOption } from '../errors.js';
import { badKey } from './filter.js';
import { formatCount, formatSize } from './format.js';
import type { Frame, StatisticKey, StatisticsOptions, Trace } from './types.js';

const KEYS: readonly StatisticKey[] = ['filename', 'lineno', 'function', 'traceback'];

/** Renders the frame that names a statistic: `file:line`, plus the function for the `'function'` key. */
function label(key: StatisticKey, traceback: readonly Frame[]): string {
  const top = traceback[0]!;
  if (key === 'function') return `${top.file}:${top.line} ${top.functionName || '(anonymous)'}`;
  return `${top.file}:${top.line}`;
}

/**
 * Memory grouped under one key: tracemalloc's `Statistic`. `String(statistic)` reads exactly like
 * Python's: `src/log.ts:128: size=7252 KiB, count=309391, average=24 B`.
 */
export class Statistic {
  /**
   * The frames that name this group, most recent first. One frame for `'lineno'` (the line),
   * `'filename'` (line 0) and `'function'` (the function's first line); the whole stack for
   * `'traceback'`.
   */
  readonly traceback: readonly Frame[];
  /** Bytes. */
  readonly size: number;
  /** Objects. */
  readonly count: number;
  /** The key this statistic was grouped by. */
  readonly key: StatisticKey;

  constructor(key: StatisticKey, traceback: readonly Frame[], size: number, count: number) {
    this.key = key;
    this.traceback = traceback;
    this.size = size;
    this.count = count;
  }

  /** `file:line: size=…, count=…, average=…` as tracemalloc prints it. */
  toString(): string {
    let text = `${label(this.key, this.traceback)}: size=${formatSize(this.size)}, count=${formatCount(this.count)}`;
    if (Math.trunc(this.count) !== 0) text += `, average=${formatSize(this.size / this.count)}`;
    return text;
  }
}

/**
 * How one group changed between two snapshots: tracemalloc's `StatisticDiff`.
 * `String(diff)` is `src/log.ts:128: size=7252 KiB (+7251 KiB), count=309391 (+309362), average=24 B`.
 */
export class StatisticDiff {
  /** As in {@link Statistic.traceback}. */
  readonly traceback: readonly Frame[];
  /** Bytes in the new snapshot. */
  readonly size: number;
  /** New minus old bytes. */
  readonly sizeDiff: number;
  /** Objects in the new snapshot. */
  readonly count: number;
  /** New minus old objects. */
  readonly countDiff: number;
  /** The key both snapshots were grouped by. */
  readonly key: StatisticKey;

  constructor(
    key: StatisticKey,
    traceback: readonly Frame[],
    size: number,
    sizeDiff: number,
    count: number,
    countDiff: number,
  ) {
    this.key = key;
    this.traceback = traceback;
    this.size = size;
    this.sizeDiff = sizeDiff;
    this.count = count;
    this.countDiff = countDiff;
  }

  /** `file:line: size=… (+…), count=… (+…), average=…` as tracemalloc prints it. */
  toString(): string {
    let text =
      `${label(this.key, this.traceback)}: size=${formatSize(this.size)} (${formatSize(this.sizeDiff, true)}), ` +
      `count=${formatCount(this.count)} (${formatCount(this.countDiff, true)})`;
    if (Math.trunc(this.count) !== 0) text += `, average=${formatSize(this.size / this.count)}`;
    return text;
  }
}

interface Group {
  traceback: readonly Frame[];
  size: number;
  count: number;
}

function frameId(f: Frame): string {
  return `${f.file}\u0000${f.line}\u0000${f.column}\u0000${f.functionName}\u0000${f.functionLine}`;
}

/** The one frame (and its map key) that represents `frame` under `key`. */
function keyFrame(key: Exclude<StatisticKey, 'traceback'>, f: Frame): [string, Frame] {
  if (key === 'filename')
    return [f.file, { file: f.file, line: 0, column: 0, functionName: '', functionLine: 0 }];
  if (key === 'lineno') {
    return [
      `${f.file}\u0000${f.line}`,
      { file: f.file, line: f.line, column: 0, functionName: '', functionLine: 0 },
    ];
  }
  return [
    `${f.file}\u0000${f.functionLine}\u0000${f.functionName}`,
    {
      file: f.file,
      line: f.functionLine,
      column: 0,
      functionName: f.functionName,
      functionLine: f.functionLine,
    },
  ];
}

/** Checks the key and options of `statistics()`/`compareTo()` synchronously. */
export function checkKey(key: StatisticKey, options: StatisticsOptions): boolean {
  if (!KEYS.includes(key)) throw badKey(key);
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
  const cumulative = options.cumulative ?? false;
  if (typeof cumulative !== 'boolean') throw invalidOption('cumulative', 'a boolean', cumulative);
  if (cumulative && key === 'traceback') {
    throw invalidOption('cumulative', "false with the 'traceback' key", cumulative);
  }
  return cumulative;
}

/** Groups traces by key: tracemalloc's `Snapshot._group_by`. */
export function groupBy(
  traces: readonly Trace[],
  key: StatisticKey,
  cumulative: boolean,
): Map<string, Group> {
  const groups = new Map<string, Group>();
  const add = (id: string, traceback: readonly Frame[], t: Trace) => {
    const g = groups.get(id);
    if (g) {
      g.size += t.size;
      g.count += t.count;
    } else groups.set(id, { traceback, size: t.size, count: t.count });
  };
  for (const t of traces) {
    if (key === 'traceback') add(t.frames.map(frameId).join('\u0001'), t.frames, t);
    else if (!cumulative) {
      const [id, frame] = keyFrame(key, t.frames[0]!);
      add(id, [frame], t);
    } else {
      const seen = new Set<string>();
      for (const f of t.frames) {
        const [id, frame] = keyFrame(key, f);
        if (seen.has(id)) continue;
        seen.add(id);
        add(id, [frame], t);
      }
    }
  }
  return groups;
}

const byLabel = (a: readonly Frame[], b: readonly Frame[]) => {
  const x = a.map(frameId).join('\u0001');
  const y = b.map(frameId).join('\u0001');
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Statistics sorted like tracemalloc: size, then count, descending; then by frames for a stable order. */
export function toStatistics(groups: Map<string, Group>, key: StatisticKey): Statistic[] {
  const out = [...groups.values()].map((g) => new Statistic(key, g.traceback, g.size, g.count));
  return out.sort((a, b) => b.size - a.size || b.count - a.count || byLabel(a.traceback, b.traceback));
}

/** tracemalloc's `_compare_grouped_stats` plus its sort: |sizeDiff|, size, |countDiff|, count. */
export function compareGroups(
  newer: Map<string, Group>,
  older: Map<string, Group>,
  key: StatisticKey,
): StatisticDiff[] {
  const out: StatisticDiff[] = [];
  for (const [id, g] of newer) {
    const old = older.get(id);
    out.push(
      new StatisticDiff(
        key,
        g.traceback,
        g.size,
        g.size - (old?.size ?? 0),
        g.count,
        g.count - (old?.count ?? 0),
      ),
    );
  }
  for (const [id, g] of older) {
    // `0 - x`, not `-x`: a -0 would print as `-0 B` where tracemalloc prints `+0 B`.
    if (!newer.has(id)) out.push(new StatisticDiff(key, g.traceback, 0, 0 - g.size, 0, 0 - g.count));
  }
  return out.sort(
    (a, b) =>
      Math.abs(b.sizeDiff) - Math.abs(a.sizeDiff) ||
      b.size - a.size ||
      Math.abs(b.countDiff) - Math.abs(a.countDiff) ||
      b.count - a.count ||
      byLabel(a.traceback, b.traceback),
  );
}
