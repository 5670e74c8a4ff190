import type { Detector, DetectorContext, Disposer, Finding } from '@leakkit/core';
import type { TimersOptions } from './options.js';
import { resolveOptions } from './options.js';
import { registryFindings } from './registries.js';
import {
  consoleFindings,
  consoleTimes,
  GAUGE,
  PERF_TYPES,
  perfEntries,
  perfFindings,
  timeoutFindings,
} from './timeline.js';
import type { TimerWatch } from './wrap.js';
import { watchTimers } from './wrap.js';

/**
 * Finds the timing leaks of the issue this package is named after, with the path or site, the rate
 * and advice for each:
 *
 * - **timing registries** that grow with the work, from the heap graphs: collections whose keys are
 *   new on every call (`TimerMetrics.timers.set(name + id, …)`), per-key lists of durations that keep
 *   growing (`timers[name].push(elapsed)` with no `clear()`), lists of timings. Recognised by what
 *   their entries are (numbers, lists of numbers, `{ start, end, elapsed }` records) and the names
 *   along their path (timers, timings, durations, metrics, histograms…);
 * - **the perf_hooks timeline** filling up (`performance.mark` / `measure` without `clearMarks` /
 *   `clearMeasures`), with the entry names that dominate, long before Node's warning at 1,000,001;
 * - **intervals and long timeouts** that pile up, per creation site (file:line and stack), `unref`'d
 *   ones included — those `process.getActiveResourcesInfo()` and open-handle tools miss;
 * - **`console.time` labels** that are never ended.
 *
 * `setup` wraps `setTimeout` / `setInterval` (global and `node:timers`) and watches its gauges; its
 * disposer restores them. No async_hooks: an `init` hook would make every promise tracked (11–19×
 * slower on await-heavy code). Findings of this detector take precedence (priority 20) over generic
 * growth findings about the same path.
 *
 * @param options - see {@link TimersOptions}.
 * @returns a detector for `checkBounded`, `createMonitor` or `runDetectors`.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option.
 *
 * @example
 * ```ts
 * import { createDetectorContext, GaugeHistory, runDetectors, setupDetectors } from '@leakkit/core';
 * import { timers } from '@leakkit/detector-timers';
 *
 * const gauges = new GaugeHistory();
 * const ctx = createDetectorContext({ gauges });
 * const detector = timers({ registries: false });
 * const dispose = await setupDetectors([detector], ctx);
 * for (let i = 1; i <= 24; i++) {
 *   performance.mark(`request-${i}`); // never cleared
 *   gauges.record(Date.now(), { iterations: i });
 * }
 * const { findings } = await runDetectors([detector], ctx);
 * findings[0]?.id;    // 'timers:perf:mark'
 * findings[0]?.title; // "performance.mark entries pile up: +1 per iteration, 24 held, most named 'request-#' (100%); …"
 * await dispose();
 * ```
 */
export function timers(options: TimersOptions = {}): Detector {
  const o = resolveOptions(options);
  // One watch per setup; check reads the newest (a detector is set up once per session).
  let watch: TimerWatch | undefined;

  const setup = (ctx: DetectorContext): Disposer => {
    const stops: Disposer[] = [];
    let own: TimerWatch | undefined;
    if (o.timeouts) {
      own = watchTimers({ grace: o.timeoutGrace, frames: o.frames });
      watch = own;
      const w = own;
      const followed = new Set<string>();
      stops.push(
        // Registered before any site gauge, so read first in every sample: it counts afresh and the
        // site gauges of the same sample read its census.
        ctx.gauges.watch(GAUGE.active, () => {
          const census = w.census(true);
          // A site gets a gauge of its own once two of its timers are alive together: one interval
          // per owner is the normal case and costs no gauge.
          if (followed.size < o.maxSites) {
            for (const [key, c] of census.sites) {
              if (c.live < 2 || followed.has(key) || followed.size >= o.maxSites) continue;
              followed.add(key);
              stops.push(ctx.gauges.watch(GAUGE.site(key), () => w.census().sites.get(key)?.live ?? 0));
            }
          }
          return census.total;
        }),
      );
    }
    if (o.performance) {
      for (const type of PERF_TYPES) stops.push(ctx.gauges.watch(GAUGE.perf(type), () => perfEntries(type)));
    }
    if (o.consoleTime) {
      // Read at every sample, not captured: test runners and apps replace `console`.
      stops.push(ctx.gauges.watch(GAUGE.consoleTime, () => consoleTimes()?.size ?? Number.NaN));
    }
    let disposed = false;
    return () => {
      if (disposed) return;
      disposed = true;
      for (const stop of stops) void stop();
      own?.dispose();
      if (watch === own) watch = undefined;
    };
  };

  return {
    name: 'timers',
    needs: { gauges: true, heapGraphs: o.registries },
    priority: 20,
    setup,
    async check(ctx: DetectorContext): Promise<Finding[]> {
      const out: Finding[] = [];
      // Each part on its own: evidence one part cannot read must not cost the others.
      const parts: (() => Finding[] | Promise<Finding[]>)[] = [];
      if (o.registries) parts.push(() => registryFindings(ctx, o));
      if (o.timeouts) parts.push(() => timeoutFindings(ctx, watch));
      if (o.performance) parts.push(() => perfFindings(ctx, o));
      if (o.consoleTime) parts.push(() => consoleFindings(ctx));
      for (const part of parts) {
        try {
          out.push(...(await part()));
        } catch {
          // A detector never throws into the host; a part that fails reports nothing.
        }
      }
      return out;
    },
  };
}
