import { promisify } from 'node:util';

/** A timer the function under test created, with where. */
export interface TimerRecord {
  kind: 'setTimeout' | 'setInterval';
  /** The creation stack (`Error().stack`), formatted on first read. */
  readonly stack: string | undefined;
  /** Whether it still keeps the process alive (`hasRef()`). */
  ref: boolean;
}

interface Timer {
  _destroyed?: boolean;
  hasRef?: () => boolean;
}

/**
 * Watches the handles the function under test leaves behind: the counts of
 * `process.getActiveResourcesInfo()` by type, and every timer made through `setTimeout` /
 * `setInterval` (global and `node:timers`, which share their functions until one is patched) with
 * its creation stack. Wrapping the two functions costs a stack capture per timer and nothing for
 * promises; async_hooks would slow every await down (V8-NOTES).
 *
 * What it keeps is bounded by the live timers: records of timers that fired or were cleared are
 * dropped by {@link HandleWatch.compact}, which runs between rounds, so the bookkeeping never shows
 * up as growth of the program.
 */
export interface HandleWatch {
  /** Active resources now, by type (`Timeout`, `TCPServerWrap`, …). */
  resources(): Map<string, number>;
  /** Timers created since `watchHandles()` that are neither fired nor cleared. */
  live(): TimerRecord[];
  /** Forgets timers that are done. */
  compact(): void;
  /** Restores the timer functions. Idempotent. */
  dispose(): void;
}

interface Entry {
  ref: WeakRef<Timer & object>;
  kind: TimerRecord['kind'];
  holder: { stack?: string };
}

/** Counts `getActiveResourcesInfo()` by type. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

function done(timer: Timer): boolean {
  return timer._destroyed === true;
}

/**
 * Starts watching; see {@link HandleWatch}. `record` returning false pauses recording (the check
 * records only while the function under test runs).
 */
export function watchHandles(recording: () => boolean): HandleWatch {
  const g = globalThis as unknown as Record<'setTimeout' | 'setInterval', (...args: unknown[]) => unknown>;
  const t = process.getBuiltinModule('node:timers') as unknown as Record<
    'setTimeout' | 'setInterval',
    (...args: unknown[]) => unknown
  >;
  const originalTimeout = g.setTimeout;
  const originalInterval = g.setInterval;
  const moduleTimeout = t.setTimeout;
  const moduleInterval = t.setInterval;
  let entries: Entry[] = [];

  // Kept out of the wrappers so that what it allocates (the stack holder, the WeakRef) is
  // attributed to leakkit, while the timer itself, allocated under the wrapper, is the caller's.
  function remember(timer: unknown, kind: TimerRecord['kind'], wrapper: (...args: unknown[]) => unknown) {
    if (timer === null || typeof timer !== 'object' || !recording()) return;
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, wrapper);
    entries.push({ ref: new WeakRef(timer as Timer & object), kind, holder });
  }
  // The names are how allocation stacks recognise these frames (traces.ts TRANSPARENT_FUNCTIONS).
  function leakkitSetTimeout(this: unknown, ...args: unknown[]): unknown {
    const timer = originalTimeout.apply(this, args);
    remember(timer, 'setTimeout', leakkitSetTimeout);
    return timer;
  }
  function leakkitSetInterval(this: unknown, ...args: unknown[]): unknown {
    const timer = originalInterval.apply(this, args);
    remember(timer, 'setInterval', leakkitSetInterval);
    return timer;
  }
  // `util.promisify(setTimeout)` must keep returning the promise version.
  const custom = (originalTimeout as unknown as Record<symbol, unknown>)[promisify.custom];
  if (custom !== undefined) {
    Object.defineProperty(leakkitSetTimeout, promisify.custom, { value: custom, configurable: true });
  }
  g.setTimeout = leakkitSetTimeout;
  g.setInterval = leakkitSetInterval;
  t.setTimeout = leakkitSetTimeout;
  t.setInterval = leakkitSetInterval;

  let disposed = false;
  return {
    resources: activeResources,
    live() {
      const out: TimerRecord[] = [];
      for (const e of entries) {
        const timer = e.ref.deref();
        if (timer === undefined || done(timer)) continue;
        out.push({
          kind: e.kind,
          get stack() {
            return e.holder.stack;
          },
          ref: timer.hasRef?.() ?? true,
        });
      }
      return out;
    },
    compact() {
      entries = entries.filter((e) => {
        const timer = e.ref.deref();
        return timer !== undefined && !done(timer);
      });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      // Only what is still ours: someone who patched them after us keeps their patch.
      if (g.setTimeout === leakkitSetTimeout) g.setTimeout = originalTimeout;
      if (g.setInterval === leakkitSetInterval) g.setInterval = originalInterval;
      if (t.setTimeout === leakkitSetTimeout) t.setTimeout = moduleTimeout;
      if (t.setInterval === leakkitSetInterval) t.setInterval = moduleInterval;
      entries = [];
    },
  };
}
