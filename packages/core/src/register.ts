/**
 * Zero-code attach: `node --import @leakkit/core/register app.js` (or `--require` for CommonJS apps)
 * starts a leak monitor in the program without touching its code. Configured by environment
 * variables (all optional):
 *
 * - `LEAKKIT_INTERVAL`: time between ticks, `30s`, `1m` (default `1m`).
 * - `LEAKKIT_DETECTORS`: comma-separated detectors: `timers`, `caches` (`@leakkit/detector-<name>`,
 *   factory `<name>()`), or `module#export` for your own; `none` for none (default: `timers,caches`
 *   where installed).
 * - `LEAKKIT_REPORT`: comma-separated reporters: `console` (`@leakkit/reporter-console`, to stderr),
 *   `json` (JSON lines to stdout) or `json:<file>` (default `console`).
 * - `LEAKKIT_HEAP_SNAPSHOTS`: `auto`, `on`, `off` (default `auto`).
 * - `LEAKKIT_MAX_PAUSE`: the pause budget of a heap capture, `500ms`, `2s`.
 * - `LEAKKIT_TRACING`: `on`, `off`, or the sampling interval (`512KiB`).
 * - `LEAKKIT_CAPTURE_SIGNAL`: a signal that starts a heap series now, `SIGUSR2` (default none).
 * - `LEAKKIT_NEAR_LIMIT_SNAPSHOT`: a directory (or `1` for the temporary one) for one heap snapshot
 *   written before an out-of-memory crash.
 *
 * Findings are reported as they come and a report is printed when the program exits (on `exit`, or
 * on SIGINT/SIGTERM when the program does not handle them itself: it then still dies of the signal).
 * Only the main thread is monitored (`LEAKKIT_DISABLE=1` turns it off); a bad variable is a warning,
 * never a crash.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { Detector } from './detect/types.js';
import { LeakkitError } from './errors.js';
import type { Monitor } from './monitor/monitor.js';
import { createMonitor } from './monitor/monitor.js';
import type { MonitorOptions } from './monitor/options.js';
import { policyFromEnv } from './monitor/options.js';
import { parseDuration, parseSize } from './options.js';
import { jsonReporter } from './report/json.js';
import type { Reporter } from './report/types.js';

const GUARD = Symbol.for('leakkit.register');

function warn(message: string): void {
  process.emitWarning(message, { type: 'LeakkitWarning', code: 'LEAKKIT_REGISTER' });
}

/** Requires a package or file from the app's point of view (cwd, the main script's folder), then from leakkit's. */
function load(spec: string): Record<string, unknown> | undefined {
  const bases = [join(process.cwd(), 'noop.js')];
  if (process.argv[1]) bases.push(join(dirname(process.argv[1]), 'noop.js'));
  bases.push(import.meta.url);
  let lastError: unknown;
  for (const base of bases) {
    let resolved: string;
    const require = createRequire(base);
    try {
      resolved = require.resolve(spec);
    } catch (error) {
      lastError = error;
      continue;
    }
    // ES modules without top-level await load through require() from Node 20.19 / 22.12 on, which
    // lets the monitor start synchronously, before the app's first line.
    return require(resolved) as Record<string, unknown>;
  }
  if (lastError !== undefined && (lastError as { code?: string }).code !== 'MODULE_NOT_FOUND')
    throw lastError;
  return undefined;
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function detectorsFrom(env: string | undefined): Detector[] {
  const explicit = env !== undefined && env.trim() !== '';
  const list = explicit ? env.split(',').map((s) => s.trim()) : ['timers', 'caches'];
  if (list.length === 1 && list[0] === 'none') return [];
  const out: Detector[] = [];
  for (const item of list) {
    if (item === '') continue;
    const hash = item.lastIndexOf('#');
    const spec = hash > 0 ? item.slice(0, hash) : `@leakkit/detector-${item}`;
    const factory = hash > 0 ? item.slice(hash + 1) : camel(item);
    try {
      const mod = load(spec);
      if (mod === undefined) {
        if (explicit)
          warn(`leakkit: detector \`${item}\` not found (${spec} is not installed); running without it`);
        continue;
      }
      const make = mod[factory];
      if (typeof make !== 'function') {
        warn(`leakkit: ${spec} has no \`${factory}()\` export; running without detector \`${item}\``);
        continue;
      }
      out.push((make as () => Detector)());
    } catch (error) {
      warn(`leakkit: detector \`${item}\` could not be loaded: ${(error as Error).message}`);
    }
  }
  return out;
}

/** The fallback when @leakkit/reporter-console is not installed: findings as plain lines on stderr. */
function plainReporter(): Reporter {
  const line = (text: string): void => {
    process.stderr.write(`leakkit: ${text}\n`);
  };
  return {
    name: 'plain',
    onFinding: (f, change) =>
      line(
        `${change === 'new' ? '' : 'escalated: '}[${f.severity}] ${f.title}${f.route ? ` (${f.route})` : ''}`,
      ),
    onReport: (r) => {
      line(`report after ${Math.round((r.time - r.startedAt) / 1000)} s, ${r.requests} requests`);
      if (r.heap.forecast) line(r.heap.forecast.text);
      for (const f of r.findings) {
        line(`[${f.severity}] ${f.title}`);
        if (f.path) line(`  path:   ${f.path}`);
        if (f.site) line(`  site:   ${f.site.file}:${f.site.line}`);
        if (f.route) line(`  route:  ${f.route}`);
        line(`  advice: ${f.advice}`);
      }
      if (r.findings.length === 0) line('no leak found');
    },
  };
}

function reportersFrom(env: string | undefined): Reporter[] {
  const list = env === undefined || env.trim() === '' ? ['console'] : env.split(',').map((s) => s.trim());
  const out: Reporter[] = [];
  for (const item of list) {
    if (item === 'console') {
      try {
        const mod = load('@leakkit/reporter-console');
        const make = mod?.consoleReporter;
        out.push(typeof make === 'function' ? (make as () => Reporter)() : plainReporter());
      } catch {
        out.push(plainReporter());
      }
    } else if (item === 'json') out.push(jsonReporter());
    else if (item.startsWith('json:') && item.length > 5) out.push(jsonReporter({ file: item.slice(5) }));
    else if (item !== 'none')
      warn(`leakkit: LEAKKIT_REPORT: expected console, json or json:<file>, got \`${item}\``);
  }
  return out;
}

/** Reads one variable through `parse`; a bad value is a warning and the default stays. */
function fromEnv<T>(name: string, parse: (value: string) => T): T | undefined {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return parse(value.trim());
  } catch (error) {
    warn(`leakkit: ignoring ${name}=${value}: ${(error as Error).message}`);
    return undefined;
  }
}

