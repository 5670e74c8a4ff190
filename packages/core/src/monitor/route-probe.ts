import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LeakkitError } from '../errors.js';
import type { RouteAttribution } from '../report/types.js';
import { inspectorSession, postSync } from '../tracing/session.js';
import type { RouteResolver } from './routes.js';
import { requestRoute } from './routes.js';

/** Where hits made outside any request are counted (timers, startup, a queue drained later). */
export const OUTSIDE = '(none)';
const OTHER = '(other)';

/** The probe's request context: the route itself (tests, callers that know it) or the request. */
export type ProbeStore = string | { request: IncomingMessage; response: ServerResponse };

/** Options of {@link startRouteProbe}. */
export interface RouteProbeOptions {
  /** The growing line's file: a path (relative to the working directory, as sites are shown) or a file URL. */
  file: string;
  /** Its 1-based line. */
  line: number;
  /** Hits after which the probe stops. @defaultValue 200 */
  maxHits?: number;
  /** Time after which the probe stops, ms. @defaultValue 30000 */
  timeLimit?: number;
  /** Distinct routes counted; further ones count as `(other)`. @defaultValue 100 */
  maxRoutes?: number;
  /** The monitor's route resolver, so names match RouteCounter's. */
  resolve?: RouteResolver | undefined;
  /**
   * The context to read at each hit. By default the probe makes its own and fills it from
   * `http.server.request.start`; one given here is read only (not filled, not disabled).
   */
  storage?: AsyncLocalStorage<ProbeStore> | undefined;
}

/** What a probe saw. */
export interface RouteProbeResult {
  /** Hits per route, most first; `(none)` for hits outside any request. */
  hits: { route: string; count: number }[];
  /** All hits counted. */
  total: number;
  /** Hits made inside a request. */
  sampled: number;
  /** The route with at least 80% of the hits made inside requests (and 20 of them), if one has. */
  route: string | undefined;
  /** That route's hits. */
  routeHits: number;
  started: number;
  ended: number;
  /** Why it ended. */
  reason: 'hits' | 'time' | 'stopped' | 'failed';
  /** What went wrong while cleaning up, if anything did (the probe is over either way). */
  error?: unknown;
}

/** A running probe. */
export interface RouteProbe {
  /** Settles (never rejects) when the probe is over and everything it set is undone. */
  readonly done: Promise<RouteProbeResult>;
  /** Whether it still counts. */
  readonly active: boolean;
  /** Ends it now (idempotent) and returns what it saw. */
  stop(): RouteProbeResult;
}

/** Most hits of one route among those made inside requests that name it: 80%, at least 20 hits. */
export function probeVerdict(
  hits: readonly { route: string; count: number }[],
  minHits = 20,
  minShare = 0.8,
): { route: string | undefined; routeHits: number; sampled: number } {
  let sampled = 0;
  let best: { route: string; count: number } | undefined;
  for (const h of hits) {
    if (h.route === OUTSIDE) continue;
    sampled += h.count;
    if (h.route !== OTHER && !h.route.endsWith(` ${OTHER}`) && (best === undefined || h.count > best.count))
      best = h;
  }
  const named = best !== undefined && best.count >= minHits && best.count >= minShare * sampled;
  return { route: named ? best!.route : undefined, routeHits: best?.count ?? 0, sampled };
}

// Share of the growth the regression's route must explain (and the probe's at most 1 − it) for the
// regression to win over the probe on a line both routes run.
const SHARED_LINE_SHARE = 0.8;

/**
 * The finding's route from the regression's and the probe's: the regression's when they agree or
 * the probe named none; else the probe's (it saw which routes run the growing line), with the
 * regression's kept for the record. Except on a line several routes run (a body parser, a helper
 * every route calls), where the probe names the route that runs it most, not the one whose requests
 * keep what it allocates: when the regression's route ran the line during the probe too and
 * explains at least 80% of the growth while the probe's explains at most 20%, the regression's
 * wins and the probe's is kept (measured: a listener leak on POST /subscribe whose growing line,
 * the JSON body parse, ran in POST /quote 184 of 200 times; /quote explained 1% of the growth).
 */
