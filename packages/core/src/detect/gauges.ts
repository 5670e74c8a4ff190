import { describeValue, invalidOption, LeakkitError } from '../errors.js';
import type { Disposer, GaugeReader, Gauges } from './types.js';

/** Options of {@link GaugeHistory}. */
export interface GaugeHistoryOptions {
  /**
   * Most samples kept; the oldest are overwritten. Memory is `capacity × (gauges + 1) × 8` bytes.
   * @defaultValue 512
   */
  capacity?: number;
  /**
   * Most distinct gauges. Names beyond it are dropped (and counted in `dropped`): gauge names can
   * come from the program (routes), and the history must stay bounded whatever it does.
   * @defaultValue 256
   */
  maxGauges?: number;
  /**
   * Called when a watched gauge's reader throws or returns a non-number; the sample records `NaN`.
   * @defaultValue undefined (ignored)
   */
  onError?: (error: LeakkitError) => void;
}

interface ResolvedGaugeHistoryOptions {
  capacity: number;
  maxGauges: number;
  onError: ((error: LeakkitError) => void) | undefined;
}

function positiveInteger(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidOption(option, 'an integer ≥ 1', value);
  }
  return value;
}

function resolveOptions(options: GaugeHistoryOptions): ResolvedGaugeHistoryOptions {
  if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw invalidOption('onError', 'a function', options.onError);
  }
  return {
    capacity: positiveInteger('capacity', options.capacity, 512),
    maxGauges: positiveInteger('maxGauges', options.maxGauges, 256),
    onError: options.onError,
  };
}

/**
 * A bounded, columnar history of gauge samples: a ring buffer of timestamps and one `Float64Array`
 * ring per gauge. Recording a sample allocates nothing once every gauge has its column, so it can
 * run on every tick; reading a series copies it out oldest first (into your buffer if you pass one).
 * The session owns it and records samples; detectors see it as {@link Gauges} and may `watch`
 * gauges of their own.
 *
 * @example
 * ```ts
 * import { GaugeHistory } from '@leakkit/core';
 * const history = new GaugeHistory({ capacity: 3 });
 * const cache = new Map();
 * history.watch('cache', () => cache.size);
 * for (let t = 0; t < 4; t++) {
 *   cache.set(t, t);
 *   history.record(t * 1000, { heapUsed: 1e6 + t });
 * }
 * history.series('cache');   // Float64Array [2, 3, 4]: the oldest sample was overwritten
 * history.times();           // Float64Array [1000, 2000, 3000]
 * ```
 */
export class GaugeHistory implements Gauges {
  /** Most samples kept. */
  readonly capacity: number;
  /** Most distinct gauges. */
  readonly maxGauges: number;
  readonly #onError: ((error: LeakkitError) => void) | undefined;
  readonly #times: Float64Array;
  readonly #columns = new Map<string, Float64Array>();
  readonly #readers = new Map<string, GaugeReader>();
  // Index the next sample is written at, and samples held.
  #head = 0;
  #length = 0;
  #dropped = 0;

  /**
   * @param options - see {@link GaugeHistoryOptions}.
   * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option.
   */
  constructor(options: GaugeHistoryOptions = {}) {
    const o = resolveOptions(options);
    this.capacity = o.capacity;
    this.maxGauges = o.maxGauges;
    this.#onError = o.onError;
    this.#times = new Float64Array(o.capacity);
  }

  /** Samples held. */
  get length(): number {
    return this.#length;
  }

