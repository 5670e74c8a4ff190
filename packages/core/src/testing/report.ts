import { relative, sep } from 'node:path';
import type { Finding } from '../detect/types.js';
import { formatSize } from '../tracing/format.js';
import { isOwn } from '../tracing/source.js';
import { formatBytes, formatCount } from './findings.js';
import type { BoundedResult } from './types.js';

/** Options of {@link formatBoundedReport}. */
export interface ReportOptions {
  /**
   * ANSI colours.
   * @default true when stderr is a terminal and `NO_COLOR` is unset
   */
  color?: boolean;
  /**
   * The directory paths are shown relative to.
   * @default process.cwd()
   */
  cwd?: string;
}

interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

function paint(color: boolean): Paint {
  const wrap = (open: number, close: number) => (s: string) =>
    color ? `\u001b[${open}m${s}\u001b[${close}m` : s;
  return { red: wrap(31, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

function defaultColor(): boolean {
  return process.stderr.isTTY === true && !process.env.NO_COLOR;
}

function show(file: string, cwd: string): string {
  if (file.startsWith('node:') || !file.startsWith(sep)) return file;
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

interface SiteEvidence {
  file: string;
  line: number;
  count: number;
  bytes: number;
}

function siteLines(f: Finding, cwd: string): string[] {
  const sites = (f.evidence?.sites as SiteEvidence[] | undefined) ?? [];
  // tracemalloc's `compare_to` line: everything at the site is new since the rounds began.
  return sites.map(
    (s) =>
      `${show(s.file, cwd)}:${s.line}: size=${formatSize(s.bytes)} (${formatSize(s.bytes, true)}), count=${s.count} (+${s.count}), average=${formatSize(s.bytes / Math.max(1, s.count))}`,
  );
}

function renderFinding(f: Finding, p: Paint, cwd: string): string[] {
  const mark = f.severity === 'leak' ? p.red('✗') : f.severity === 'warning' ? p.yellow('!') : p.dim('i');
  const lines = [`${mark} ${p.bold(f.title)}`];
  const field = (name: string, value: string) => lines.push(`    ${p.dim(name.padEnd(7))}${value}`);
  if (f.path !== undefined) field('path', f.path);
  if (f.site !== undefined)
    field('site', `${show(f.site.file, cwd)}:${f.site.line}${f.site.column ? `:${f.site.column}` : ''}`);
  const g = f.growth;
  const rates: string[] = [];
  if (g.objectsPerIteration !== undefined) {
    rates.push(
      `${formatCount(g.objectsPerIteration)} ${g.objectsPerIteration === 1 ? 'object' : 'objects'} per call`,
    );
  }
  if (g.bytesPerIteration !== undefined) rates.push(`${formatBytes(g.bytesPerIteration)} per call`);
  if (g.count !== undefined) rates.push(`${formatCount(g.count)} held at the end`);
  if (rates.length > 0) field('growth', rates.join(', '));
  const sites = siteLines(f, cwd);
  sites.forEach((s, i) => {
    field(i === 0 ? 'sites' : '', s);
  });
  const stack = f.evidence?.stack;
  if (typeof stack === 'string') {
    const frames = stack
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter((l) => {
        if (!l.startsWith('at ') || /\(node:|at node:/.test(l)) return false;
        // The program's frames only: not a dependency's, not leakkit's own.
        const file = /\(?((?:file:\/\/)?[^\s()]+?):\d+:\d+\)?$/.exec(l)?.[1];
        return file === undefined || (!/[\\/]node_modules[\\/]/.test(file) && !isOwn(file));
      })
      .slice(0, 4);
    frames.forEach((s, i) => {
      field(i === 0 ? 'stack' : '', s);
    });
  }
  field('advice', f.advice);
  const also = f.evidence?.alsoReportedBy;
  if (Array.isArray(also) && also.length > 0) {
    field('also', `reported by ${also.map((a) => (a as { detector: string }).detector).join(', ')}`);
  }
  return lines;
}

/**
 * Renders a check's result for a terminal: a headline, then each finding with what grows (path),
 * where it is allocated (site, with tracemalloc-style lines), how fast and what to do; then what
 * `ignore` and `maxBytesPerIteration` hid. Heap strings never appear unless the check ran with
 * `strings: true` (paths show hashes).
 *
 * @param result - What `checkBounded` returned.
 * @param options - `color`, `cwd`.
 * @returns The report, lines joined with `\n`, no trailing newline.
 *
 * @example
 * ```ts
 * const result = await checkBounded(handler);
 * if (!result.bounded) console.error(formatBoundedReport(result));
 * ```
 */
export function formatBoundedReport(result: BoundedResult, options: ReportOptions = {}): string {
  const p = paint(options.color ?? defaultColor());
  const cwd = options.cwd ?? process.cwd();
  const leaks = result.findings.filter((f) => f.severity === 'leak').length;
  const how = `${formatCount(result.iterations)} calls, rounds of ${formatCount(result.iterationsPerRound)}, ${
    result.evidence === 'heap-graphs'
      ? 'objects counted by id in heap graphs'
      : 'heap sizes flat after full GCs'
  }, ${(result.durationMs / 1000).toFixed(1)} s`;
  const head = result.bounded
    ? `leakkit: the function stays bounded (${how})`
    : `leakkit: the function is not bounded: ${leaks === 1 ? '1 leak' : `${leaks} leaks`} (${how})`;
  const lines = [result.bounded ? p.bold(head) : p.red(p.bold(head))];
  if (result.bounded && result.findings.length === 0) {
    lines.push(
      `  growth per call: ${formatBytes(result.perIteration.bytes)}, ${formatCount(result.perIteration.objects)} objects`,
    );
  }
  for (const f of result.findings) lines.push('', ...renderFinding(f, p, cwd));
  if (result.ignored.length > 0) {
    lines.push('', p.dim(`Ignored (matched \`ignore\`): ${result.ignored.length}`));
    for (const f of result.ignored) lines.push(p.dim(`  - ${f.title}`));
  }
  if (result.accepted.length > 0) {
    const total = result.accepted.reduce((t, f) => t + (f.growth.bytesPerIteration ?? 0), 0);
    lines.push('', p.dim(`Within maxBytesPerIteration (${formatBytes(total)} per call in all):`));
    for (const f of result.accepted) lines.push(p.dim(`  - ${f.title}`));
  }
  for (const failure of result.failures) lines.push('', p.yellow(`! ${failure.error.message}`));
  return lines.join('\n');
}
