import type { AllocationEvidence, FindingSite } from '../detect/types.js';
import { isTracing, start, stop, takeSnapshot } from '../tracing/session.js';
import type { Snapshot } from '../tracing/snapshot.js';
import type { StatisticDiff } from '../tracing/statistics.js';
import { isLeakkitFile } from './own.js';

/** The allocation site whose live memory keeps growing. */
export interface GrowingSite {
  site: FindingSite;
  /** The diff against the baseline, tracemalloc style. */
  diff: StatisticDiff;
  /** Bytes it grew by since the reference snapshot. */
  recent: number;
}

// Snapshots kept besides the baseline: enough for a "recent growth" reference, bounded.
const KEEP = 4;

/**
 * Allocation tracing for the monitor: V8's sampling heap profiler at a production interval (512 KiB
 * by default, ~1% of an HTTP server's CPU), a baseline snapshot and a few recent ones. When the
 * gauges suspect a leak, `escalate()` restarts sampling at a finer interval for the investigation,
 * so a leak of a few MB still gets dozens of samples; the baseline is taken again then (stopping
 * the profiler forgets what it sampled).
 *
 * Tracing someone else started (`start()` called by the app) is used as it is: never restarted at
 * another interval, never stopped.
 */
export class AllocationTracker {
  readonly samplingInterval: number;
  readonly escalatedInterval: number;
  #owned = false;
  #escalated = false;
  #baseline: Snapshot | undefined;
  #recent: Snapshot[] = [];
  // The site named last time, so that sampling noise does not make the answer flip.
  #site: string | undefined;

  constructor(samplingInterval: number, escalatedInterval: number) {
    this.samplingInterval = samplingInterval;
    this.escalatedInterval = escalatedInterval;
  }

  /** Whether allocations are being traced (by us or by the app). */
  get on(): boolean {
    return isTracing();
  }

  /** The interval in effect, bytes (0 when tracing is off or not ours). */
  get interval(): number {
    if (!this.#owned) return 0;
    return this.#escalated ? this.escalatedInterval : this.samplingInterval;
  }

  /** Starts tracing unless the app already did. Throws when the inspector is unavailable. */
  start(): void {
    if (isTracing()) return;
    start({ samplingInterval: this.samplingInterval });
    this.#owned = true;
  }

  /** Stops tracing if it is ours; forgets the snapshots. Idempotent. */
  stop(): void {
    if (this.#owned) stop();
    this.#owned = false;
    this.#escalated = false;
    this.#baseline = undefined;
    this.#recent = [];
  }

  /** Whether the finer interval is in effect. */
  get escalated(): boolean {
    return this.#escalated;
  }

  /** Switches to the finer interval (when tracing is ours and it is finer); the baseline starts over. */
  escalate(): void {
    if (!this.#owned || this.#escalated || !(this.escalatedInterval < this.samplingInterval)) return;
    stop();
    start({ samplingInterval: this.escalatedInterval });
    this.#escalated = true;
    this.#baseline = undefined;
    this.#recent = [];
  }

  /** Back to the production interval (the investigation is over). */
  relax(): void {
    if (!this.#owned || !this.#escalated) return;
    stop();
    start({ samplingInterval: this.samplingInterval });
    this.#escalated = false;
    this.#baseline = undefined;
    this.#recent = [];
  }

  /** Takes a snapshot: the baseline when there is none, else a recent one. */
  async snapshot(): Promise<void> {
    if (!isTracing()) return;
    const s = await takeSnapshot();
    if (this.#baseline === undefined || s.meta.epoch !== this.#baseline.meta.epoch) {
      // First one, or the profiler was restarted under us: what it sampled before is gone.
      this.#baseline = s;
      this.#recent = [];
      return;
    }
    this.#recent.push(s);
    if (this.#recent.length > KEEP) this.#recent.shift();
  }

  /** The evidence for detectors: the latest snapshot and, before it, the baseline and older recent ones. */
  evidence(): AllocationEvidence | undefined {
    const current = this.#recent[this.#recent.length - 1];
    if (current === undefined || this.#baseline === undefined) return undefined;
    return { current, previous: [this.#baseline, ...this.#recent.slice(0, -1)] };
  }

  /** Sites that grew since the baseline, largest first, tracemalloc style. */
  topLines(limit: number): string[] {
    const current = this.#recent[this.#recent.length - 1];
    if (current === undefined || this.#baseline === undefined) return [];
    const out: string[] = [];
    for (const d of current.compareTo(this.#baseline, 'lineno')) {
      if (out.length >= limit) break;
      const top = d.traceback[0];
      // leakkit's plugins allocate while they analyse heap graphs: that is the monitor's memory.
      if (d.sizeDiff > 0 && (top === undefined || !isLeakkitFile(top.file))) out.push(String(d));
    }
    return out;
  }

  /**
   * The site whose live memory keeps growing: among the lines that grew between the oldest recent
   * snapshot (or the baseline) and the latest, the one that grew most, discounted when its size did
   * not rise at every step. A site that allocated once after the baseline (an exporter's registry, a
   * cache that filled) and then stopped does not outrank one that still grows, and sampling noise
   * does not make the answer flip from tick to tick: the previous answer stays while it scores at
   * least 60% of the best.
   */
  growingSite(): GrowingSite | undefined {
    const current = this.#recent[this.#recent.length - 1];
    const baseline = this.#baseline;
    if (current === undefined || baseline === undefined) return undefined;
    const chain = this.#recent.length >= 2 ? this.#recent : [baseline, ...this.#recent];
    const reference = chain[0]!;
    const sizes = chain.map((s) => {
      const m = new Map<string, number>();
      for (const st of s.statistics('lineno')) {
        const f = st.traceback[0];
        if (f !== undefined) m.set(`${f.file}:${f.line}`, st.size);
      }
      return m;
    });
    let best: { key: string; score: number; diff: StatisticDiff } | undefined;
    let previous: { key: string; score: number; diff: StatisticDiff } | undefined;
    let considered = 0;
    for (const d of current.compareTo(reference, 'lineno')) {
      const top = d.traceback[0];
      if (top === undefined || top.line === 0 || d.sizeDiff <= 0 || isLeakkitFile(top.file)) continue;
      if (++considered > 10) break;
      const key = `${top.file}:${top.line}`;
      let rising = 0;
      for (let i = 1; i < sizes.length; i++)
        if ((sizes[i]!.get(key) ?? 0) >= (sizes[i - 1]!.get(key) ?? 0)) rising++;
      const steady = sizes.length > 1 ? rising / (sizes.length - 1) : 1;
      const score = d.sizeDiff * steady * steady;
      const entry = { key, score, diff: d };
      if (best === undefined || score > best.score) best = entry;
      if (key === this.#site) previous = entry;
    }
    const chosen =
      previous !== undefined && best !== undefined && previous.score >= 0.6 * best.score ? previous : best;
    if (chosen === undefined) return undefined;
    this.#site = chosen.key;
    const top = chosen.diff.traceback[0]!;
    const sinceBaseline = current
      .compareTo(baseline, 'lineno')
      .find((d) => d.traceback[0]?.file === top.file && d.traceback[0]?.line === top.line);
    return {
      site: { file: top.file, line: top.line },
      diff: sinceBaseline ?? chosen.diff,
      recent: chosen.diff.sizeDiff,
    };
  }
}
