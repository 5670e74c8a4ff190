import { describeValue, invalidOption, LeakkitError } from '../errors.js';
import type { Filter, Frame, Trace } from './types.js';

/** A filter checked once and compiled to a regular expression. */
export interface CompiledFilter {
  readonly inclusive: boolean;
  readonly regex: RegExp;
  readonly lineno: number | undefined;
  readonly allFrames: boolean;
}

/**
 * Translates an fnmatch-style glob to a regular expression anchored at both ends. Unlike a shell,
 * `*` crosses `/` (as in Python's `fnmatch`), so `src/*` matches `src/a/b.ts`.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      out += '.*';
      while (pattern[i + 1] === '*') i++;
    } else if (c === '?') out += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) out += '\\[';
      else {
        let set = pattern.slice(i + 1, close);
        const negate = set.startsWith('!');
        if (negate) set = set.slice(1);
        out += `[${negate ? '^' : ''}${set.replace(/[\\\]^]/g, '\\$&')}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

/** Validates user filters synchronously; errors name `filters[i].field`. */
export function compileFilters(filters: readonly Filter[]): CompiledFilter[] {
  if (!Array.isArray(filters)) throw invalidOption('filters', 'an array of filters', filters);
  return filters.map((f, i) => {
    const at = `filters[${i}]`;
    if (f === null || typeof f !== 'object') throw invalidOption(at, 'a filter object', f);
    if (typeof f.inclusive !== 'boolean') throw invalidOption(`${at}.inclusive`, 'a boolean', f.inclusive);
    if (typeof f.filenamePattern !== 'string' || f.filenamePattern === '') {
      throw invalidOption(`${at}.filenamePattern`, 'a non-empty glob string', f.filenamePattern);
    }
    if (f.lineno !== undefined && !(Number.isInteger(f.lineno) && f.lineno >= 0)) {
      throw invalidOption(`${at}.lineno`, 'a line number (integer >= 0)', f.lineno);
    }
    if (f.allFrames !== undefined && typeof f.allFrames !== 'boolean') {
      throw invalidOption(`${at}.allFrames`, 'a boolean', f.allFrames);
    }
    return {
      inclusive: f.inclusive,
      regex: globToRegExp(f.filenamePattern),
      lineno: f.lineno,
      allFrames: f.allFrames ?? false,
    };
  });
}

function frameMatches(f: CompiledFilter, frame: Frame): boolean {
  return f.regex.test(frame.file) && (f.lineno === undefined || frame.line === f.lineno);
}

/** Whether `trace` passes one filter: tracemalloc's `Filter._match` semantics. */
function passes(f: CompiledFilter, trace: Trace): boolean {
  const hit = f.allFrames
    ? trace.frames.some((fr) => frameMatches(f, fr))
    : frameMatches(f, trace.frames[0]!);
  return f.inclusive ? hit : !hit;
}

/**
 * Keeps the traces that match at least one inclusive filter (when there are any) and every exclusive
 * filter, like `Snapshot.filter_traces`. The same pattern as an inclusive and as an exclusive filter
 * therefore partitions a snapshot.
 */
export function applyFilters(traces: readonly Trace[], filters: readonly CompiledFilter[]): Trace[] {
  const include = filters.filter((f) => f.inclusive);
  const exclude = filters.filter((f) => !f.inclusive);
  return traces.filter(
    (t) => (include.length === 0 || include.some((f) => passes(f, t))) && exclude.every((f) => passes(f, t)),
  );
}

/** Thrown for a statistics key that does not exist; kept here so every caller words it the same. */
export function badKey(key: unknown): LeakkitError {
  return new LeakkitError(
    'ERR_LEAKKIT_INVALID_ARGUMENT',
    `Expected key to be one of 'filename', 'lineno', 'function', 'traceback', got \`${describeValue(key)}\``,
  );
}
