import { invalidOption } from '../errors.js';
import { parseSize } from '../options.js';
import type { TracingMode } from './types.js';

/** Options of `start()`. Every field is optional. */
export interface TracingOptions {
  /**
   * `'sampling'`: V8's sampling heap profiler, cheap enough for production; sizes and counts are
   * unbiased estimates. `'exact'`: allocation tracking, every live object attributed exactly, 7–16×
   * slower on allocation-heavy code and a heap snapshot per `takeSnapshot()`: for tests and staging.
   * @default 'sampling'
   */
  mode?: TracingMode;
  /**
   * Sampling mode: the mean number of bytes between two samples, in bytes or as a size string
   * (`'64 KiB'`). Smaller is more precise and slower. Ignored in exact mode.
   * @default '512 KiB'
   */
  samplingInterval?: number | string;
  /**
   * The most frames kept per stack, most recent first (tracemalloc's `nframe`). V8 records whole
   * stacks either way; this bounds the snapshot's size. An integer from 1 to 1024.
   * @default 16
   */
  frames?: number;
  /**
   * Turn off function inlining (`--no-turbo-inlining`, and `--no-maglev-inlining` where V8 has
   * Maglev) so an inlined callee keeps its own frame instead of showing under its caller. Affects
   * code optimised after `start()`; costs up to ~2.6× on call-heavy code. Restored by `stop()`.
   * @default false in sampling mode, true in exact mode
   */
  precise?: boolean;
  /**
   * Report the line of the allocating statement inside a function (read from the function's source
   * on disk) instead of the function's first line, which is all V8 records.
   * @default true
   */
  statementLines?: boolean;
  /**
   * Keep Node's internal frames (`node:…`), leakkit's own allocations and stacks without any
   * JavaScript frame. By default node-internal frames on top of a stack are folded into the frame
   * that called them; traces with no other frame, and traces whose nearest caller is leakkit itself,
   * are dropped.
   * @default false
   */
  keepInternals?: boolean;
}

/** {@link TracingOptions} with every default applied. */
export interface ResolvedTracingOptions {
  mode: TracingMode;
  samplingInterval: number;
  frames: number;
  precise: boolean;
  statementLines: boolean;
  keepInternals: boolean;
}

/**
 * 512 KiB: what V8's own SamplingHeapProfiler and pprof-style production profilers default to. On an
 * HTTP server under load (CPU per request, medians of interleaved runs on a shared 2-core machine)
 * 512 KiB cost nothing measurable, while 128 KiB and 32 KiB cost ~4%: above the 2% budget. A leak of
 * 50 MB still gets ~100 samples (about ±10%); pass a smaller interval while hunting a small leak.
 */
export const DEFAULT_SAMPLING_INTERVAL = 512 * 1024;
/** Deep enough for `'traceback'` and cumulative statistics; cheap because V8 keeps whole stacks anyway. */
export const DEFAULT_FRAMES = 16;

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption(name, 'a boolean', value);
  return value;
}

/**
 * Validates and defaults `start()`'s options, once, synchronously. Throws `ERR_LEAKKIT_INVALID_OPTION`
 * naming the option.
 */
export function resolveTracingOptions(options: TracingOptions = {}): ResolvedTracingOptions {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
  const mode = options.mode ?? 'sampling';
  if (mode !== 'sampling' && mode !== 'exact') throw invalidOption('mode', "'sampling' or 'exact'", mode);
  const samplingInterval =
    options.samplingInterval === undefined
      ? DEFAULT_SAMPLING_INTERVAL
      : parseSize('samplingInterval', options.samplingInterval);
  if (samplingInterval > 2 ** 31 - 1) {
    throw invalidOption(
      'samplingInterval',
      'at most 2 GiB - 1 (V8 takes an int32)',
      options.samplingInterval,
    );
  }
  const frames = options.frames ?? DEFAULT_FRAMES;
  if (!Number.isInteger(frames) || frames < 1 || frames > 1024) {
    throw invalidOption('frames', 'an integer from 1 to 1024', frames);
  }
  return {
    mode,
    samplingInterval,
    frames,
    precise: bool('precise', options.precise, mode === 'exact'),
    statementLines: bool('statementLines', options.statementLines, true),
    keepInternals: bool('keepInternals', options.keepInternals, false),
  };
}