export function chooseRoute(
  regression: RouteAttribution | undefined,
  probed: RouteAttribution | undefined,
  hits: readonly { route: string; count: number }[],
): { route?: RouteAttribution; regressionRoute?: RouteAttribution; probeRoute?: RouteAttribution } {
  if (regression === undefined) return probed === undefined ? {} : { route: probed };
  if (probed === undefined || probed.route === regression.route) {
    // The regression's numbers, and the probe's count when it agrees.
    const route: RouteAttribution = { ...regression, method: 'regression' };
    if (probed?.probe !== undefined) route.probe = probed.probe;
    return { route };
  }
  const sharedLine =
    regression.share >= SHARED_LINE_SHARE &&
    probed.share <= 1 - SHARED_LINE_SHARE &&
    (hits.find((h) => h.route === regression.route)?.count ?? 0) > 0;
  if (sharedLine) return { route: { ...regression, method: 'regression' }, probeRoute: probed };
  return { route: probed, regressionRoute: regression };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A regex matching the script URL of `file` as CommonJS (a path) and ES modules (a file URL) name it. */
export function scriptUrlRegex(file: string, cwd = process.cwd()): string {
  let path = file;
  if (file.startsWith('file://')) path = new URL(file).pathname;
  else if (!isAbsolute(file)) path = resolvePath(cwd, file);
  const url = pathToFileURL(path).href;
  return `^(?:${escapeRegex(path)}|${escapeRegex(url)})$`;
}

type Emitter = { emit: (...args: unknown[]) => boolean };
type Globals = Record<symbol, unknown>;

// One probe at a time in a thread: the Debugger domain of the thread's one session is shared.
let running: RouteProbe | undefined;
let probes = 0;

/**
 * Which routes execute a line: a conditional breakpoint on it whose condition records the route of
 * the request in context and evaluates to false, so V8 never pauses (a same-thread session must
 * never pause: nothing could resume it). Until `maxHits` hits or `timeLimit` ms; then the
 * breakpoint is removed, the Debugger domain disabled, the channel unsubscribed and the context
 * disabled.
 *
 * The route of a request is its context from `http.server.request.start` (`enterWith`, which
 * reaches the handler and its awaits); on Node 24 (AsyncContextFrame) that does not reach events
 * the socket emits later (`'data'`, `'end'` of a request body), so the request and the response get
 * an own `emit` that runs the original in the request's context while the probe runs (and calls it
 * plainly after).
 *
 * @throws LeakkitError `ERR_LEAKKIT_INSPECTOR_UNAVAILABLE` without the inspector,
 *   `ERR_LEAKKIT_MONITOR` when another probe runs or the breakpoint cannot be set.
 */
export function startRouteProbe(options: RouteProbeOptions): RouteProbe {
  if (running?.active)
    throw new LeakkitError('ERR_LEAKKIT_MONITOR', 'Expected one route probe at a time, got two');
  const maxHits = options.maxHits ?? 200;
  const maxRoutes = options.maxRoutes ?? 100;
  const resolve = options.resolve;
  const own = options.storage === undefined;
  const als = options.storage ?? new AsyncLocalStorage<ProbeStore>();
  const key = Symbol.for(`leakkit.routeProbe.${process.pid}.${++probes}`);
  const counts = new Map<string, number>();
  const started = Date.now();
  let total = 0;
  let live = true;
  let result: RouteProbeResult | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let breakpointId: string | undefined;
  let enabled = false;
  let subscribed = false;
  let settle: (r: RouteProbeResult) => void = () => {};
  const done = new Promise<RouteProbeResult>((r) => {
    settle = r;
  });
  const session = inspectorSession();

  const count = (route: string) => {
    const known = counts.get(route);
    if (known !== undefined) counts.set(route, known + 1);
    else if (counts.size < maxRoutes) counts.set(route, 1);
    else counts.set(OTHER, (counts.get(OTHER) ?? 0) + 1);
  };

  // Called from the breakpoint's condition, in the frame of the line: it must never throw.
  const hook = () => {
    try {
      if (!live || total >= maxHits) return;
      const store = als.getStore();
      count(
        store === undefined
          ? OUTSIDE
          : typeof store === 'string'
            ? store
            : requestRoute(store.request, store.response, resolve),
      );
      total++;
      if (total >= maxHits) {
        // The breakpoint goes now, from inside its condition (measured safe on Node 20, 22 and 24):
        // every run of a line with a breakpoint costs ~0.1 ms of V8's break handling whatever the
        // condition, and a loop over the line would pay it at every iteration until the next turn
        // of the event loop. The rest of the cleanup waits for that turn.
        removeBreakpoint();
        setImmediate(() => finish('hits')).unref();
      }
    } catch {
      // Best effort: a hit that cannot be named is not counted.
    }
  };

  let cleanupError: unknown;
  const removeBreakpoint = () => {
    if (breakpointId === undefined) return;
    const id = breakpointId;
    breakpointId = undefined;
    try {
      postSync(session, 'Debugger.removeBreakpoint', { breakpointId: id });
    } catch (error) {
      cleanupError ??= error;
    }
  };

  const wrapEmit = (target: Emitter, store: ProbeStore) => {
    // An emit someone else put on this object is theirs: left alone.
    if (Object.hasOwn(target, 'emit')) return;
    const original = target.emit;
    target.emit = function emit(this: unknown, ...args: unknown[]): boolean {
      // After the probe, the plain call: run() on a disabled context would enable it again.
      if (!live) return Reflect.apply(original, this, args) as boolean;
      return als.run(store, () => Reflect.apply(original, this, args) as boolean);
    };
  };

  const onRequest = (message: unknown) => {
    try {
      if (!live) return;
      const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
      const store: ProbeStore = { request, response };
      als.enterWith(store);
      wrapEmit(request as unknown as Emitter, store);
      wrapEmit(response as unknown as Emitter, store);
    } catch {
      // A message of an unexpected shape: that request goes unnamed.
    }
  };

  function finish(reason: RouteProbeResult['reason']): RouteProbeResult {
    if (result !== undefined) return result;
    live = false;
    removeBreakpoint();
    let error: unknown = cleanupError;
    const attempt = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        error ??= e;
      }
    };
    if (timer !== undefined) clearTimeout(timer);
    if (enabled) attempt(() => postSync(session, 'Debugger.disable'));
    attempt(() => {
      delete (globalThis as unknown as Globals)[key];
    });
    if (subscribed) attempt(() => diagnostics.unsubscribe('http.server.request.start', onRequest));
    if (own) attempt(() => als.disable());
    const hits = [...counts].map(([route, n]) => ({ route, count: n })).sort((a, b) => b.count - a.count);
    const verdict = probeVerdict(hits);
    result = {
      hits,
      total,
      sampled: verdict.sampled,
      route: verdict.route,
      routeHits: verdict.routeHits,
      started,
      ended: Date.now(),
      reason,
    };
    if (error !== undefined) result.error = error;
    if (running === probe) running = undefined;
    settle(result);
    return result;
  }

  const probe: RouteProbe = {
    done,
    get active() {
      return live;
    },
    stop: () => finish('stopped'),
  };
  running = probe;
  try {
    (globalThis as unknown as Globals)[key] = hook;
    if (own) {
      diagnostics.subscribe('http.server.request.start', onRequest);
      subscribed = true;
    }
    postSync(session, 'Debugger.enable');
    enabled = true;
    // Belt and braces: a `debugger;` statement in the app is skipped too. Conditions are still
    // evaluated (measured on Node 20, 22 and 24).
    postSync(session, 'Debugger.setSkipAllPauses', { skip: true });
    // The condition records, then says no: V8 never pauses. A condition that throws counts as false too.
    const condition = `(globalThis[Symbol.for(${JSON.stringify(key.description)})]?.(), false)`;
    ({ breakpointId } = postSync<{ breakpointId: string }>(session, 'Debugger.setBreakpointByUrl', {
      lineNumber: options.line - 1,
      urlRegex: scriptUrlRegex(options.file),
      condition,
    }));
  } catch (error) {
    finish('failed');
    throw error instanceof LeakkitError
      ? error
      : new LeakkitError('ERR_LEAKKIT_MONITOR', `Could not set the route probe: ${String(error)}`, {
          cause: error,
        });
  }
  timer = setTimeout(() => finish('time'), options.timeLimit ?? 30_000);
  timer.unref();
  return probe;
}
