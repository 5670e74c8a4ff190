import type { Finding, MonitorReport, Reporter, Severity } from '@leakkit/core';
import { LeakkitError } from '@leakkit/core';
import { growthUnit } from '@leakkit/core/heap';
import { bytes, count, cut, displayFile, duration, pad, sparkline } from './format.js';

/** Where the reporter writes: anything with `write(text)`; `isTTY` and `columns` are read when present. */
export interface ConsoleStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link consoleReporter}. */
export interface ConsoleReporterOptions {
  /**
   * Where to write. Standard error keeps the program's own output on standard output clean.
   * @defaultValue process.stderr
   */
  stream?: ConsoleStream;
  /**
   * Colours: `'auto'` uses them on a terminal unless `NO_COLOR` is set (`FORCE_COLOR` forces them).
   * @defaultValue 'auto'
   */
  color?: boolean | 'auto';
  /**
   * Allocation lines shown in the report (tracemalloc's top N).
   * @defaultValue 10
   */
  top?: number;
  /**
   * Print each finding as it appears (one line), besides the report at the end.
   * @defaultValue true
   */
  live?: boolean;
}

const ESC = '\u001b[';
const STYLES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  green: [32, 39],
} as const;
type Style = keyof typeof STYLES;

const SEVERITY_STYLE: Record<Severity, Style> = { leak: 'red', warning: 'yellow', info: 'cyan' };
const SEVERITY_RANK: Record<Severity, number> = { leak: 0, warning: 1, info: 2 };

