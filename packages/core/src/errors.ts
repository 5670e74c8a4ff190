/**
 * Every failure leakkit reports on purpose carries one of these codes. They are stable: match on
 * `error.code`, never on the message.
 */
export type LeakkitErrorCode =
  /** An option had the wrong type, range or unit. `option` names it. */
  | 'ERR_LEAKKIT_INVALID_OPTION'
  /** `takeSnapshot()` or `getTracedMemory()` before `start()`. */
  | 'ERR_LEAKKIT_NOT_TRACING'
  /** `node:inspector` cannot be used here (permission model, a conflicting session). */
  | 'ERR_LEAKKIT_INSPECTOR_UNAVAILABLE'
  /** Something else stopped the process-wide sampling heap profiler under us. */
  | 'ERR_LEAKKIT_PROFILER_STOPPED'
  /** A dump file that is not a leakkit dump, has another version, or is corrupt. */
  | 'ERR_LEAKKIT_BAD_DUMP'
  /** A `.heapsnapshot` that cannot be parsed: `file` and `offset` say where. */
  | 'ERR_LEAKKIT_BAD_SNAPSHOT'
  /** A file could not be read or written (missing, a directory, no permission). */
  | 'ERR_LEAKKIT_FILE'
  /** A node id that the graph does not hold. */
  | 'ERR_LEAKKIT_UNKNOWN_NODE'
  /** An argument to a function (not an option) was unusable. */
  | 'ERR_LEAKKIT_INVALID_ARGUMENT'
  /** A detector's `setup`, `check` or disposer threw or rejected; `cause` is what it threw. */
  | 'ERR_LEAKKIT_DETECTOR_FAILED'
  /** A detector's `setup` or `check` did not settle within the time box. */
  | 'ERR_LEAKKIT_DETECTOR_TIMEOUT'
  /** A detector returned something that is not a valid `Finding` (or not an array of them). */
  | 'ERR_LEAKKIT_INVALID_FINDING'
  /** `assertBounded`: the function under test is not bounded (a `LeakError`; its message is the report). */
  | 'ERR_LEAKKIT_NOT_BOUNDED'
  /** The function under test threw or rejected during a check; `cause` is what it threw. */
  | 'ERR_LEAKKIT_FUNCTION_FAILED'
  /** A check did not finish within its `timeout`. */
  | 'ERR_LEAKKIT_TIMEOUT'
  /** A reporter's hook threw, rejected or did not settle in time; the monitor carries on without waiting for it. */
  | 'ERR_LEAKKIT_REPORTER_FAILED'
  /** The monitor skipped a heap capture as unsafe (memory headroom, pause budget) or a capture failed. */
  | 'ERR_LEAKKIT_CAPTURE_SKIPPED'
  /** Some other part of the monitor failed (a gauge, the trend analysis); it carries on without it. */
  | 'ERR_LEAKKIT_MONITOR';

/** Where an error happened, when it is known. */
export interface LeakkitErrorDetails {
  /** The option at fault, as a dotted path: `samplingInterval`, `filters[2].pattern`. */
  option?: string;
  /** The file at fault. */
  file?: string;
  /** The byte offset in `file` where the problem was seen. */
  offset?: number;
  /** The underlying error, kept for debugging; its stack is not part of the message. */
  cause?: unknown;
}

/**
 * The one error class leakkit throws. `code` is stable; the message says what was expected and what
 * was found ("Expected …, got `…`") and names the option, file or byte offset.
 *
 * @example
 * ```ts
 * try { start({ samplingInterval: -1 }) } catch (e) {
 *   if (e instanceof LeakkitError && e.code === 'ERR_LEAKKIT_INVALID_OPTION') console.log(e.option)
 * }
 * ```
 */
export class LeakkitError extends Error {
  // `string`, not the literal: subclasses (LeakError) name themselves.
  override readonly name: string = 'LeakkitError';
  readonly code: LeakkitErrorCode;
  readonly option: string | undefined;
  readonly file: string | undefined;
  readonly offset: number | undefined;

  constructor(code: LeakkitErrorCode, message: string, details: LeakkitErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.option = details.option;
    this.file = details.file;
    this.offset = details.offset;
  }
}

/** Renders a value for an "Expected …, got `…`" message without dumping large objects. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return `array(${value.length})`;
  return Object.prototype.toString.call(value).slice(8, -1).toLowerCase();
}

/**
 * Builds the standard invalid-option error: "Expected `option` to be …, got `…`", with the option
 * named in `error.option`. Detectors and reporters validate their options with it, so every leakkit
 * package words a bad option alike.
 *
 * @example
 * ```ts
 * import { invalidOption } from '@leakkit/core';
 * const limit: unknown = 10;
 * if (typeof limit !== 'number' || limit < 1) throw invalidOption('limit', 'an integer ≥ 1', limit);
 * ```
 */
export function invalidOption(option: string, expected: string, got: unknown): LeakkitError {
  return new LeakkitError(
    'ERR_LEAKKIT_INVALID_OPTION',
    `Expected \`${option}\` to be ${expected}, got \`${describeValue(got)}\``,
    { option },
  );
}
