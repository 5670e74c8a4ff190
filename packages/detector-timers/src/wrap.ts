import { syncBuiltinESMExports } from 'node:module';
import { promisify } from 'node:util';
import type { TimerSite } from './sites.js';
import { SiteFinder } from './sites.js';

/** Timer functions the watch wraps. */
type TimerFunction = (...args: unknown[]) => unknown;
type Kind = 'setTimeout' | 'setInterval';

/** The fields of Node's `Timeout` the watch reads; internal but stable since Node 11. */
interface TimeoutLike {
  _destroyed?: boolean;
  _idleTimeout?: number;
  hasRef?: () => boolean;
}

/**
 * One recorded timer, in a singly linked list: a list does not show up as a growing collection in
 * heap graphs (leakkit's own growth analysis would otherwise name this bookkeeping instead of the
 * program when timers leak), and unlinking the dead is O(1) per node.
 */
interface Entry {
  ref: WeakRef<object>;
  site: TimerSite | undefined;
  repeat: boolean;
  next: Entry | undefined;
}

/** Live recorded timers of one site at one census. */
export interface SiteCount {
  site: TimerSite;
  /** Live timers (intervals and long timeouts) created here. */
  live: number;
  /** Of them, `unref`'d (missing from `process.getActiveResourcesInfo()`). */
  unref: number;
  /** Of them, intervals. */
  intervals: number;
}

/** What a census found: every live recorded timer, per site. */
export interface Census {
  total: number;
  unref: number;
  sites: Map<string, SiteCount>;
}

/** Options of {@link watchTimers}. */
export interface TimerWatchOptions {
  /** One-shot timeouts due within this many ms are not recorded. */
  grace: number;
  /** Frames captured per recorded timer. */
  frames: number;
}

/** Counts live intervals and long timeouts per creation site. */
export interface TimerWatch {
  /**
   * Live recorded timers now, per site. Memoized until the current task ends or a timer is recorded;
   * `fresh` counts again (a timer cleared since the last census changes no flag we could watch).
   */
  census(fresh?: boolean): Census;
  /** Restores the timer functions (see {@link watchTimers}); idempotent. */
  dispose(): void;
}

interface Patch {
  target: Record<string, unknown>;
  key: Kind;
  original: TimerFunction;
  wrapper: TimerFunction;
}

// Compaction runs when the list has grown to twice the live timers at the last one (and at least this
// many entries): amortized O(1) per recorded timer, memory at most twice the live timers.
const MIN_COMPACT = 1024;

function isDead(timer: TimeoutLike | undefined): boolean {
  return timer === undefined || timer._destroyed === true;
}

/**
 * Wraps `setTimeout` and `setInterval` on `globalThis` and on the `node:timers` module object (two
 * references to the same functions until one is replaced; ES modules that imported them by name get
 * the wrappers through `syncBuiltinESMExports()`), and records every interval, and every timeout
 * whose delay exceeds `grace`, with its creation site. Timers are held through `WeakRef`s and read
 * for Node's `_destroyed` flag, so a timer that fired or was cleared is not live and nothing here
 * keeps one alive. No async_hooks: an `init` hook would turn on promise tracking for every promise.
 *
 * Disposal restores each function that is still our wrapper. A function someone replaced after us
 * (another wrapper, fake timers) is left as it is, since restoring ours would remove theirs: our
 * wrapper, still called underneath, turns into a plain pass-through.
 */
