import type { Finding, FindingSite } from '../detect/types.js';
import { isOwn } from '../tracing/source.js';
import type { SurvivorGroup } from './analysis.js';
import { isLinear } from './analysis.js';
import type { TimerRecord } from './handles.js';
import type { SiteResolver } from './sites.js';
import { siteFromStack } from './sites.js';
import type { TraceFrame } from './traces.js';
import type { BoundedRound } from './types.js';

/** Timers left active by the function, grouped by where they were created. */
export interface TimerSite {
  kind: TimerRecord['kind'];
  site: FindingSite;
  /** Live at the end. */
  count: number;
  /** Of those, keeping the process alive. */
  ref: number;
  /** Timers added per call, when their number grew in every round; else 0. */
  perIteration: number;
  /** One creation stack, as the program's stack trace shows it. */
  stack: string | undefined;
}

/**
 * Groups the live timers by creation site and decides whether their number grows with the calls:
 * the count of the function's live timers after every round must rise every round.
 */
export function timerGroups(
  leftover: readonly TimerRecord[],
  counts: readonly number[],
  rounds: readonly BoundedRound[],
): TimerSite[] {
  const sites = new Map<string, TimerSite>();
  // Formatting a stack is the costly part (a source-map lookup per frame under vitest): a sample of
  // the timers gives their sites, and each site's count is scaled back up.
  const step = Math.max(1, Math.ceil(leftover.length / TIMER_SAMPLE));
  for (let i = 0; i < leftover.length; i += step) {
    const t = leftover[i]!;
    const site = siteFromStack(t.stack, isOwn);
    // Timers with no frame of the program's (a test runner's, a library's own) are not its own.
    if (site === undefined) continue;
    const key = `${t.kind}\u0000${site.file}\u0000${site.line}`;
    const weight = Math.min(step, leftover.length - i);
    const s = sites.get(key);
    if (s) {
      s.count += weight;
      if (t.ref) s.ref += weight;
    } else {
      const ref = t.ref ? weight : 0;
      sites.set(key, { kind: t.kind, site, count: weight, ref, perIteration: 0, stack: t.stack });
    }
  }
  const steps = counts.slice(1).map((c, i) => c - counts[i]!);
  // Probe rounds are not sampled for timers.
  const measured = rounds.filter((r) => r.stage !== 'probe').reduce((t, r) => t + r.iterations, 0);
  if (steps.length > 0 && isLinear(steps, 1)) {
    const total = counts[counts.length - 1]! - counts[0]!;
    const rate = total / Math.max(1, measured);
    const all = [...sites.values()].reduce((t, s) => t + s.count, 0);
    for (const s of sites.values()) s.perIteration = (rate * s.count) / Math.max(1, all);
  }
  return [...sites.values()];
}

/** Timers whose creation stack is formatted, at most, to find their sites. */
const TIMER_SAMPLE = 64;

const TIMER_NAMES: ReadonlySet<string> = new Set(['Timeout', 'Immediate', 'TimersList']);

