import { describe, expect, it } from 'vitest';
import { pathToIndex } from '../src/heap/paths.js';
import { buildGraph } from './heap-graph-builder.js';

// V8's "(Strong roots)" list holds IdentityMap entries for whatever the optimizing compiler or the
// snapshot writer had open at that instant, and "(Handle scope)" the handles the caller had open:
// one hop to the object, so they win the breadth-first race against the path a developer can read.
function graph(via: '(Strong roots)' | '(Handle scope)', stack = true) {
  // 0 root, 1 (GC roots), 2 the bookkeeping category, 3 (Stack roots), 4 closure, 5 context, 6 Map
  return buildGraph(
    [
      { type: 'synthetic', name: '' },
      { type: 'synthetic', name: '(GC roots)' },
      { type: 'synthetic', name: via },
      { type: 'synthetic', name: '(Stack roots)' },
      { type: 'closure', name: 'track' },
      { type: 'hidden', name: 'system / Context' },
      { type: 'object', name: 'Map', self: 32 },
    ],
    [
      { from: 0, to: 1, type: 'element', name: 1 },
      { from: 1, to: 3, type: 'element', name: 1 },
      { from: 1, to: 2, type: 'element', name: 2 },
      { from: 2, to: 6, type: 'internal', name: via === '(Strong roots)' ? '41 / IdentityMapBase' : '166' },
      // Without the stack's edge to the closure, only the bookkeeping holds the Map.
      ...(stack ? [{ from: 3, to: 4, type: 'internal', name: '70' } as const] : []),
      { from: 4, to: 5, type: 'internal', name: 'context' },
      { from: 5, to: 6, type: 'context', name: 'seen' },
    ],
  );
}

describe('pathTo() and V8 bookkeeping', () => {
  for (const via of ['(Strong roots)', '(Handle scope)'] as const) {
    it(`takes the path through the closure's scope, not ${via}'s one hop`, () => {
      const path = pathToIndex(graph(via), 6)!;
      expect(path.text).not.toContain(via);
      expect(path.text).toMatch(/seen$/);
    });
  }

  it('keeps a bookkeeping path when it is the only one', () => {
    expect(pathToIndex(graph('(Strong roots)', false), 6)?.text).toContain('(Strong roots)');
  });
});
