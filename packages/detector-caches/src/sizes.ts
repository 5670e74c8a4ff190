import { types } from 'node:util';
import type { DetectorContext, Disposer, Finding, FindingGrowth, Gauges } from '@leakkit/core';
import { capsOf, largestCap } from './caps.js';
import type { ResolvedCachesOptions } from './options.js';
import { isIgnored } from './options.js';
import type { Cap, CollectionFacts, CollectionKind, Rate } from './patterns.js';
import { classify, describeFinding, lastName } from './patterns.js';
import type { FoundCollection, ScanResult } from './scan.js';
import { scanCollections, sizeOf } from './scan.js';
import type { SourceLines } from './source.js';

/** One collection whose size is sampled into gauge `caches:<path>`. */
interface Tracked {
  path: string;
  gauge: string;
  kind: CollectionKind | undefined;
  /** The collection, weakly: following it must not keep it alive. Absent for size functions. */
  ref: WeakRef<object> | undefined;
  holder: WeakRef<object> | undefined;
  sharedHolder: boolean;
  holderIsFunction: boolean;
  file: string | undefined;
  /** Named by the user (`watch`), never replaced by the scan. */
  watched: boolean;
  dispose: Disposer;
}

/** Per gauge history (one per session): what is tracked there. */
interface State {
  tracked: Map<string, Tracked>;
  lastScan: ScanResult | undefined;
  /** The root the next walk starts at: where the last one ran out of budget. */
  resume: number;
  /**
   * Every path that got a gauge. The history keeps a column per gauge name for good (up to its
   * `maxGauges`): replacing followed collections forever would fill it, so replacing stops at four
   * times `maxCollections` names.
   */
  names: Set<string>;
}

/** The kind of a watched value, and how to read its size; user objects may define `size` themselves. */
function watchedKind(t: object): CollectionKind {
  if (types.isMap(t)) return 'map';
  if (types.isSet(t)) return 'set';
  if (Array.isArray(t)) return 'array';
  return 'object';
}

/**
 * Size of a watched value: Map/Set size, array length, else the object's own numeric `size` or
 * `length` (an LRU library's instance), else its key count. The user handed it over to be measured.
 */
function watchedSize(t: object): number {
  if (types.isProxy(t)) return Number.NaN;
  const kind = watchedKind(t);
  if (kind !== 'object') return sizeOf(t, kind);
  const o = t as { size?: unknown; length?: unknown };
  if (typeof o.size === 'number') return o.size;
  if (typeof o.length === 'number') return o.length;
  return Object.keys(t).length;
}

/** Kinds of the first keys of a Map (members of a Set), as heap growth reports them. */
function keyKind(t: object): CollectionFacts['keys'] {
  if (!types.isMap(t) && !types.isSet(t)) return undefined;
  const seen = new Set<string>();
  let i = 0;
  for (const k of (t as Map<unknown, unknown> | Set<unknown>).keys()) {
    if (i++ >= 16) break;
    const type = typeof k;
    seen.add(
      type === 'object' || type === 'function'
        ? k === null
          ? 'number'
          : 'object'
        : type === 'string' || type === 'symbol'
          ? type
          : 'number',
    );
  }
  if (seen.size === 0) return undefined;
  return seen.size === 1 ? ([...seen][0] as CollectionFacts['keys']) : 'mixed';
}

/**
 * The cheap mode: collection sizes sampled into the gauge history (watched ones and those a bounded
 * walk finds), judged by `classifyTrend` against iterations (or time).
 */
export interface SizeWatcher {
  /** Registers the gauges (and runs a first walk); returns the disposer. */
  setup(gauges: Gauges): Disposer;
  /** Walks again (new collections), then judges every tracked series. */
  check(ctx: DetectorContext, detector: string, sources: SourceLines | undefined): Finding[];
  /** The last walk of a gauge history, for reports and tests. */
  lastScan(gauges: Gauges): ScanResult | undefined;
}

