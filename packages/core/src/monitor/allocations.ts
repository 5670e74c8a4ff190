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

// Snapshots kept besides the baseline and the latest (spaced `spacing` ms apart): a chain long enough
// to see a site rise step after step, bounded.
const KEEP = 5;
// Snapshots in a row a site must be chosen in before it is named: at least this many, and enough to
// span two kept snapshots.
const SITE_STREAK = 3;

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
  // Tracing only while investigating (no detector needs allocation evidence all the time).
  #lazy = true;
  #baseline: Snapshot | undefined;
  // A fixed-length ring, filled from the start: a monitor's own array growing while heap graphs are
  // captured would be reported as growth.
  readonly #recent: (Snapshot | undefined)[] = new Array<Snapshot | undefined>(KEEP).fill(undefined);
  #kept = 0;
  #latest: Snapshot | undefined;
  // The site named last time, so that sampling noise does not make the answer flip.
  #site: string | undefined;
  #siteStreak = 0;

  /** Least time between two kept snapshots, ms: far enough apart for a slow leak to add samples. */
  readonly spacing: number;

  readonly #streakNeeded: number;

  /**
   * @param spacing - least time between two kept snapshots, ms.
   * @param interval - the monitor's tick, ms: a site is named once chosen over two spacings' worth of ticks.
   */
  constructor(samplingInterval: number, escalatedInterval: number, spacing: number, interval: number) {
    this.samplingInterval = samplingInterval;
    this.escalatedInterval = escalatedInterval;
    this.spacing = spacing;
    this.#streakNeeded = Math.max(SITE_STREAK, Math.ceil((2 * spacing) / interval));
  }

  /** Whether allocations are being traced (by us or by the app). */
  get on(): boolean {
    return isTracing();
  }

  /** The interval in effect, bytes (0 when tracing is off or not ours). */
  get interval(): number {
    if (!this.#owned) return 0;
    return this.#escalated ? Math.min(this.escalatedInterval, this.samplingInterval) : this.samplingInterval;
  }

  /**
   * With `always`, starts tracing at the production interval now, unless the app already did.
   * Without, tracing waits for `escalate()`: V8's sampling profiler, once on, costs a few percent of
   * an allocation-heavy server's CPU whatever its interval (measured: 512 KiB and 2 MiB alike,
   * bench/monitor-overhead), which a healthy server should not pay.
   * Throws when the inspector is unavailable.
   */
  start(always: boolean): void {
    this.#lazy = !always;
    if (isTracing() || !always) return;
    start({ samplingInterval: this.samplingInterval });
    this.#owned = true;
  }

  /** Stops tracing if it is ours; forgets the snapshots. Idempotent. */
  stop(): void {
    if (this.#owned) stop();
    this.#owned = false;
    this.#escalated = false;
    this.#baseline = undefined;
    this.#recent.fill(undefined);
    this.#kept = 0;
    this.#latest = undefined;
  }

  /** Whether the finer interval is in effect. */
  get escalated(): boolean {
    return this.#escalated;
  }

  /**
   * Starts tracing at the finer interval (or switches to it, when tracing is ours and it is finer);
   * the baseline starts over. Tracing the app started itself is used as it is. Throws when the
   * inspector is unavailable.
   */
  escalate(): void {
    if (this.#escalated) return;
    if (!this.#owned) {
      if (isTracing()) return;
      start({ samplingInterval: Math.min(this.escalatedInterval, this.samplingInterval) });
      this.#owned = true;
    } else {
      if (!(this.escalatedInterval < this.samplingInterval)) return;
      stop();
      start({ samplingInterval: this.escalatedInterval });
    }
    this.#escalated = true;
    this.#baseline = undefined;
    this.#recent.fill(undefined);
    this.#kept = 0;
    this.#latest = undefined;
  }

  /** The investigation is over: back to the production interval, or no tracing at all when lazy. */
  relax(): void {
    if (!this.#owned || !this.#escalated) return;
    stop();
    if (this.#lazy) this.#owned = false;
    else start({ samplingInterval: this.samplingInterval });
    this.#escalated = false;
    this.#baseline = undefined;
    this.#recent.fill(undefined);
    this.#kept = 0;
    this.#latest = undefined;
  }

  /** Takes a snapshot: the baseline when there is none, else the latest (kept in the chain when due). */
  async snapshot(): Promise<void> {
    if (!isTracing()) return;
    const s = await takeSnapshot();
    if (this.#baseline === undefined || s.meta.epoch !== this.#baseline.meta.epoch) {
      // First one, or the profiler was restarted under us: what it sampled before is gone.
      this.#baseline = s;
      this.#recent.fill(undefined);
      this.#kept = 0;
      this.#latest = undefined;
      return;
    }
    const previous = this.#latest;
    this.#latest = s;
    const lastKept = this.#kept > 0 ? this.#recent[this.#kept - 1]! : this.#baseline;
    if (previous !== undefined && previous.meta.timestamp - lastKept.meta.timestamp >= this.spacing) {
      if (this.#kept === KEEP) {
        this.#recent.copyWithin(0, 1);
        this.#kept--;
      }
      this.#recent[this.#kept++] = previous;
    }
  }

  /** The kept snapshots, oldest first. */
  #chain(): Snapshot[] {
    return this.#recent.slice(0, this.#kept) as Snapshot[];
  }

  /** The evidence for detectors: the latest snapshot and, before it, the baseline and the kept ones. */
  evidence(): AllocationEvidence | undefined {
    const current = this.#latest;
    if (current === undefined || this.#baseline === undefined) return undefined;
    return { current, previous: [this.#baseline, ...this.#chain()] };
  }

  /** Sites that grew since the baseline, largest first, tracemalloc style. */
  topLines(limit: number): string[] {
    const current = this.#latest;
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
   * The site whose live memory keeps growing. A sampled object that leaks never dies, so the sampled
   * objects of a leaking line hardly ever go down from one snapshot to the next (by one, when an
   * array it pushes to moves to a bigger backing store and frees the old one: counted in objects,
   * not bytes, that big object weighs as one), while a line whose objects come and go (responses in
   * flight, a cache that evicts) goes up and down as much: among the lines whose falls in objects
   * over the chain (baseline, the kept snapshots, the latest; at least four) add up to at most a
   * quarter of their rises, that gained at least two samples' worth of bytes and still gained in the
   * later half of the chain, the one that grew most. A site that allocated once after the baseline
   * (an exporter's registry, a cache that filled) rises once and then stays: it is out. Once named, a
   * site stays named while its falls stay under half its rises, so the answer does not flip when a
   * slow leak happens not to be sampled for a few snapshots.
   */
  growingSite(heapSlope: number): GrowingSite | undefined {
    const current = this.#latest;
    const baseline = this.#baseline;
    if (current === undefined || baseline === undefined) return undefined;
    const chain = [baseline, ...this.#chain(), current];
    if (chain.length < 4) return undefined;
    const sizes = chain.map((s) => {
      const m = new Map<string, { size: number; count: number }>();
      for (const st of s.statistics('lineno')) {
        const f = st.traceback[0];
        if (f !== undefined) m.set(`${f.file}:${f.line}`, { size: st.size, count: st.count });
      }
      return m;
    });
    const enough = 2 * (current.meta.samplingInterval || this.interval || 1);
    const span = current.meta.timestamp - chain[0]!.meta.timestamp;
    let best: { key: string; grew: number; diff: StatisticDiff } | undefined;
    let previous: { key: string; grew: number; diff: StatisticDiff } | undefined;
    for (const d of current.compareTo(baseline, 'lineno')) {
      const top = d.traceback[0];
      if (top === undefined || top.line === 0 || d.sizeDiff <= 0 || isLeakkitFile(top.file)) continue;
      const key = `${top.file}:${top.line}`;
      // Rises and falls in objects, not bytes: the one big object a leaking line frees now and then
      // (the old backing store of the array it pushes to) weighs as much as hundreds of the small
      // ones it keeps, but it is one object.
      let rose = 0;
      let fell = 0;
      let roseBytes = 0;
      let netBytes = 0;
      let rises = 0;
      let lately = 0;
      const half = Math.floor(sizes.length / 2);
      for (let i = 1; i < sizes.length; i++) {
        const now = sizes[i]!.get(key);
        const before = sizes[i - 1]!.get(key);
        const step = (now?.count ?? 0) - (before?.count ?? 0);
        const bytes = (now?.size ?? 0) - (before?.size ?? 0);
        netBytes += bytes;
        if (bytes > 0) roseBytes += bytes;
        if (step > 0) {
          rose += step;
          rises++;
        } else fell -= step;
        if (i > half) lately += step;
      }
      const entry = { key, grew: d.sizeDiff, diff: d };
      if (key === this.#site && this.#siteStreak >= this.#streakNeeded && fell <= 0.5 * rose)
        previous = entry;
      // Rising at most steps and still in the later half of the chain: a cache that filled after the
      // baseline has stopped, and one that churns goes down about as often as up. And no faster than
      // the heap itself grew meanwhile (three times, plus a sample): sampling noise on a churning
      // line can add a few samples at once; a line that leaks is part of the heap's growth.
      const plausible = netBytes <= 3 * Math.max(0, heapSlope) * span + enough / 2;
      const growing =
        fell <= 0.25 * rose &&
        roseBytes >= enough &&
        lately > 0 &&
        2 * rises >= sizes.length - 1 &&
        plausible;
      if (growing && (best === undefined || entry.grew > best.grew)) best = entry;
    }
    const chosen = previous ?? best;
    if (chosen === undefined) {
      this.#siteStreak = 0;
      return undefined;
    }
    // Named only once chosen in SITE_STREAK snapshots in a row: sampling noise picks a churning line
    // now and then, never several times running.
    this.#siteStreak = chosen.key === this.#site ? this.#siteStreak + 1 : 1;
    this.#site = chosen.key;
    if (this.#siteStreak < this.#streakNeeded) return undefined;
    const top = chosen.diff.traceback[0]!;
    return { site: { file: top.file, line: top.line }, diff: chosen.diff, recent: chosen.grew };
  }
}
