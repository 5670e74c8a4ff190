import { start, stop } from '@leakkit/core';
import { captureHeap, diffHeaps } from '@leakkit/core/heap';
import { describe, expect, it } from 'vitest';

// Object ids must survive tracing being started and stopped between two captures: V8 forgets its
// ids whenever an inspector session disconnects, so leakkit's sessions stay connected.
class StableIdMarker {
  readonly n: number;
  constructor(n: number) {
    this.n = n;
  }
}

describe('heap object ids', () => {
  it('stay stable across a tracing start() and stop() between captures', async () => {
    const kept = Array.from({ length: 200 }, (_, i) => new StableIdMarker(i));
    const before = await captureHeap();
    start();
    stop();
    const after = await captureHeap();
    const diff = diffHeaps(before, after);
    // Both captures hold the 200 markers; with stable ids none reads as new or freed.
    for (const graph of [before, after]) {
      expect(graph.summary().find((g) => g.name === 'StableIdMarker')?.count).toBe(200);
    }
    expect(diff.addedNodeIds('StableIdMarker').length).toBe(0);
    expect(diff.removedNodeIds('StableIdMarker').length).toBe(0);
    expect(kept.length).toBe(200);
  });
});