function useColor(option: boolean | 'auto', stream: ConsoleStream): boolean {
  if (option !== 'auto') return option;
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

function checkOptions(options: ConsoleReporterOptions): Required<Omit<ConsoleReporterOptions, 'stream'>> & {
  stream: ConsoleStream;
} {
  const invalid = (option: string, expected: string, got: unknown) =>
    new LeakkitError(
      'ERR_LEAKKIT_INVALID_OPTION',
      `Expected \`${option}\` to be ${expected}, got \`${String(got)}\``,
      {
        option,
      },
    );
  if (options === null || typeof options !== 'object') throw invalid('options', 'an object', options);
  const { stream = process.stderr, color = 'auto', top = 10, live = true } = options;
  if (stream === null || typeof stream !== 'object' || typeof stream.write !== 'function') {
    throw invalid('stream', 'an object with a write(text) method', stream);
  }
  if (color !== 'auto' && typeof color !== 'boolean') throw invalid('color', "a boolean or 'auto'", color);
  if (typeof top !== 'number' || !Number.isInteger(top) || top < 0)
    throw invalid('top', 'an integer ≥ 0', top);
  if (typeof live !== 'boolean') throw invalid('live', 'a boolean', live);
  return { stream, color, top, live };
}

/** The growth of a finding in one short phrase: `+2.1 MiB/min · 12,345 entries · 1.1 MiB held`. */
function growthOf(f: Finding): string {
  const g = f.growth;
  const parts: string[] = [];
  if (g.bytesPerMinute !== undefined) parts.push(`+${bytes(g.bytesPerMinute)}/min`);
  if (g.bytesPerIteration !== undefined) parts.push(`+${bytes(g.bytesPerIteration)} per call`);
  if (g.objectsPerIteration !== undefined) parts.push(`+${count(g.objectsPerIteration)} objects per call`);
  if (g.count !== undefined) parts.push(`${count(g.count)} ${countNoun(f, g.count)}`);
  if (g.bytes !== undefined) parts.push(`${bytes(g.bytes)} held`);
  return parts.join(' · ');
}

/** What a finding's count counts, from the heap growth behind it (`evidence.growth`). */
function countNoun(f: Finding, n: number): string {
  const growth = (f.evidence as { growth?: { kind?: unknown; name?: unknown } } | undefined)?.growth;
  const [one, many] = growthUnit(growth ?? {});
  return n === 1 ? one : many;
}

/**
 * Renders what a leak monitor sees in a terminal: each finding as it appears (one line), and a
 * report at the end: a sparkline of the heap after GC with its trend and time-to-limit forecast,
 * the routes and what each explains of the growth, the top allocation lines (as Python's
 * tracemalloc prints them), a table of findings coloured by severity, and for each finding its
 * path, allocation site, route, growth and advice. Colours follow `NO_COLOR` and the terminal (none
 * when the output is not a TTY). Writes synchronously, so the final report gets out even when the
 * monitor is stopped from a `process.on('exit')` handler.
 *
 * @param options - see {@link ConsoleReporterOptions}.
 * @returns a reporter for `createMonitor({ reporters })`.
 * @throws LeakkitError `ERR_LEAKKIT_INVALID_OPTION` for a bad option.
 *
 * @example
 * ```ts
 * import { createMonitor } from '@leakkit/core';
 * import { consoleReporter } from '@leakkit/reporter-console';
 * const monitor = createMonitor({ reporters: [consoleReporter()] }).start();
 * process.on('SIGTERM', () => monitor.stop().then(() => process.exit(0)));
 * ```
 */
export function consoleReporter(options: ConsoleReporterOptions = {}): Reporter {
  const o = checkOptions(options);
  const stream = o.stream;
  const color = useColor(o.color, stream);
  const paint = (style: Style, text: string) =>
    color ? `${ESC}${STYLES[style][0]}m${text}${ESC}${STYLES[style][1]}m` : text;
  const out = (text = '') => {
    stream.write(`${text}\n`);
  };
  const width = () => Math.max(60, Math.min(160, stream.columns ?? 100));
  const severity = (s: Severity) => paint(SEVERITY_STYLE[s], s);

  const renderReport = (r: MonitorReport) => {
    const w = width();
    const lines: string[] = [];
    const push = (text = '') => lines.push(text);
    const elapsed = r.startedAt > 0 ? duration(r.time - r.startedAt) : '0 s';
    push(
      `${paint('bold', 'leakkit report')} ${paint('dim', `· ${elapsed} · ${count(r.requests)} requests · ${r.ticks} ticks · evidence: ${r.level}`)}`,
    );
    const h = r.heap;
    if (h.series.length > 0) {
      const first = h.series[0]!;
      const last = h.series[h.series.length - 1]!;
      push(`heap after GC  ${sparkline(h.series, Math.min(48, w - 40))}  ${bytes(first)} → ${bytes(last)}`);
    }
    if (h.forecast) push(`               ${h.forecast.text}`);
    else if (h.trend) {
      push(
        `               trend: ${h.trend.verdict} (${h.trend.reason}), ${h.trend.bytesPerHour >= 0 ? '+' : ''}${bytes(h.trend.bytesPerHour)}/h`,
      );
    }
    push(
      paint(
        'dim',
        `               rss ${bytes(h.rss)} · external ${bytes(h.external)} · array buffers ${bytes(h.arrayBuffers)} · heap limit ${bytes(h.limit)}${h.cgroupLimit !== null ? ` · cgroup ${bytes(h.cgroupLimit)}` : ''}`,
      ),
    );
    if (r.routes.length > 0) {
      push();
      push(paint('bold', 'Routes') + paint('dim', ' (heap growth regressed on requests per route)'));
      const rw = Math.min(40, Math.max(...r.routes.map((x) => x.route.length)));
      for (const x of r.routes.slice(0, 6)) {
        const per = Number.isFinite(x.bytesPerRequest) ? `+${bytes(x.bytesPerRequest)}/req` : '';
        const share = x.share > 0 ? `explains ${Math.round(x.share * 100)}% of growth` : '';
        const line = `  ${pad(cut(x.route, rw), rw)}  ${pad(`${count(x.requests)} req`, 12)}  ${pad(per, 13)}  ${share}`;
        push(x.share >= 0.5 || x.method === 'probe' ? paint('bold', line.trimEnd()) : line.trimEnd());
      }
      // Found by the probe (a steady mix the regression cannot separate): say how.
      const probed = r.routes.find((x) => x.method === 'probe' && x.probe !== undefined);
      if (probed?.probe !== undefined) {
        push(
          `  ${paint('bold', `route ${probed.route}`)}${paint(
            'dim',
            ` (executes the growing line in ${count(probed.probe.hits)} of ${count(probed.probe.sampled)} sampled runs)`,
          )}`,
        );
      } else if (r.heap.trend?.verdict === 'leak' && r.routes.every((x) => x.share === 0)) {
        // Growth with no route to blame: say why rather than let the zeros read as an answer.
        push(
          paint(
            'dim',
            '  no route explains the growth: the requests of each route did not vary apart enough in this window (a steady mix of routes cannot be told apart)',
          ),
        );
      }
    }
    if (o.top > 0 && r.allocations.length > 0) {
      push();
      push(paint('bold', 'Top allocations since the baseline') + paint('dim', ' (tracemalloc style)'));
      for (const line of r.allocations.slice(0, o.top)) push(`  ${cut(line, w - 2)}`);
    }
    if (r.captures.taken > 0 || r.captures.skipped > 0) {
      push();
      const c = r.captures;
      const what =
        c.taken > 0
          ? `${c.taken} heap capture${c.taken === 1 ? '' : 's'}${c.lastPause !== undefined ? ` (last pause ${c.lastPause} ms)` : ''}`
          : 'no heap capture';
      push(
        `${paint('bold', 'Heap graphs')} ${paint('dim', `${what}${c.skipped > 0 ? `, ${c.skipped} skipped: ${c.lastSkip ?? ''}` : ''}`)}`,
      );
      for (const g of c.growth.slice(0, 3)) {
        push(
          `  ${g.path}  ${paint('dim', `${g.kind}, +${count(g.countPerStep)} per capture, ${Math.round(g.share * 100)}% of heap growth`)}`,
        );
      }
    }
    push();
    if (r.findings.length === 0) {
      push(
        `${paint('green', 'No leak found')}${r.heap.trend ? paint('dim', ` (heap trend: ${r.heap.trend.verdict})`) : ''}`,
      );
    } else {
      const findings = [...r.findings].sort(
        (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.confidence - a.confidence,
      );
      push(paint('bold', `Findings (${findings.length})`));
      const routeW = Math.min(24, Math.max(5, ...findings.map((f) => (f.route ?? '').length)));
      const growthW = 14;
      const titleW = Math.max(20, w - 2 - 9 - routeW - growthW - 6);
      push(paint('dim', `  ${pad('SEVERITY', 9)}${pad('FINDING', titleW)}  ${pad('ROUTE', routeW)}  GROWTH`));
      for (const f of findings) {
        const g =
          f.growth.bytesPerMinute !== undefined ? `+${bytes(f.growth.bytesPerMinute)}/min` : growthOf(f);
        push(
          `  ${severity(f.severity)}${' '.repeat(9 - f.severity.length)}${pad(cut(f.title.replace(/`/g, ''), titleW), titleW)}  ${pad(cut(f.route ?? '', routeW), routeW)}  ${cut(g, growthW)}`,
        );
      }
      for (const f of findings) {
        push();
        push(`${paint(SEVERITY_STYLE[f.severity], '●')} ${severity(f.severity)}  ${paint('bold', f.title)}`);
        const field = (name: string, value: string) => push(`    ${paint('dim', pad(name, 10))}${value}`);
        if (f.path !== undefined) field('path', f.path);
        if (f.site !== undefined) field('site', `${displayFile(f.site.file)}:${f.site.line}`);
        const routeText = typeof f.evidence?.route === 'string' ? f.evidence.route : f.route;
        if (routeText !== undefined) field('route', routeText);
        const growth = growthOf(f);
        if (growth !== '') field('growth', growth);
        if (typeof f.evidence?.allocation === 'string') field('alloc', f.evidence.allocation);
        if (typeof f.evidence?.forecast === 'string') field('forecast', f.evidence.forecast);
        field('advice', f.advice);
        const also = Array.isArray(f.evidence?.alsoReportedBy)
          ? (f.evidence.alsoReportedBy as { detector?: string }[]).map((a) => a.detector).filter(Boolean)
          : [];
        field(
          'by',
          `${f.detector}${also.length > 0 ? ` (also: ${also.join(', ')})` : ''}, confidence ${Math.round(f.confidence * 100)}%`,
        );
      }
    }
    if (r.errors.length > 0) {
      push();
      for (const e of r.errors.slice(0, 5)) push(paint('dim', `note: ${e}`));
    }
    out(lines.join('\n'));
  };

  const reporter: Reporter = {
    name: 'console',
    onError: (error) => out(paint('dim', `leakkit: ${error.message}`)),
    onReport: renderReport,
  };
  if (o.live) {
    reporter.onFinding = (f, change) => {
      const site = f.site ? `${displayFile(f.site.file)}:${f.site.line}` : undefined;
      // The line allocation tracing found (a tracemalloc diff line: `file:line: size=…`), when it is
      // not the site itself.
      const traced = typeof f.evidence?.allocation === 'string' ? f.evidence.allocation.split(': ')[0] : '';
      const allocated = traced !== '' && traced !== site ? `allocated at ${traced}` : undefined;
      const where = [f.route, f.path, site, allocated].filter(Boolean).join(', ');
      out(
        `leakkit: ${change === 'escalated' ? 'now ' : change === 'updated' ? 'more evidence: ' : ''}${severity(f.severity)} ${f.title.replace(/`/g, '')}${where ? paint('dim', ` (${where})`) : ''}`,
      );
    };
  }
  return reporter;
}
