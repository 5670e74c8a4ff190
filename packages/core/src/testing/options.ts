import { checkDetectors } from '../detect/run.js';
import type { Detector } from '../detect/types.js';
import { describeValue, invalidOption, LeakkitError } from '../errors.js';
import { parseDuration, parseSize } from '../options.js';
import type { BoundedFunction, CheckBoundedOptions, IgnorePattern } from './types.js';

/** {@link CheckBoundedOptions} with every default applied. */
export interface ResolvedCheckOptions {
  /** Calls per round, or undefined for 'auto' (decided after timing the warm-up). */
  iterations: number | undefined;
  /** Calls before measuring, or undefined for the default (3 rounds). */
  warmup: number | undefined;
  rounds: number;
  detectors: readonly Detector[];
  timeout: number;
  maxBytesPerIteration: number;
  ignore: readonly IgnorePattern[];
  handles: boolean;
  heapGraphs: 'auto' | 'always';
  strings: boolean;
}

const KNOWN = new Set([
  'iterations',
  'warmup',
  'rounds',
  'detectors',
  'timeout',
  'maxBytesPerIteration',
  'ignore',
  'handles',
  'heapGraphs',
  'strings',
]);

function integer(option: string, value: unknown, min: number, expected = `an integer ≥ ${min}`): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidOption(option, expected, value);
  }
  return value;
}

function boolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption(option, 'a boolean', value);
  return value;
}

/** Checks the function under test: it must be callable. */
export function checkFunction(fn: unknown): asserts fn is BoundedFunction {
  if (typeof fn !== 'function') {
    throw new LeakkitError(
      'ERR_LEAKKIT_INVALID_ARGUMENT',
      `Expected the function under test to be a function (called once per iteration with its index), got \`${describeValue(fn)}\``,
    );
  }
}

/**
 * Validates and defaults the options, synchronously, so misuse fails where the check is called.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` naming the option ("Expected `iterations` to be …").
 */
export function resolveCheckOptions(options: unknown): ResolvedCheckOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidOption('options', 'an object', options);
  }
  const o = options as CheckBoundedOptions;
  for (const key of Object.keys(o)) {
    // A misspelt option (`iteration`, `ignores`) would otherwise be silently ignored.
    if (!KNOWN.has(key)) {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_OPTION',
        `Expected one of the options ${[...KNOWN].map((k) => `\`${k}\``).join(', ')}, got \`${key}\``,
        { option: key },
      );
    }
  }
  const iterations =
    o.iterations === undefined || o.iterations === 'auto'
      ? undefined
      : integer('iterations', o.iterations, 1, "an integer ≥ 1 or 'auto'");
  const warmup = o.warmup === undefined ? undefined : integer('warmup', o.warmup, 0);
  const rounds = o.rounds === undefined ? 6 : integer('rounds', o.rounds, 3);
  const detectors = o.detectors === undefined ? [] : checkDetectors(o.detectors);
  const names = new Set<string>();
  for (const d of detectors) {
    if (names.has(d.name) || RESERVED.has(d.name)) {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_OPTION',
        `Expected detector names to be unique and not ${[...RESERVED].map((n) => `\`${n}\``).join(' or ')} (leakkit's own), got \`${d.name}\`${names.has(d.name) ? ' twice' : ''}`,
        { option: 'detectors' },
      );
    }
    names.add(d.name);
  }
  if (o.timeout !== undefined && typeof o.timeout !== 'number' && typeof o.timeout !== 'string') {
    throw invalidOption('timeout', 'a positive duration in ms or a string like `"30s"`', o.timeout);
  }
  const timeout = o.timeout === undefined ? 60_000 : parseDuration('timeout', o.timeout);
  let maxBytesPerIteration = 0;
  if (o.maxBytesPerIteration !== undefined && o.maxBytesPerIteration !== 0) {
    if (typeof o.maxBytesPerIteration !== 'number' && typeof o.maxBytesPerIteration !== 'string') {
      throw invalidOption(
        'maxBytesPerIteration',
        'a size in bytes or a string like `"1 KiB"`',
        o.maxBytesPerIteration,
      );
    }
    maxBytesPerIteration = parseSize('maxBytesPerIteration', o.maxBytesPerIteration);
  }
  let ignore: IgnorePattern[] = [];
  if (o.ignore !== undefined) {
    if (!Array.isArray(o.ignore)) throw invalidOption('ignore', 'an array of strings or RegExps', o.ignore);
    o.ignore.forEach((p, i) => {
      if (!(typeof p === 'string' && p !== '') && !(p instanceof RegExp)) {
        throw invalidOption(`ignore[${i}]`, 'a non-empty string or a RegExp', p);
      }
    });
    ignore = [...o.ignore];
  }
  const heapGraphs = o.heapGraphs ?? 'auto';
  if (heapGraphs !== 'auto' && heapGraphs !== 'always') {
    throw invalidOption('heapGraphs', "'auto' or 'always'", heapGraphs);
  }
  return {
    iterations,
    warmup,
    rounds,
    detectors,
    timeout,
    maxBytesPerIteration,
    ignore,
    handles: boolean('handles', o.handles, true),
    heapGraphs,
    strings: boolean('strings', o.strings, false),
  };
}

/** Names of leakkit's own checks, which report findings like detectors do. */
export const RESERVED: ReadonlySet<string> = new Set(['growth', 'handles']);