/** Builds the cheap mode's state keeper; one per `caches()` detector, with state per gauge history. */
export function sizeWatcher(o: ResolvedCachesOptions): SizeWatcher {
  const states = new WeakMap<Gauges, State>();

  // The reader gets the entry itself: the scan may re-point `ref` (a new object at the same path).
  const track = (
    state: State,
    gauges: Gauges,
    t: Omit<Tracked, 'gauge' | 'dispose'>,
    read: (t: Tracked) => number,
  ) => {
    const entry: Tracked = { ...t, gauge: `caches:${t.path}`, dispose: () => {} };
    entry.dispose = gauges.watch(entry.gauge, () => read(entry));
    state.tracked.set(t.path, entry);
    state.names.add(t.path);
  };

  const readScanned = (t: Tracked) => {
    const target = t.ref?.deref();
    if (target === undefined || t.kind === undefined) return Number.NaN;
    try {
      return sizeOf(target, t.kind);
    } catch {
      return Number.NaN;
    }
  };

  const untrack = (state: State, t: Tracked) => {
    state.tracked.delete(t.path);
    void t.dispose();
  };

  // Never throws: a walk that fails leaves what is followed as it was.
  const scan = (state: State, gauges: Gauges) => {
    try {
      walkAndTrack(state, gauges);
    } catch {}
  };

  const walkAndTrack = (state: State, gauges: Gauges) => {
    const so = o.scan;
    if (so === undefined) return;
    // Collections that are gone stop being read (their samples stay in the history).
    for (const t of [...state.tracked.values()]) {
      if (!t.watched && t.ref?.deref() === undefined) untrack(state, t);
    }
    const watchedTargets = new Set<object>();
    for (const t of state.tracked.values()) {
      const target = t.watched ? t.ref?.deref() : undefined;
      if (target !== undefined) watchedTargets.add(target);
    }
    const result = scanCollections(so, o.strings, (x) => watchedTargets.has(x), state.resume);
    state.lastScan = result;
    state.resume = result.next;
    // What is followed already, by identity: a walk that starts elsewhere may reach it by another path.
    const followed = new Set<object>();
    for (const t of state.tracked.values()) {
      const target = t.ref?.deref();
      if (target !== undefined) followed.add(target);
    }
    const candidates: FoundCollection[] = [];
    for (const f of result.found) {
      if (isIgnored(f.path, o.ignore)) continue;
      const t = state.tracked.get(f.path);
      if (t === undefined) {
        if (!followed.has(f.target)) candidates.push(f);
      } else if (!t.watched && t.ref?.deref() !== f.target) {
        // A new object at the same place (`list = list.concat(x)`): the place is what is followed.
        t.ref = new WeakRef(f.target);
        t.kind = f.kind;
        t.holder = f.holder === undefined ? undefined : new WeakRef(f.holder);
        t.holderIsFunction = f.holderIsFunction;
      }
    }
    candidates.sort((a, b) => b.size - a.size);
    const scanned = () => [...state.tracked.values()].filter((t) => !t.watched);
    for (const f of candidates) {
      if (state.names.size >= 4 * so.maxCollections && !state.names.has(f.path)) continue;
      const current = scanned();
      if (current.length >= so.maxCollections) {
        // Full: replace the smallest collection that is not growing, if this one is much larger.
        // Only collections sampled at least once: one just added has not had its chance.
        let victim: Tracked | undefined;
        let victimSize = Number.POSITIVE_INFINITY;
        for (const t of current) {
          let first = Number.NaN;
          let latest = Number.NaN;
          for (const v of gauges.series(t.gauge) ?? []) {
            if (!Number.isFinite(v)) continue;
            if (Number.isNaN(first)) first = v;
            latest = v;
          }
          if (Number.isNaN(latest) || latest > first) continue;
          if (latest < victimSize) {
            victim = t;
            victimSize = latest;
          }
        }
        if (victim === undefined || f.size <= 2 * victimSize) break;
        untrack(state, victim);
      }
      track(
        state,
        gauges,
        {
          path: f.path,
          kind: f.kind,
          ref: new WeakRef(f.target),
          holder: f.holder === undefined ? undefined : new WeakRef(f.holder),
          sharedHolder: f.sharedHolder,
          holderIsFunction: f.holderIsFunction,
          file: f.file,
          watched: false,
        },
        readScanned,
      );
    }
  };

  const ensure = (gauges: Gauges): State => {
    let state = states.get(gauges);
    if (state !== undefined) return state;
    state = { tracked: new Map(), lastScan: undefined, resume: 0, names: new Set() };
    states.set(gauges, state);
    for (const w of o.watch) {
      if ('read' in w) {
        const read = w.read;
        track(
          state,
          gauges,
          {
            path: w.name,
            kind: 'size',
            ref: undefined,
            holder: undefined,
            sharedHolder: false,
            holderIsFunction: false,
            file: undefined,
            watched: true,
          },
          () => {
            // The gauge history reports a reader that throws; one that returns junk reads as NaN.
            const v: unknown = read();
            return typeof v === 'number' ? v : Number.NaN;
          },
        );
        continue;
      }
      const ref = w.ref;
      const first = ref.deref();
      track(
        state,
        gauges,
        {
          path: w.name,
          kind: first === undefined ? undefined : watchedKind(first),
          ref,
          holder: undefined,
          sharedHolder: false,
          holderIsFunction: false,
          file: undefined,
          watched: true,
        },
        (t) => {
          const target = t.ref?.deref();
          if (target === undefined) return Number.NaN;
          try {
            return watchedSize(target);
          } catch {
            return Number.NaN;
          }
        },
      );
    }
    scan(state, gauges);
    return state;
  };

  const judge = (
    ctx: DetectorContext,
    t: Tracked,
    detector: string,
    sources: SourceLines | undefined,
  ): Finding | undefined => {
    const ys = ctx.gauges.series(t.gauge);
    if (ys === undefined) return undefined;
    const iterations = ctx.gauges.series('iterations');
    const times = ctx.gauges.times();
    let finiteIterations = 0;
    if (iterations !== undefined) {
      for (let i = 0; i < ys.length; i++)
        if (Number.isFinite(ys[i]!) && Number.isFinite(iterations[i]!)) finiteIterations++;
    }
    const useIterations = iterations !== undefined && finiteIterations >= 6;
    const xs: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < ys.length; i++) {
      const x = useIterations ? iterations![i]! : times[i]!;
      if (!Number.isFinite(ys[i]!) || !Number.isFinite(x)) continue;
      // Samples must move forward: a repeated x (two samples with no work between) adds nothing.
      if (xs.length > 0 && x <= xs[xs.length - 1]!) continue;
      xs.push(x);
      values.push(ys[i]!);
    }
    if (values.length < 6) return undefined;
    const trend = ctx.stats.classifyTrend(values, { xs });
    if (trend.verdict !== 'leak') return undefined;
    const count = values[values.length - 1]!;
    const target = t.ref?.deref();
    const kind: CollectionKind = t.kind ?? 'size';
    let caps: Cap[] = [];
    const holder = t.holder?.deref();
    const name = lastName(t.path);
    if (holder !== undefined) caps = capsOf(holder, name, t.sharedHolder, types.isProxy);
    else if (target !== undefined && t.watched && kind === 'object')
      caps = capsOf(target, name, false, types.isProxy);
    const cap = largestCap(caps);
    // Filling towards a cap it has not passed: bounded by design.
    if (cap !== undefined && count <= cap.value) return undefined;
    const facts: CollectionFacts = {
      kind,
      path: t.path,
      count,
      keys: target === undefined ? undefined : keyKind(target),
      inFunction: t.holderIsFunction,
      cap,
    };
    const pattern = classify(facts);
    const rate: Rate = useIterations
      ? { value: trend.slope, per: 'iteration', unit: 'entries' }
      : { value: trend.slope * 60_000, per: 'minute', unit: 'entries' };
    const { title, advice } = describeFinding(facts, pattern, rate);
    const growth: FindingGrowth = { count };
    if (useIterations) growth.objectsPerIteration = trend.slope;
    const confidence = Math.min(
      0.99,
      pattern === 'cap-not-enforced' ? Math.max(trend.confidence, 0.9) : trend.confidence,
    );
    const finding: Finding = {
      id: `${detector}:${t.path}`,
      detector,
      severity: confidence >= 0.8 ? 'leak' : 'warning',
      title,
      path: t.path,
      growth,
      confidence,
      advice,
      evidence: {
        pattern,
        kind,
        counts: values.slice(-32),
        slope: trend.slope,
        per: rate.per,
        reason: trend.reason,
        ...(facts.keys === undefined ? {} : { keys: facts.keys }),
        ...(cap === undefined ? {} : { cap }),
        source: t.watched ? 'watch' : 'scan',
      },
    };
    if (t.file !== undefined && sources !== undefined) {
      const site = sources.site(t.file, t.path);
      if (site !== undefined) finding.site = site;
    }
    return finding;
  };

  return {
    setup(gauges) {
      const state = ensure(gauges);
      let disposed = false;
      return () => {
        if (disposed) return;
        disposed = true;
        for (const t of [...state.tracked.values()]) untrack(state, t);
        states.delete(gauges);
      };
    },
    check(ctx, detector, sources) {
      const fresh = !states.has(ctx.gauges);
      const state = ensure(ctx.gauges);
      // A first walk just ran in ensure(); later checks walk again for collections that appeared.
      if (!fresh) scan(state, ctx.gauges);
      const findings: Finding[] = [];
      for (const t of state.tracked.values()) {
        if (isIgnored(t.path, o.ignore)) continue;
        const f = judge(ctx, t, detector, sources);
        if (f !== undefined) findings.push(f);
      }
      return findings;
    },
    lastScan(gauges) {
      return states.get(gauges)?.lastScan;
    },
  };
}
