import type { RawFrame } from './source.js';
import type { TraceBuilder } from './traces.js';

/** The parts of `HeapProfiler.SamplingHeapProfile` we read. */
export interface SamplingProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  id: number;
  selfSize: number;
  children: SamplingProfileNode[];
}

/** The parts of `HeapProfiler.SamplingHeapProfile` we read. */
export interface SamplingProfile {
  head: SamplingProfileNode;
  samples: { size: number; nodeId: number; ordinal: number }[];
}

/**
 * How many objects one sample of `size` bytes stands for at mean interval `interval`. V8 samples an
 * allocation of size s with probability 1 - exp(-s/I); weighting each sample by the inverse makes
 * count and size estimates unbiased (the estimator pprof and tcmalloc use).
 */
export function sampleWeight(size: number, interval: number): number {
  return 1 / -Math.expm1(-size / interval);
}

/**
 * The object size s whose scaled size s·w(s) is `scaled`. The inspector protocol does not report a
 * sample's object size: it reports `size × count` of V8's `AllocationProfile::Sample`, where count is
 * already the weight 1/(1 - exp(-s/I)) (measured: 32-byte objects sampled at 16 KiB arrive as
 * 16400). Sizes are therefore already unbiased; to count objects we recover s. s·w(s) grows
 * monotonically from I (s → 0), so bisection finds it.
 */
export function unscaleSample(scaled: number, interval: number): { objectSize: number; weight: number } {
  // Below I + 4 the object would be under the 8 bytes of the smallest heap object: rounding noise.
  if (!(scaled > interval + 4)) return { objectSize: 8, weight: Math.max(scaled, 8) / 8 };
  let lo = 0;
  let hi = scaled;
  for (let k = 0; k < 60 && hi - lo > 1e-3; k++) {
    const mid = (lo + hi) / 2;
    if (mid * sampleWeight(mid, interval) < scaled) lo = mid;
    else hi = mid;
  }
  const objectSize = (lo + hi) / 2;
  return { objectSize, weight: scaled / objectSize };
}

/**
 * Feeds a sampling profile into `builder`. Node ids are only used inside this one profile (they
 * are not stable across reads); stacks are identified by their frames. Built-in frames (empty
 * URL: `push`, `set`, `(V8 API)`) are folded into the nearest JavaScript frame below them.
 *
 * @returns The total estimated live bytes before filtering, and the highest sample ordinal.
 */
export function addSamplingProfile(
  profile: SamplingProfile,
  interval: number,
  builder: TraceBuilder,
): { total: number; maxOrdinal: number } {
  const parent = new Map<number, SamplingProfileNode | null>();
  const byId = new Map<number, SamplingProfileNode>();
  const pending: SamplingProfileNode[] = [profile.head];
  parent.set(profile.head.id, null);
  // Iterative walk: deep recursion in user code makes deep profiles.
  while (pending.length > 0) {
    const node = pending.pop()!;
    byId.set(node.id, node);
    for (const child of node.children) {
      parent.set(child.id, node);
      pending.push(child);
    }
  }
  const perNode = new Map<number, { size: number; count: number }>();
  let maxOrdinal = 0;
  let total = 0;
  // Sizes repeat (objects of one shape): unscale each distinct size once.
  const weights = new Map<number, number>();
  for (const s of profile.samples) {
    let w = weights.get(s.size);
    if (w === undefined) {
      w = unscaleSample(s.size, interval).weight;
      weights.set(s.size, w);
    }
    const acc = perNode.get(s.nodeId);
    if (acc) {
      acc.size += s.size;
      acc.count += w;
    } else perNode.set(s.nodeId, { size: s.size, count: w });
    total += s.size;
    if (s.ordinal > maxOrdinal) maxOrdinal = s.ordinal;
  }
  for (const [id, { size, count }] of perNode) {
    const leaf = byId.get(id);
    if (!leaf) continue;
    const stack: RawFrame[] = [];
    for (let n: SamplingProfileNode | null | undefined = leaf; n; n = parent.get(n.id)) {
      const cf = n.callFrame;
      if (cf.url === '') continue;
      stack.push({
        functionName: cf.functionName,
        url: cf.url,
        line: cf.lineNumber,
        column: cf.columnNumber,
      });
    }
    if (stack.length === 0) {
      // Only native frames: keep the leaf's name so keepInternals can show `(V8 API)` and the like.
      const cf = leaf.callFrame;
      stack.push({ functionName: cf.functionName, url: '', line: -1, column: -1 });
    }
    builder.add(stack, size, count);
  }
  return { total, maxOrdinal };
}