export function watchTimers(options: TimerWatchOptions): TimerWatch {
  const finder = new SiteFinder(options.frames);
  const grace = options.grace;
  let head: Entry | undefined;
  let length = 0;
  let nextCompact = MIN_COMPACT;
  let on = true;
  let memo: Census | undefined;

  const compact = () => {
    let live = 0;
    let previous: Entry | undefined;
    for (let e = head; e !== undefined; e = e.next) {
      if (isDead(e.ref.deref() as TimeoutLike | undefined)) {
        if (previous === undefined) head = e.next;
        else previous.next = e.next;
      } else {
        live++;
        previous = e;
      }
    }
    length = live;
    nextCompact = Math.max(MIN_COMPACT, 2 * live);
  };

  // Kept out of the wrappers: a failure here must never reach the program, and the wrappers stay
  // small enough to inline the common case (a short timeout: one comparison).
  const remember = (timer: unknown, kind: Kind, args: unknown[], wrapper: TimerFunction) => {
    try {
      if (timer === null || typeof timer !== 'object') return;
      const repeat = kind === 'setInterval';
      if (!repeat) {
        const idle = (timer as TimeoutLike)._idleTimeout;
        const delay = typeof idle === 'number' ? idle : Number(args[1]);
        // Node runs NaN, negative and oversized delays after 1 ms.
        if (!(delay > grace) || delay > 2_147_483_647) return;
      }
      head = { ref: new WeakRef(timer), site: finder.capture(wrapper), repeat, next: head };
      memo = undefined;
      if (++length >= nextCompact) compact();
    } catch {
      // Bookkeeping only: the timer itself was made and is returned.
    }
  };

  const patches: Patch[] = [];
  const wrap = (target: Record<string, unknown>, key: Kind) => {
    const original = target[key];
    if (typeof original !== 'function') return;
    const fn = original as TimerFunction;
    // The names matter: allocation stacks (core's `checkBounded`) look through frames named
    // `leakkitSetTimeout` / `leakkitSetInterval`, and so does our own site finder.
    const wrapper: TimerFunction =
      key === 'setTimeout'
        ? function leakkitSetTimeout(this: unknown, ...args: unknown[]) {
            const timer = fn.apply(this, args);
            if (on) remember(timer, key, args, leakkitSetTimeout);
            return timer;
          }
        : function leakkitSetInterval(this: unknown, ...args: unknown[]) {
            const timer = fn.apply(this, args);
            if (on) remember(timer, key, args, leakkitSetInterval);
            return timer;
          };
    // `util.promisify(setTimeout)` must keep returning the promise version.
    const custom = (fn as unknown as Record<symbol, unknown>)[promisify.custom];
    if (custom !== undefined) {
      Object.defineProperty(wrapper, promisify.custom, { value: custom, configurable: true, writable: true });
    }
    target[key] = wrapper;
    patches.push({ target, key, original: fn, wrapper });
  };

  const g = globalThis as unknown as Record<string, unknown>;
  // The object `require('node:timers')` returns (an ES module namespace would be frozen).
  const t = process.getBuiltinModule('node:timers') as unknown as Record<string, unknown>;
  for (const key of ['setTimeout', 'setInterval'] as const) {
    wrap(g, key);
    if (t !== g) wrap(t, key);
  }
  syncEsm();

  return {
    census(fresh = false) {
      if (memo !== undefined && !fresh) return memo;
      const sites = new Map<string, SiteCount>();
      let total = 0;
      let unref = 0;
      let previous: Entry | undefined;
      for (let e = head; e !== undefined; e = e.next) {
        const timer = e.ref.deref() as TimeoutLike | undefined;
        if (isDead(timer)) {
          if (previous === undefined) head = e.next;
          else previous.next = e.next;
          length--;
          continue;
        }
        previous = e;
        total++;
        const refd = typeof timer!.hasRef === 'function' ? timer!.hasRef() : true;
        if (!refd) unref++;
        if (e.site === undefined) continue;
        let c = sites.get(e.site.key);
        if (c === undefined) {
          c = { site: e.site, live: 0, unref: 0, intervals: 0 };
          sites.set(e.site.key, c);
        }
        c.live++;
        if (!refd) c.unref++;
        if (e.repeat) c.intervals++;
      }
      memo = { total, unref, sites };
      // Every gauge read in one sample shares this census; the next task counts afresh.
      queueMicrotask(() => {
        memo = undefined;
      });
      return memo;
    },
    dispose() {
      if (!on) return;
      on = false;
      for (const p of patches) {
        if (p.target[p.key] === p.wrapper) p.target[p.key] = p.original;
      }
      syncEsm();
      head = undefined;
      length = 0;
      memo = undefined;
    },
  };
}

function syncEsm(): void {
  try {
    syncBuiltinESMExports();
  } catch {
    // Not fatal: ES modules that imported the functions by name keep what they had.
  }
}