function optionsFromEnv(): MonitorOptions {
  const options: MonitorOptions = {};
  const interval = fromEnv('LEAKKIT_INTERVAL', (v) => parseDuration('LEAKKIT_INTERVAL', v));
  if (interval !== undefined) options.interval = interval;
  const maxPause = fromEnv('LEAKKIT_MAX_PAUSE', (v) => parseDuration('LEAKKIT_MAX_PAUSE', v));
  if (maxPause !== undefined) options.maxPause = maxPause;
  const snapshots = fromEnv('LEAKKIT_HEAP_SNAPSHOTS', (v) => {
    const p = policyFromEnv(v);
    if (p === undefined) throw new Error('expected auto, on or off');
    return p;
  });
  if (snapshots !== undefined) options.heapSnapshots = snapshots;
  const tracing = fromEnv('LEAKKIT_TRACING', (v) => {
    const p = policyFromEnv(v);
    if (p === 'off') return false as const;
    if (p !== undefined) return true as const;
    return { samplingInterval: parseSize('LEAKKIT_TRACING', v) };
  });
  if (tracing !== undefined) options.tracing = tracing;
  const signal = fromEnv('LEAKKIT_CAPTURE_SIGNAL', (v) => {
    if (!/^SIG[A-Z0-9]+$/.test(v)) throw new Error('expected a signal name like SIGUSR2');
    return v as NodeJS.Signals;
  });
  if (signal !== undefined) options.captureSignal = signal;
  const near = fromEnv('LEAKKIT_NEAR_LIMIT_SNAPSHOT', (v) => (policyFromEnv(v) === 'on' ? true : v));
  if (near !== undefined && policyFromEnv(String(near)) !== 'off') options.heapSnapshotNearLimit = near;
  return options;
}

function attach(): Monitor | undefined {
  // A marker, not the monitor: the monitor stays reachable from this module only, so what it holds
  // is anchored in leakkit's own files and never reported as the program's growth.
  const global = globalThis as { [GUARD]?: true };
  if (!isMainThread || /^(1|true|yes)$/i.test(process.env.LEAKKIT_DISABLE ?? '')) return undefined;
  // Loaded twice (--import and NODE_OPTIONS, or two copies of leakkit): one monitor is enough.
  if (global[GUARD] === true) return undefined;
  let monitor: Monitor;
  try {
    monitor = createMonitor({
      ...optionsFromEnv(),
      detectors: detectorsFrom(process.env.LEAKKIT_DETECTORS),
      reporters: reportersFrom(process.env.LEAKKIT_REPORT),
    });
  } catch (error) {
    warn(`leakkit: the monitor could not start: ${(error as Error).message}`);
    return undefined;
  }
  global[GUARD] = true;
  // Failures inside the monitor are reported to its reporters; the host never sees a throw.
  monitor.on('error', () => {});
  monitor.start();

  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    // The synchronous part of stop() hands the final report to every reporter; a program that ends
    // before the first tick has nothing to report.
    const r = monitor.report();
    monitor.stop({ report: r.ticks > 0 || r.findings.length > 0 }).catch(() => undefined);
  };
  process.on('exit', finish);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      // The program handles the signal itself: it decides when to exit, and `exit` reports then.
      if (process.listenerCount(signal) > 1) return;
      finish();
      process.off(signal, onSignal);
      // Die of the signal as the program would have without us.
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
  return monitor;
}

/**
 * The monitor attached by this preload, or undefined (a worker thread, or it could not start).
 *
 * @example
 * ```ts
 * // node --import @leakkit/core/register app.js
 * import { monitor } from '@leakkit/core/register';
 * monitor?.on('finding', (f) => log.warn(f.title));
 * ```
 */
export const monitor: Monitor | undefined = (() => {
  try {
    return attach();
  } catch (error) {
    warn(
      `leakkit: the monitor could not start: ${error instanceof LeakkitError ? error.message : String(error)}`,
    );
    return undefined;
  }
})();