  /** Gauge names refused because `maxGauges` was reached. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Names of the gauges with a column or a reader. */
  names(): string[] {
    const names = new Set(this.#columns.keys());
    for (const name of this.#readers.keys()) names.add(name);
    return [...names];
  }

  /**
   * Reads `read()` into gauge `name` at every {@link GaugeHistory.record} from now on, replacing an
   * earlier reader of that name.
   *
   * @param name - the gauge.
   * @param read - returns its current value.
   * @returns a disposer that stops reading it; idempotent.
   * @throws LeakkitError `ERR_LEAKKIT_INVALID_ARGUMENT` for an empty name or a non-function.
   */
  watch(name: string, read: GaugeReader): Disposer {
    if (typeof name !== 'string' || name === '') {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_ARGUMENT',
        `Expected a gauge name (a non-empty string), got \`${describeValue(name)}\``,
      );
    }
    if (typeof read !== 'function') {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_ARGUMENT',
        `Expected the reader of gauge \`${name}\` to be a function, got \`${describeValue(read)}\``,
      );
    }
    this.#readers.set(name, read);
    return () => {
      // Only this registration: a later watch() of the same name stays.
      if (this.#readers.get(name) === read) this.#readers.delete(name);
    };
  }

  /**
   * Records one sample: `values` plus every watched gauge, at `time`. Gauges without a value in this
   * sample hold `NaN` for it.
   *
   * @param time - the sample's time in ms (a clock of the caller's choice, ascending).
   * @param values - gauge values measured by the caller, by name.
   */
  record(time: number, values?: Readonly<Record<string, number>>): void {
    const at = this.#head;
    this.#times[at] = time;
    for (const column of this.#columns.values()) column[at] = Number.NaN;
    if (values !== undefined) {
      for (const name in values) this.#set(name, at, values[name]!);
    }
    for (const [name, read] of this.#readers) {
      let value: unknown;
      try {
        value = read();
      } catch (cause) {
        this.#report(`Gauge \`${name}\` threw when read`, cause);
        continue;
      }
      if (typeof value !== 'number') {
        this.#report(`Expected gauge \`${name}\` to read a number, got \`${describeValue(value)}\``);
        continue;
      }
      this.#set(name, at, value);
    }
    this.#head = (at + 1) % this.capacity;
    if (this.#length < this.capacity) this.#length++;
  }

  /** Sample times, oldest first. */
  times(out?: Float64Array): Float64Array {
    return this.#copy(this.#times, out);
  }

  /** One gauge's values, oldest first, or undefined for a gauge never recorded. */
  series(name: string, out?: Float64Array): Float64Array | undefined {
    const column = this.#columns.get(name);
    return column === undefined ? undefined : this.#copy(column, out);
  }

  /** The newest value of a gauge, or `NaN`. */
  latest(name: string): number {
    const column = this.#columns.get(name);
    if (column === undefined || this.#length === 0) return Number.NaN;
    return column[(this.#head - 1 + this.capacity) % this.capacity]!;
  }

  /** Forgets every sample (readers stay). */
  clear(): void {
    this.#head = 0;
    this.#length = 0;
    this.#columns.clear();
  }

  #set(name: string, at: number, value: number): void {
    let column = this.#columns.get(name);
    if (column === undefined) {
      if (this.#columns.size >= this.maxGauges) {
        this.#dropped++;
        return;
      }
      column = new Float64Array(this.capacity).fill(Number.NaN);
      this.#columns.set(name, column);
    }
    column[at] = value;
  }

  #copy(ring: Float64Array, out: Float64Array | undefined): Float64Array {
    const n = this.#length;
    const target = out !== undefined && out.length >= n ? out.subarray(0, n) : new Float64Array(n);
    // Oldest sample: at head once the ring is full, at 0 before.
    const start = n < this.capacity ? 0 : this.#head;
    const firstPart = Math.min(n, this.capacity - start);
    target.set(ring.subarray(start, start + firstPart), 0);
    if (firstPart < n) target.set(ring.subarray(0, n - firstPart), firstPart);
    return target;
  }

  #report(message: string, cause?: unknown): void {
    const onError = this.#onError;
    if (onError === undefined) return;
    try {
      onError(new LeakkitError('ERR_LEAKKIT_DETECTOR_FAILED', message, cause === undefined ? {} : { cause }));
    } catch {
      // A failing error handler must not break sampling: there is nowhere left to report it.
    }
  }
}
