import type { Detector, DetectorContext, Finding } from '../detect/types.js';
import { attributeRoutes, explainsGrowth, routeCounts, standingOut } from './analysis.js';
import { formatCount } from './format.js';
import type { HandleSites } from './handle-sites.js';

/** The monitor's detector of handles that pile up (`process.getActiveResourcesInfo()` by type). */
export const HANDLES = 'handles';
/** Gauge name prefix of the per-type handle counts the monitor records each tick. */
export const HANDLE_GAUGE_PREFIX = 'handles:';

// Types left to others: timeouts are the timers detector's (it knows their sites); immediates run on
// the next turn and are never held.
const LEFT_OUT = new Set(['Timeout', 'Immediate']);
// Least rise over the window, in handles, to speak: a server that opens a few more sockets as its
// load grows is not leaking them.
const MIN_RISE = 20;

/** What a handle type is, for a developer, and how it is closed. */
interface HandleKind {
  what: string;
  close: string;
}

// The type names are Node's (`process.getActiveResourcesInfo()`), stable since Node 17.
const KINDS: Record<string, HandleKind> = {
  FSEventWrap: {
    what: '`fs.watch()` watchers',
    close:
      'Close each watcher when it is no longer needed (`watcher.close()`), or watch a file once and reuse the watcher instead of opening one per request.',
  },
  StatWatcher: {
    what: '`fs.watchFile()` watchers',
    close: 'Stop each one with `fs.unwatchFile(file, listener)`, or watch a file once and reuse it.',
  },
  TCPSocketWrap: {
    what: 'TCP sockets',
    close:
      'Destroy sockets you open when done (`socket.destroy()`, `socket.end()`), consume or destroy HTTP responses (`res.resume()`) so their agent can reuse or close the connection, and give connections a timeout.',
  },
  TCPServerWrap: {
    what: 'TCP servers',
    close:
      'Close servers you start when they are done (`server.close()`): start one per process, not per request.',
  },
  PipeWrap: {
    what: 'pipes (Unix sockets, child process stdio)',
    close: 'End and destroy the streams of pipes you open, and of child processes when they are done.',
  },
  ProcessWrap: {
    what: 'child processes',
    close:
      'Make sure each child process exits (wait for `exit`, `child.kill()` on timeout) and bound how many run at once.',
  },
  FileHandle: {
    what: 'open files (`fs.promises.open()`)',
    close: 'Close each FileHandle (`await handle.close()` in a `finally` block).',
  },
  UDPWrap: {
    what: 'UDP sockets',
    close: 'Close each dgram socket when done (`socket.close()`), or reuse one.',
  },
  FSReqCallback: {
    what: 'pending file-system requests',
    close:
      'File-system calls are started faster than they finish: bound how many run at once, and look for calls that never complete (a stuck NFS mount, a FIFO nobody writes).',
  },
};

/**
 * The monitor's built-in detector of handles that keep piling up: watchers, sockets, servers, child
 * processes, open files, counted by type each tick (`process.getActiveResourcesInfo()`). A leak of
 * handles may hold little heap (an `fs.watch()` watcher is a few hundred bytes) but exhausts the
 * process's file descriptors or the system's inotify watches long before its memory.
 *
 * A type is reported when its count rises as a leak does (the same trend test as the heap's: steady,
 * not levelling off) by at least {@link MIN_RISE} handles over the gauges' window, to at least twice
 * what it was at the window's start. Timeouts are the timers detector's. With `sites`, the monitor's
 * sampler of where handles are opened, a reported type gets the line that opens them, from the
 * ticks after the first report on.
 *
 * @internal
 */
export function handlesDetector(sites?: HandleSites): Detector {
  return {
    name: HANDLES,
    priority: 0,
    needs: { gauges: true },
    check: (ctx) => {
      const found = handleFindings(ctx, sites);
      sites?.settle();
      return found;
    },
  };
}

/**
 * The route whose requests the count follows, by the heap's route regression and its rules run on
 * this count (see explainsGrowth, standingOut). Undefined when the app counts no routes or none
 * stands out.
 */
function followedRoute(
  ctx: DetectorContext,
  times: Float64Array,
  series: Float64Array,
  from: number,
  rise: number,
): string | undefined {
  const routes = routeCounts(ctx.gauges);
  if (routes.length === 0) return undefined;
  const explaining = attributeRoutes(times, series, routes, from, series.length, rise).filter(explainsGrowth);
  return standingOut(explaining)?.route;
}

/** The median of the first tenth (at least three readings) of the trend's part of `series`. */
function startLevel(series: Float64Array, from: number): number {
  const n = Math.max(3, Math.ceil((series.length - from) / 10));
  const head = Array.from(series.subarray(from, from + n)).sort((a, b) => a - b);
  return head[head.length >> 1] ?? 0;
}

function handleFindings(ctx: DetectorContext, sites: HandleSites | undefined): Finding[] {
  const out: Finding[] = [];
  let times: Float64Array | undefined;
  for (const name of ctx.gauges.names()) {
    if (!name.startsWith(HANDLE_GAUGE_PREFIX)) continue;
    const type = name.slice(HANDLE_GAUGE_PREFIX.length);
    if (LEFT_OUT.has(type)) continue;
    const series = ctx.gauges.series(name);
    if (series === undefined || series.length < 8) continue;
    // A type first seen mid-window has no reading before: none were open.
    for (let i = 0; i < series.length; i++) if (Number.isNaN(series[i]!)) series[i] = 0;
    times ??= ctx.gauges.times();
    const t = ctx.stats.classifyTrend(series, { xs: times });
    if (t.verdict !== 'leak' || !(t.rise >= MIN_RISE)) continue;
    const now = series[series.length - 1]!;
    // At least twice as many open as at the window's start: a server whose connections follow a
    // slow rise in traffic (more clients through the morning) keeps them in proportion, a leak
    // keeps adding to them.
    if (now < 2 * startLevel(series, t.from)) continue;
    const perMinute = t.slope * 60_000;
    const kind = KINDS[type] ?? {
      what: `\`${type}\` handles`,
      close: 'Close or destroy what you open when its work is done, or open it once and reuse it.',
    };
    const route = followedRoute(ctx, times, series, t.from, t.rise);
    // Where they are opened: sampled from the next ones opened (see HandleSites), on later ticks.
    sites?.watch(type);
    const site = sites?.siteOf(type);
    out.push({
      ...(route === undefined ? {} : { route }),
      ...(site === undefined ? {} : { site }),
      id: `${HANDLES}:${type}`,
      detector: HANDLES,
      severity: 'leak',
      title: `Open ${kind.what} pile up: +${formatCount(perMinute)} per minute, ${formatCount(now)} open`,
      path: `(active handles) › ${type}`,
      growth: { count: now },
      confidence: Math.min(0.99, Math.max(0.5, t.confidence)),
      advice: `${kind.close} Each one stays open, with what its callbacks hold, until it is closed.`,
      evidence: { type, open: now, perMinute, rise: t.rise },
    });
  }
  return out;
}
