import type { HeapGraph } from '../heap/graph.js';
import { resolveTracingOptions } from '../tracing/options.js';
import { Snapshot } from '../tracing/snapshot.js';
import { FrameResolver } from '../tracing/source.js';
import { TraceBuilder } from '../tracing/traces.js';
import { TraceReader } from './traces.js';

/** V8's bookkeeping is attributed to whatever JS ran when V8 made it; it is not the program's data. */
const SKIPPED_TYPES = new Set(['code', 'hidden', 'synthetic', 'object shape']);

/**
 * The allocation snapshot (tracemalloc's) of a heap graph taken with allocation tracking on: live
 * objects grouped by allocating stack, for detectors that need `allocations`. The same reading as
 * `takeSnapshot()` in exact mode, from the graph the check already holds instead of one more
 * snapshot.
 */
export function allocationSnapshot(graph: HeapGraph): Snapshot {
  const data = graph.data;
  const options = resolveTracingOptions({ mode: 'exact' });
  const builder = new TraceBuilder(options, new FrameResolver(options.statementLines));
  const traces = data.nodeTraceId;
  if (traces !== undefined) {
    const skip = data.nodeTypeNames.map((t) => SKIPPED_TYPES.has(t));
    const perTrace = new Map<number, { size: number; count: number }>();
    for (let n = 0; n < data.nodeCount; n++) {
      const t = traces[n]!;
      if (t === 0 || skip[data.nodeType[n]!]) continue;
      const acc = perTrace.get(t);
      if (acc) {
        acc.size += data.nodeSelfSize[n]!;
        acc.count++;
      } else perTrace.set(t, { size: data.nodeSelfSize[n]!, count: 1 });
    }
    const reader = new TraceReader(data);
    for (const [t, { size, count }] of perTrace) {
      const stack = reader
        .stack(t)
        .filter((f) => f.url !== '')
        .map((f) => ({ functionName: f.functionName, url: f.url, line: f.line - 1, column: f.column - 1 }));
      if (stack.length === 0) stack.push({ functionName: '(root)', url: '', line: -1, column: -1 });
      builder.add(stack, size, count);
    }
  }
  return new Snapshot(builder.traces(), {
    mode: 'exact',
    samplingInterval: 0,
    tracebackLimit: options.frames,
  });
}