/** Whether a group is timers held by Node's timer lists (reported by the handles check instead). */
function isTimerGroup(group: SurvivorGroup): boolean {
  const top = group.names[0]?.[0];
  return top !== undefined && TIMER_NAMES.has(top);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${Math.abs(n) === 1 ? one : many}`;
}

/** A rate or count for people: integers as they are, else two significant digits. */
export function formatCount(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (Math.abs(n) >= 10) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(2)).toString();
}

/** Bytes for people: B, KiB, MiB with one decimal below 100. */
export function formatBytes(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1024) return `${formatCount(Math.round(n * 10) / 10)} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = n / 1024;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Math.abs(value) < 100 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function sum(values: readonly number[]): number {
  let t = 0;
  for (const v of values) t += v;
  return t;
}

function adviceFor(group: SurvivorGroup): string {
  switch (group.kind) {
    case 'array':
      return 'Something appends to this array on every call and nothing removes the entries: remove them when they are done with, cap its length, or keep an aggregate instead of every item.';
    case 'map':
    case 'set':
      return 'Entries are added on every call and never deleted: delete them when done, bound the collection (an LRU with a maximum size), or key a WeakMap by the object the entry describes.';
    case 'context':
      return 'A variable of this scope keeps more objects on every call (a list it appends to, or a chain where each call links to the last): reset or trim it, or do not keep the references.';
    case 'closure':
      return 'This function keeps more objects on every call through a variable it closes over: reset or trim what it captures.';
    case 'string':
      return 'This string is rebuilt longer on every call: write the pieces out (a stream, a logger) or cap the length.';
    default:
      return 'Properties are added to this object on every call and never deleted: delete them when done, or use a bounded Map.';
  }
}

/** Options of {@link growthFindings}. */
export interface GrowthFindingOptions {
  /** Calls per heap-size (and probe) round. */
  perRound: number;
  /** Calls per heap-graph round. */
  graphRound: number;
  graphRounds: number;
  timerSites: readonly TimerSite[];
  strings: boolean;
  /** The function under test, as a frame: the site of growth no allocation stack explains. */
  fallback?: TraceFrame | undefined;
}

/**
 * The generic finding for each confirmed group: what grows (`path`), where it is allocated (`site`),
 * how fast. Reported whatever the pattern, so an unknown kind of leak is never missed; a detector
 * that knows the pattern takes it over (same path, higher priority).
 */
export function growthFindings(
  groups: readonly SurvivorGroup[],
  resolver: SiteResolver,
  options: GrowthFindingOptions,
): Finding[] {
  const out: Finding[] = [];
  const k = options.graphRounds;
  const totalIterations = k * options.graphRound;
  const timersGrow = options.timerSites.some((t) => t.perIteration > 0 || t.ref > 0);
  for (const g of groups) {
    if (timersGrow && isTimerGroup(g)) continue;
    const path = g.path?.text ?? `<${g.kind} @${g.anchorId}>`;
    const sites = g.sites
      .slice(0, 3)
      .map((s) => ({ site: resolver.resolve(s.frame), count: s.count, bytes: s.bytes }));
    const site = g.definition
      ? resolver.resolveDefinition(g.definition.url, g.definition.line, g.definition.column)
      : (sites[0]?.site ?? (options.fallback ? resolver.resolve(options.fallback) : undefined));
    const checked = g.objects.slice(0, k - 1);
    let objectsPerIteration: number | undefined;
    let bytesPerIteration: number | undefined;
    const retainedBytes = g.retainedBytes;
    if (g.confirmed === 'objects') {
      objectsPerIteration = sum(checked) / ((k - 1) * options.graphRound);
    } else if (g.confirmed === 'size' && g.sizes) {
      objectsPerIteration =
        (g.sizes[g.sizes.length - 1]! - g.sizes[0]!) / ((g.sizes.length - 1) * options.perRound);
    }
    if (g.confirmed === 'objects') {
      // The kept objects' own bytes, exact; backing stores grow in steps and are left out.
      bytesPerIteration = sum(g.objectBytes.slice(0, k - 1)) / ((k - 1) * options.graphRound);
    } else if (retainedBytes && retainedBytes.length > 1) {
      bytesPerIteration = (retainedBytes[retainedBytes.length - 1]! - retainedBytes[0]!) / totalIterations;
    } else if (g.confirmed === 'size' && g.sizes && objectsPerIteration !== undefined) {
      // Numbers in a collection: its backing store per entry, times the entries added per call.
      const entries = g.sizes[0]!;
      const storeBytes = sum(g.bytes);
      if (entries > 0 && storeBytes > 0) bytesPerIteration = (storeBytes / entries) * objectsPerIteration;
    }
    const what = g.names[0]?.[0];
    const unit =
      g.confirmed === 'size'
        ? 'entry'
        : g.confirmed === 'bytes'
          ? undefined
          : what === 'string'
            ? 'string'
            : 'object';
    const rate =
      objectsPerIteration !== undefined && unit !== undefined
        ? `${plural(objectsPerIteration, unit, unit === 'entry' ? 'entries' : undefined)}${
            bytesPerIteration !== undefined ? ` (${formatBytes(bytesPerIteration)})` : ''
          } per call`
        : bytesPerIteration !== undefined
          ? `${formatBytes(bytesPerIteration)} per call`
          : 'on every call';
    const where = site ? `, allocated at ${shortFile(site.file)}:${site.line}` : '';
    const growth: Finding['growth'] = {};
    if (objectsPerIteration !== undefined) growth.objectsPerIteration = objectsPerIteration;
    if (bytesPerIteration !== undefined) growth.bytesPerIteration = bytesPerIteration;
    if (g.confirmed === 'size' && g.sizes) growth.count = g.sizes[g.sizes.length - 1]!;
    else growth.count = sum(g.objects);
    if (retainedBytes) growth.bytes = retainedBytes[retainedBytes.length - 1]!;
    const finding: Finding = {
      id: `growth:${path}`,
      detector: 'growth',
      severity: 'leak',
      title: `\`${path}\` keeps ${rate}${where}`,
      path,
      growth,
      // Exact: objects counted by id, every early round's survivors still alive, every round adding.
      confidence: 0.99,
      advice: adviceFor(g),
      evidence: {
        confirmedBy: g.confirmed,
        holder: g.kind,
        iterationsPerRound: options.graphRound,
        survivorsPerRound: g.objects,
        bytesPerRound: g.bytes,
        ...(g.entries ? { entries: g.entries } : {}),
        ...(g.retainedObjects ? { retainedObjects: g.retainedObjects } : {}),
        ...(g.retainedBytes ? { retainedBytes: g.retainedBytes } : {}),
        ...(g.sizes ? { sizes: g.sizes } : {}),
        types: g.names.slice(0, 5).map(([name, count]) => ({ name, count })),
        sites: sites.map((s) => ({ file: s.site.file, line: s.site.line, count: s.count, bytes: s.bytes })),
        // Where the site comes from: exact allocation stacks (or a function's definition) are the
        // most exact sites there are; a detector taking the finding over keeps them.
        ...(site && (g.definition || sites[0]) ? { siteFrom: 'allocations' } : {}),
      },
    };
    if (site) finding.site = site;
    out.push(finding);
  }
  return out;
}

function shortFile(file: string): string {
  const cwd = process.cwd();
  return file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}

/**
 * Findings for timers and handles the function left behind: timers whose number grows with the
 * calls, timers still pending after the check (they keep the process alive), and other handles
 * (servers, sockets, watchers) opened during the check and still active.
 */
export function handleFindings(
  timers: readonly TimerSite[],
  baseline: ReadonlyMap<string, number>,
  now: ReadonlyMap<string, number>,
  leftover: readonly TimerRecord[],
): Finding[] {
  const out: Finding[] = [];
  for (const t of timers) {
    const grows = t.perIteration > 0;
    if (!grows && t.ref === 0) continue;
    const noun = t.kind === 'setInterval' ? 'interval' : 'timeout';
    const at = `${shortFile(t.site.file)}:${t.site.line}`;
    const title = grows
      ? `\`${t.kind}()\` at ${at} leaves ${plural(t.perIteration, `active ${noun}`)} per call (${formatCount(t.count)} active)`
      : `${plural(t.count, noun)} created by \`${t.kind}()\` at ${at} ${t.count === 1 ? 'is' : 'are'} still active after the check`;
    const growth: Finding['growth'] = { count: t.count };
    if (grows) growth.objectsPerIteration = t.perIteration;
    const finding: Finding = {
      id: `handles:${t.kind}:${t.site.file}:${t.site.line}`,
      detector: 'handles',
      severity: 'leak',
      title,
      // What holds a timer is Node's timer list, not the program: the call that made it names it.
      path: `${t.kind}()`,
      site: t.site,
      growth,
      confidence: grows ? 0.99 : 0.9,
      advice:
        t.kind === 'setInterval'
          ? 'Keep the handle and call clearInterval() when the work is done (or .unref() it if it may outlive the caller by design).'
          : 'Keep the handle and call clearTimeout() when the result is no longer needed, or use a shorter delay.',
      evidence: { kind: t.kind, active: t.count, ref: t.ref, ...(t.stack ? { stack: t.stack } : {}) },
    };
    out.push(finding);
  }
  // Timers the wrapper did not see (made through a reference taken before the check) still show in
  // the active resources; so do servers, sockets and watchers.
  const recordedRef = leftover.filter((t) => t.ref).length;
  for (const [type, count] of now) {
    if (type === 'Immediate') continue;
    let extra = count - (baseline.get(type) ?? 0);
    if (type === 'Timeout') extra -= recordedRef;
    if (extra <= 0) continue;
    out.push({
      id: `handles:${type}`,
      detector: 'handles',
      severity: 'leak',
      title: `${plural(extra, `${type} handle`)} opened during the check ${extra === 1 ? 'is' : 'are'} still active`,
      path: `(active handles) › ${type}`,
      growth: { count: extra },
      confidence: 0.8,
      advice:
        'Close what the function opens (server.close(), socket.destroy(), watcher.close()) before it returns, or unref() it. Its creation stack is not known: leakkit sees it in process.getActiveResourcesInfo() only.',
      evidence: { type, before: baseline.get(type) ?? 0, after: count },
    });
  }
  return out;
}
