import type { Trace } from './types.js';

/** A call frame as the DevTools protocol's `Runtime.CallFrame` has it (0-based positions). */
export interface HeapProfileCallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** One node of a `.heapprofile` tree (`HeapProfiler.SamplingHeapProfileNode`). */
export interface HeapProfileNode {
  callFrame: HeapProfileCallFrame;
  /** Bytes allocated by this frame itself. */
  selfSize: number;
  id: number;
  children: HeapProfileNode[];
}

/** One sample (`HeapProfiler.SamplingHeapProfileSample`). */
export interface HeapProfileSample {
  size: number;
  nodeId: number;
  ordinal: number;
}

/**
 * A Chrome DevTools `.heapprofile` (the protocol's `SamplingHeapProfile`). Save it with
 * `JSON.stringify` to a file ending in `.heapprofile` and load it in the Memory panel.
 */
export interface HeapProfile {
  head: HeapProfileNode;
  samples: HeapProfileSample[];
}

/**
 * Builds the call tree DevTools expects from traces (most recent frame first). Each trace becomes a
 * leaf's `selfSize` and one sample carrying the trace's total size, so the profile's totals equal
 * the snapshot's.
 */
export function toHeapProfile(traces: readonly Trace[]): HeapProfile {
  let nextId = 1;
  const node = (callFrame: HeapProfileCallFrame): HeapProfileNode => ({
    callFrame,
    selfSize: 0,
    id: nextId++,
    children: [],
  });
  const head = node({ functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 });
  const childIndex = new Map<HeapProfileNode, Map<string, HeapProfileNode>>();
  const samples: HeapProfileSample[] = [];
  for (const trace of traces) {
    let at = head;
    for (let i = trace.frames.length - 1; i >= 0; i--) {
      const f = trace.frames[i]!;
      const id = `${f.file}\u0000${f.line}\u0000${f.column}\u0000${f.functionName}`;
      let children = childIndex.get(at);
      if (!children) {
        children = new Map();
        childIndex.set(at, children);
      }
      let child = children.get(id);
      if (!child) {
        child = node({
          functionName: f.functionName,
          scriptId: '0',
          url: f.file,
          lineNumber: Math.max(f.line - 1, -1),
          columnNumber: Math.max(f.column - 1, -1),
        });
        children.set(id, child);
        at.children.push(child);
      }
      at = child;
    }
    at.selfSize += trace.size;
    samples.push({ size: trace.size, nodeId: at.id, ordinal: samples.length + 1 });
  }
  return { head, samples };
}
