import type { Detector, Finding, Severity } from '@leakkit/core';
import type { Growth, HeapGraph } from '@leakkit/core/heap';
import { chainSite, growthAdvice, growthUnit } from '@leakkit/core/heap';
import { bytes, count } from './format.js';

/**
 * What to do about a collection that only grows, by what it is: the monitor's advice
 * (`growthAdvice`), in the CLI's words for Maps and Sets keyed by objects and for arrays. Pattern
 * detectors (`timers()`, `caches()`) know better for the patterns they recognise and take over the
 * finding.
 */
function adviceFor(g: Growth): string {
  if ((g.kind === 'map' || g.kind === 'set') && g.keys === 'object') {
    return `Entries keyed by objects are added and never removed: if they belong to those objects, make it a Weak${g.kind === 'map' ? 'Map' : 'Set'} so they go with them; otherwise delete each entry when its work is done.`;
  }
  if (g.kind === 'array')
    return 'Items are pushed and never removed: clear it once they are processed, or cap its length (drop the oldest).';
  return growthAdvice(g);
}

function describe(g: Growth): string {
  const reactions = g.kind === 'chain' && g.name === 'PromiseReaction';
  const calls = g.kind === 'chain' && g.name === 'Promise';
  const what =
    g.kind === 'string'
      ? 'String'
      : reactions
        ? 'The pending reactions of the promise'
        : calls
          ? 'The chain of promises of the async function'
          : g.kind === 'chain'
            ? `Chain of ${g.name || 'objects'} behind`
            : g.name;
  const noun = g.kind === 'chain' ? growthUnit(g) : ['entry', 'entries'];
  const per =
    g.unit === 'bytes'
      ? `${bytes(g.countPerStep)}`
      : `${count(g.countPerStep)} ${g.countPerStep === 1 ? noun[0] : noun[1]}`;
  return `${what} \`${g.path}\` grows by ${per} per snapshot`;
}

/**
 * The CLI's generic finding: one per growing object or collection `findGrowth` reports on a series
 * of heap graphs. Priority 0: a pattern detector that names the same path speaks instead.
 *
 * Severity `leak` when it grew at every step of a series of three steps or more (four snapshots),
 * `warning` when it grew at most of them (findGrowth lets a step pass without growth) or the series
 * is only two steps long: too short to be sure, as the pattern detectors also judge. Confidence
 * rises with the number of steps that grew: 0.75 for two steps out of two, 0.875 for three of three.
 */
export function growthDetector(): Detector {
  return {
    name: 'growth',
    priority: 0,
    needs: { heapGraphs: true },
    check(ctx) {
      const heap = ctx.heap;
      if (heap === undefined || heap.graphs.length < 3) return [];
      const last = heap.graphs[heap.graphs.length - 1]!;
      return heap.growth.map((g) => toFinding(g, last));
    },
  };
}

function toFinding(g: Growth, last: HeapGraph): Finding {
  const steps = g.counts.length - 1;
  let up = 0;
  for (let i = 1; i < g.counts.length; i++) if (g.counts[i]! > g.counts[i - 1]!) up++;
  const severity: Severity = up === steps && steps >= 3 ? 'leak' : 'warning';
  let retained: number | undefined;
  try {
    retained = last.retainedSize(g.nodeId);
  } catch {
    // The node is the last graph's by construction; an absent one only loses the retained size.
  }
  const finding: Finding = {
    id: `growth:${g.path}`,
    detector: 'growth',
    severity,
    title: describe(g),
    path: g.path,
    growth: {
      ...(g.unit === 'entries' ? { count: g.counts[g.counts.length - 1]! } : {}),
      bytes: retained ?? g.bytes[g.bytes.length - 1]!,
    },
    confidence: (up / steps) * (1 - 0.5 ** up),
    advice: adviceFor(g),
    evidence: {
      kind: g.kind,
      name: g.name,
      unit: g.unit,
      counts: g.counts,
      countPerStep: g.countPerStep,
      bytesPerStep: g.bytesPerStep,
      share: g.share,
      ...(g.keys === undefined ? {} : { keys: g.keys }),
      ...(g.link === undefined ? {} : { link: g.link }),
      ...(g.file === undefined ? {} : { file: g.file }),
      ...(g.line === undefined ? {} : { line: g.line }),
    },
  };
  const site = chainSite(g);
  if (site !== undefined) finding.site = site;
  return finding;
}
