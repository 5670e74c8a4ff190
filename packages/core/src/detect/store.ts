import { EventEmitter } from 'eventemitter3';
import { invalidOption, LeakkitError } from '../errors.js';
import type { Finding, Severity } from './types.js';
import { severityOf, severityRank } from './validate.js';

/** Options of {@link FindingStore}. */
export interface FindingStoreOptions {
  /**
   * Most findings remembered; beyond it the least recently seen is evicted (an `evict` event).
   * Keeps memory bounded however many distinct ids detectors produce.
   * @defaultValue 1000
   */
  capacity?: number;
  /**
   * Consecutive checks a finding must be seen in to rise one severity level above what its detector
   * reported (info → warning → leak): seen in 3 checks in a row it rises once, in 6 twice. `0`
   * turns escalation off.
   * @defaultValue 3
   */
  escalateAfter?: number;
}

/** What the store knows about one finding id. */
export interface FindingRecord {
  /** The finding as last seen, with the store's severity and combined confidence. */
  readonly finding: Finding;
  /** The severity its detector reported last time. */
  readonly reported: Severity;
  /** Consecutive checks it was seen in, up to the latest (0 once a check of its detector missed it). */
  readonly streak: number;
  /** Checks it was seen in, in all. */
  readonly sightings: number;
  /** Number of the check it was first seen in (checks count from 1). */
  readonly firstCheck: number;
  /** Number of the check it was last seen in. */
  readonly lastCheck: number;
}

/** Events of a {@link FindingStore}. */
export interface FindingStoreEvents {
  /** A finding seen for the first time, or again after it was resolved. */
  finding: (finding: Finding) => void;
  /** A finding's severity rose (its detector said more, or it was seen in enough checks in a row). */
  escalate: (finding: Finding, from: Severity) => void;
  /** A check of its detector no longer found it. */
  resolve: (finding: Finding) => void;
  /** Forgotten to stay within `capacity`. */
  evict: (finding: Finding) => void;
}

/** Options of {@link FindingStore.record}. */
export interface RecordFindingsOptions {
  /**
   * Names of the detectors that completed this check. A remembered finding of one of them that is
   * not in `findings` is resolved; findings of detectors that failed or were not run keep their
   * streak.
   * @defaultValue the detectors of `findings`
   */
  ran?: Iterable<string>;
  /**
   * Called with an error when an event listener throws (the error is not rethrown).
   * @defaultValue undefined (ignored)
   */
  onListenerError?: (error: LeakkitError) => void;
}

interface MutableRecord {
  finding: Finding;
  reported: Severity;
  streak: number;
  sightings: number;
  firstCheck: number;
  lastCheck: number;
}

/**
 * Remembers findings across checks, by `id`: the same growing thing found again is one finding
 * whose evidence accumulates, not a new one. Severity rises when a finding is seen in
 * `escalateAfter` consecutive checks (a leak that persists is surer than one seen once), and the
 * confidences of consecutive sightings combine (each sighting counted at half weight, because
 * checks over overlapping windows are not independent: `1 − (1 − c)(1 − c′/2)`). Memory is bounded:
 * at most `capacity` records, least recently seen evicted first.
 *
 * Typed events (eventemitter3): `finding`, `escalate`, `resolve`, `evict`. A throwing listener is
 * reported through `onListenerError`, never thrown into the check.
 *
 * @example
 * ```ts
 * import { FindingStore } from '@leakkit/core';
 * const store = new FindingStore({ escalateAfter: 2 });
 * store.on('escalate', (f, from) => console.log(`${f.id}: ${from} → ${f.severity}`));
 * const f = { id: 'x:a', detector: 'x', severity: 'info', title: 'a grows', path: 'a',
 *   growth: { count: 1 }, confidence: 0.5, advice: 'bound it' } as const;
 * store.record([f]);
 * store.record([f]);  // logs "x:a: info → warning"
 * store.get('x:a')?.streak;  // 2
 * ```
 */
export class FindingStore extends EventEmitter<FindingStoreEvents> {
  /** Most findings remembered. */
  readonly capacity: number;
  /** Consecutive sightings per severity step (0: no escalation). */
  readonly escalateAfter: number;
  // Map order is recency order: a sighting moves its record to the end, eviction takes the first.
  readonly #records = new Map<string, MutableRecord>();
  #checks = 0;

