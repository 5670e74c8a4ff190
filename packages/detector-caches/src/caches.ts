import type { Detector, DetectorContext, Finding } from '@leakkit/core';
import { heapFindings } from './heap.js';
import type { CachesOptions } from './options.js';
import { resolveOptions } from './options.js';
import { sizeWatcher } from './sizes.js';
import { sourceLines } from './source.js';

const NAME = 'caches';

/**
 * Finds Maps, Sets, arrays and objects used as maps that grow with the work and are never cleared
 * or trimmed, and says which pattern each one is: an unbounded cache or registry, a Map keyed by
 * objects (a WeakMap's job), memoisation keyed by unbounded input, a cache whose cap is not enforced.
 * Bounded collections are left alone: LRU caches at their cap, ring buffers, caches that fill during
 * warm-up and then stay flat, maps whose entries are deleted when the work completes.
 *
 * Two modes:
 * - `'full'` (the default) reads heap-graph growth (`needs.heapGraphs`): every growing collection,
 *   nested ones (`app.state.sessions.alice.history`) and module-scope ones reached only through
 *   closures (`cache.js › memoize() › cache`) included. For tests and staging: snapshots pause the
 *   process.
 * - `'cheap'` (with `watch` or `scan`) samples sizes into gauges, without a snapshot: the collections
 *   you name, and those a bounded walk of `globalThis` and CommonJS modules' exports finds. For
 *   production.
 *
 * Findings have the id `caches:<path>`, the path as the developer wrote it, the line that creates the
 * collection as `site` when its module is known, the growth per iteration (or per minute), a
 * confidence and advice specific to the pattern. The detector's priority is 10: it speaks instead of
 * the generic growth finding for the same path, and timers() (20) speaks instead of it.
 *
 * @param options - see {@link CachesOptions}.
 * @returns the detector, for `checkBounded`, `createMonitor` or `runDetectors`.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option.
 *
 * @example
 * ```ts
 * import { assertBounded } from '@leakkit/core/testing';
 * import { caches } from '@leakkit/detector-caches';
 *
 * // In a test: heap graphs name the collection and the pattern.
 * await assertBounded(() => handleRequest(), { detectors: [caches()] });
 *
 * // In production: sizes only, no snapshot.
 * const detector = caches({ watch: { sessions: sessionCache }, scan: { depth: 4 } });
 * ```
 */
export function caches(options: CachesOptions = {}): Detector {
  const o = resolveOptions(options);
  const sizes = o.watch.length > 0 || o.scan !== undefined ? sizeWatcher(o) : undefined;
  // One reader of source files per detector: findings are few, files read once.
  const sources = o.sourceLines ? sourceLines() : undefined;
  const detector: Detector = {
    name: NAME,
    needs: o.mode === 'full' ? { gauges: true, heapGraphs: true } : { gauges: true },
    priority: 10,
    check(ctx: DetectorContext): Finding[] {
      const findings: Finding[] = [];
      // Not swallowed: the monitor and runDetectors catch what a check throws and report it as an
      // `error` (the host never sees it), which says why a leak went unnamed. The tick's findings
      // from this detector are skipped; the next tick tries again.
      if (o.mode === 'full') findings.push(...heapFindings(ctx, o, NAME, sources));
      if (sizes !== undefined) {
        const seen = new Set(findings.map((f) => f.id));
        for (const f of sizes.check(ctx, NAME, sources)) if (!seen.has(f.id)) findings.push(f);
      }
      return findings;
    },
  };
  if (sizes !== undefined) detector.setup = (ctx: DetectorContext) => sizes.setup(ctx.gauges);
  return detector;
}
