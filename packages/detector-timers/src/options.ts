import { invalidOption, parseDuration } from '@leakkit/core';

/** Options of {@link timers}. Every field is optional. */
export interface TimersOptions {
  /**
   * Look for timing registries that grow with the work (`TimerMetrics.timers`, per-key lists of
   * durations) in the heap graphs. Needs heap graphs (`needs.heapGraphs`), which cost a pause per
   * capture: turn it off where only the cheap gauges are wanted.
   * @defaultValue true
   */
  registries?: boolean;
  /**
   * Wrap `setTimeout` and `setInterval` (global and `node:timers`) during `setup` to count live
   * intervals and long timeouts per creation site, `unref`'d ones included.
   * @defaultValue true
   */
  timeouts?: boolean;
  /**
   * Watch the perf_hooks timeline: `performance.mark` / `performance.measure` entries that are never
   * cleared.
   * @defaultValue true
   */
  performance?: boolean;
  /**
   * Watch `console.time` labels that are never ended (`console._times`).
   * @defaultValue true
   */
  consoleTime?: boolean;
  /**
   * A one-shot timeout due within this delay is expected to fire: it is not recorded and cannot
   * count as piling up (the most such timeouts alive is their rate times this delay). Intervals and
   * longer timeouts are recorded with their creation site. Milliseconds or a string (`'30s'`).
   * @defaultValue '1m'
   */
  timeoutGrace?: number | string;
  /**
   * Stack frames captured per recorded timer to find its creation site (the first frame of your
   * code, past Node's internals, leakkit's wrappers and libraries). Each frame costs about 0.3–0.5 µs
   * per recorded timer.
   * @defaultValue 4
   */
  frames?: number;
  /**
   * Most creation sites followed with a gauge of their own (`timers:timeout:<file:line>`). A site
   * gets its gauge once two of its timers are alive at once; sites beyond the cap are counted in the
   * total only.
   * @defaultValue 32
   */
  maxSites?: number;
  /**
   * Entries of one type (`mark` or `measure`) at which the timeline is reported whatever its trend.
   * Node warns once at 1,000,001; leakkit speaks well before.
   * @defaultValue 100_000
   */
  perfEntriesWarnAt?: number;
  /**
   * More names (besides timers, timings, durations, latencies, metrics, histograms, …) that mark a
   * growing collection as a timing registry when its entries are numbers or lists of numbers. A
   * string matches a whole word of the path (`'samples'` matches `stats.samples`), a RegExp is tested
   * against the path text.
   * @defaultValue []
   */
  names?: readonly (string | RegExp)[];
}

/** {@link TimersOptions} with every default filled in. */
export interface ResolvedTimersOptions {
  registries: boolean;
  timeouts: boolean;
  performance: boolean;
  consoleTime: boolean;
  timeoutGrace: number;
  frames: number;
  maxSites: number;
  perfEntriesWarnAt: number;
  names: readonly (string | RegExp)[];
}

function flag(option: string, value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') throw invalidOption(option, 'a boolean', value);
  return value;
}

function integer(option: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(option, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/**
 * Validates {@link TimersOptions} and fills in the defaults, once, in the factory.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` naming the option.
 */
export function resolveOptions(options: TimersOptions): ResolvedTimersOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidOption('options', 'an object', options);
  }
  const grace = options.timeoutGrace;
  if (grace !== undefined && typeof grace !== 'number' && typeof grace !== 'string') {
    throw invalidOption('timeoutGrace', 'a duration in ms or a string like `"30s"`', grace);
  }
  const names = options.names ?? [];
  if (!Array.isArray(names)) throw invalidOption('names', 'an array of strings and RegExps', names);
  names.forEach((n, i) => {
    if (!(n instanceof RegExp) && (typeof n !== 'string' || n.trim() === '')) {
      throw invalidOption(`names[${i}]`, 'a non-empty string or a RegExp', n);
    }
  });
  return {
    registries: flag('registries', options.registries),
    timeouts: flag('timeouts', options.timeouts),
    performance: flag('performance', options.performance),
    consoleTime: flag('consoleTime', options.consoleTime),
    timeoutGrace: parseDuration('timeoutGrace', grace ?? '1m', true),
    frames: integer('frames', options.frames, 4, 1, 32),
    maxSites: integer('maxSites', options.maxSites, 32, 0, 200),
    perfEntriesWarnAt: integer('perfEntriesWarnAt', options.perfEntriesWarnAt, 100_000, 1, 1_000_000),
    names: [...names],
  };
}