  /**
   * @param options - see {@link FindingStoreOptions}.
   * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option.
   */
  constructor(options: FindingStoreOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw invalidOption('options', 'an object', options);
    const { capacity = 1000, escalateAfter = 3 } = options;
    if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1) {
      throw invalidOption('capacity', 'an integer ≥ 1', capacity);
    }
    if (typeof escalateAfter !== 'number' || !Number.isInteger(escalateAfter) || escalateAfter < 0) {
      throw invalidOption('escalateAfter', 'an integer ≥ 0', escalateAfter);
    }
    this.capacity = capacity;
    this.escalateAfter = escalateAfter;
  }

  /** Checks recorded so far. */
  get checks(): number {
    return this.#checks;
  }

  /** Findings remembered. */
  get size(): number {
    return this.#records.size;
  }

  /** What the store knows about `id`, or undefined. */
  get(id: string): FindingRecord | undefined {
    return this.#records.get(id);
  }

  /**
   * Remembered findings, most recently seen last.
   * @param which - `'active'` (seen in the latest check of their detector) or `'all'`.
   * @defaultValue which `'active'`
   */
  findings(which: 'active' | 'all' = 'active'): Finding[] {
    const out: Finding[] = [];
    for (const r of this.#records.values()) if (which === 'all' || r.streak > 0) out.push(r.finding);
    return out;
  }

  /** Forgets everything (no events). */
  clear(): void {
    this.#records.clear();
    this.#checks = 0;
  }

  /**
   * Records one check's findings (already validated, unique by id) and returns them as the store
   * sees them: severity raised by consecutive sightings, confidence combined.
   *
   * @param findings - this check's findings.
   * @param options - see {@link RecordFindingsOptions}.
   * @returns the findings with the store's severity and confidence, in the order given.
   */
  record(findings: readonly Finding[], options: RecordFindingsOptions = {}): Finding[] {
    const check = ++this.#checks;
    const emit = <E extends keyof FindingStoreEvents>(
      event: E,
      ...args: Parameters<FindingStoreEvents[E]>
    ) => {
      try {
        // biome-ignore lint/suspicious/noExplicitAny: eventemitter3's rest-args typing needs a cast here
        (this.emit as any)(event, ...args);
      } catch (cause) {
        const report = options.onListenerError;
        if (report === undefined) return;
        try {
          report(
            new LeakkitError(
              'ERR_LEAKKIT_DETECTOR_FAILED',
              `A \`${event}\` listener of the finding store threw`,
              {
                cause,
              },
            ),
          );
        } catch {
          // Nothing sensible is left to do with an error handler that throws.
        }
      }
    };
    const out: Finding[] = [];
    for (const reported of findings) {
      const previous = this.#records.get(reported.id);
      // Still in its streak unless a completed check of its detector missed it: a check in which the
      // detector failed or did not run is no evidence either way.
      const consecutive = previous !== undefined && previous.streak > 0;
      const streak = consecutive ? previous.streak + 1 : 1;
      const steps = this.escalateAfter > 0 ? Math.floor(streak / this.escalateAfter) : 0;
      let rank = severityRank(reported.severity) + steps;
      if (consecutive) rank = Math.max(rank, severityRank(previous.finding.severity));
      const confidence = consecutive
        ? Math.max(reported.confidence, 1 - (1 - previous.finding.confidence) * (1 - reported.confidence / 2))
        : reported.confidence;
      const finding: Finding = { ...reported, severity: severityOf(rank), confidence };
      if (previous !== undefined) this.#records.delete(reported.id);
      this.#records.set(reported.id, {
        finding,
        reported: reported.severity,
        streak,
        sightings: (previous?.sightings ?? 0) + 1,
        firstCheck: previous?.firstCheck ?? check,
        lastCheck: check,
      });
      out.push(finding);
      if (!consecutive) emit('finding', finding);
      else if (rank > severityRank(previous.finding.severity))
        emit('escalate', finding, previous.finding.severity);
    }

    const ran = new Set(options.ran ?? findings.map((f) => f.detector));
    for (const r of this.#records.values()) {
      if (r.streak > 0 && r.lastCheck < check && ran.has(r.finding.detector)) {
        r.streak = 0;
        emit('resolve', r.finding);
      }
    }
    while (this.#records.size > this.capacity) {
      const oldest = this.#records.keys().next().value as string;
      const r = this.#records.get(oldest)!;
      this.#records.delete(oldest);
      emit('evict', r.finding);
    }
    return out;
  }
}
