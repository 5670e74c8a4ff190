import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffHeaps, nodesSortedById } from '../src/heap/diff.js';
import { HeapGraph } from '../src/heap/graph.js';
import type { SyntheticNode } from './heap-graph-builder.js';
import { buildGraph } from './heap-graph-builder.js';
import { captureInChild, loadReference, nodesOfClass } from './heap-snapshot-fixture.js';

const graphOf = (nodes: SyntheticNode[]) =>
  new HeapGraph(buildGraph(nodes, nodes.map((_, i) => ({ from: 0, to: i })).slice(1)));

describe('diffHeaps()', () => {
  const before = graphOf([
    {},
    { name: 'A', id: 3, self: 10 },
    { name: 'A', id: 5, self: 10 },
    { name: 'B', id: 7, self: 20 },
    { name: 'Renamed', id: 9, self: 8 },
    { type: 'string', name: 'x', id: 11, self: 16 },
  ]);
  const after = graphOf([
    {},
    { name: 'A', id: 5, self: 10 },
    { name: 'A', id: 70_001, self: 12 },
    { name: 'A', id: 13, self: 12 },
    { name: 'NewName', id: 9, self: 8 },
    { type: 'string', name: 'x', id: 11, self: 16 },
    { type: 'string', name: 'y', id: 15, self: 24 },
  ]);
  const diff = diffHeaps(before, after);
  const group = (name: string) => diff.groups.find((g) => g.name === name);

  it('matches objects by id and counts added, removed and surviving per group', () => {
    expect(group('A')).toMatchObject({
      type: 'object',
      added: 2,
      removed: 1,
      surviving: 1,
      addedSize: 24,
      removedSize: 10,
      countDelta: 1,
      sizeDelta: 14,
      addedIds: [13, 70_001],
      removedIds: [3],
    });
    expect(group('B')).toMatchObject({
      added: 0,
      removed: 1,
      removedSize: 20,
      countDelta: -1,
      sizeDelta: -20,
    });
    expect(group('(string)')).toMatchObject({ added: 1, removed: 0, surviving: 1, addedIds: [15] });
  });

  it('moves an object whose class changed from the old group to the new one', () => {
    expect(group('Renamed')).toMatchObject({ removed: 1, added: 0 });
    expect(group('NewName')).toMatchObject({ added: 1, removed: 0, addedIds: [9] });
  });

  it('sums totals and sorts groups by size delta', () => {
    expect(diff.totals).toEqual({
      added: 4,
      removed: 3,
      surviving: 2,
      addedSize: 56,
      removedSize: 38,
      countDelta: 1,
      sizeDelta: 18,
    });
    const deltas = diff.groups.map((g) => g.sizeDelta);
    expect(deltas).toEqual([...deltas].sort((a, b) => b - a));
  });

  it('lists every added and removed id, per group or all, and caps the per-group lists', () => {
    expect(Array.from(diff.addedNodeIds('A'))).toEqual([13, 70_001]);
    expect(Array.from(diff.addedNodeIds())).toEqual([9, 13, 15, 70_001]);
    expect(Array.from(diff.removedNodeIds())).toEqual([3, 7, 9]);
    expect(Array.from(diff.addedNodeIds('NoSuchClass'))).toEqual([]);
    expect(
      diffHeaps(before, after, { maxIdsPerGroup: 1 }).groups.find((g) => g.name === 'A')!.addedIds,
    ).toEqual([13]);
  });

  it('rejects what is not a graph and a bad maxIdsPerGroup', () => {
    expect(() => diffHeaps({} as HeapGraph, after)).toThrow(
      expect.objectContaining({
        code: 'ERR_LEAKKIT_INVALID_ARGUMENT',
        message: 'Expected `before` to be a HeapGraph, got `object`',
      }),
    );
    expect(() => diffHeaps(before, after, { maxIdsPerGroup: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_LEAKKIT_INVALID_OPTION', option: 'maxIdsPerGroup' }),
    );
  });

  it('finds nothing between a graph and itself', () => {
    const same = diffHeaps(after, after);
    expect(same.groups).toEqual([]);
    expect(same.totals.surviving).toBe(6);
  });
});

describe('nodesSortedById()', () => {
  it('orders node indices by id like a comparison sort', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 300 }), (ids) => {
        const graph = graphOf([{ id: 0 }, ...ids.map((id) => ({ id }))]);
        const order = nodesSortedById(graph.data);
        const got = Array.from(order, (n) => graph.data.nodeId[n]!);
        expect(got).toEqual([0, ...ids].sort((a, b) => a - b));
        expect(new Set(order).size).toBe(ids.length + 1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('diffHeaps() against a Map-based reference', () => {
  const snapshot = fc.uniqueArray(
    fc.record({
      id: fc.integer({ min: 1, max: 400 }),
      name: fc.constantFrom('A', 'B', 'C'),
      type: fc.constantFrom<'object' | 'string' | 'closure'>('object', 'object', 'string', 'closure'),
      self: fc.integer({ min: 0, max: 50 }),
    }),
    { selector: (n) => n.id, maxLength: 60 },
  );

  it('agrees on every group and on the id lists, whatever the node order', () => {
    fc.assert(
      fc.property(snapshot, snapshot, (x, y) => {
        const before = graphOf([{ id: 0 }, ...x]);
        const after = graphOf([{ id: 0 }, ...y]);
        const diff = diffHeaps(before, after, { maxIdsPerGroup: 1000 });
        const key = (n: (typeof x)[number]) => (n.type === 'object' ? n.name : `(${n.type})`);
        const live = (s: typeof x) => new Map(s.filter((n) => n.self > 0).map((n) => [n.id, n]));
        const a = live(x);
        const b = live(y);
        const expected = new Map<
          string,
          { added: number[]; removed: number[]; addedSize: number; removedSize: number }
        >();
        const at = (k: string) => {
          let e = expected.get(k);
          if (!e) {
            e = { added: [], removed: [], addedSize: 0, removedSize: 0 };
            expected.set(k, e);
          }
          return e;
        };
        for (const [id, n] of a) {
          const m = b.get(id);
          if (!m || key(m) !== key(n)) {
            at(key(n)).removed.push(id);
            at(key(n)).removedSize += n.self;
          }
        }
        for (const [id, n] of b) {
          const m = a.get(id);
          if (!m || key(m) !== key(n)) {
            at(key(n)).added.push(id);
            at(key(n)).addedSize += n.self;
          }
        }
        const got = new Map(diff.groups.map((g) => [g.name, g]));
        expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [name, e] of expected) {
          const g = got.get(name)!;
          expect(g.addedIds).toEqual(e.added.sort((p, q) => p - q));
          expect(g.removedIds).toEqual(e.removed.sort((p, q) => p - q));
          expect(g.addedSize).toBe(e.addedSize);
          expect(g.removedSize).toBe(e.removedSize);
          expect(Array.from(diff.addedNodeIds(name))).toEqual(g.addedIds);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('diffHeaps() on real snapshots around a known allocation', () => {
  let fixture: ReturnType<typeof captureInChild>;
  beforeAll(() => {
    fixture = captureInChild(`
      class LeakkitDiffProbe { constructor(i) { this.i = i; } }
      class LeakkitDiffGarbage { constructor(i) { this.i = i; } }
      const kept = [];
      await snap('a');
      function allocate() {
        for (let i = 0; i < 1000; i++) kept.push(new LeakkitDiffProbe(i));
        // Garbage of the same class and of another: must not be counted once collected.
        let junk = [];
        for (let i = 0; i < 500; i++) junk.push(new LeakkitDiffProbe(-i), new LeakkitDiffGarbage(i));
        junk = null;
      }
      allocate();
      await snap('b');
      kept.length = 0;
      await snap('c');
    `);
  });
  afterAll(() => fixture?.dispose());

  it('counts exactly the 1000 objects created and still alive, then exactly those freed', async () => {
    const a = loadReference(fixture.path('a'));
    const b = await HeapGraph.fromFile(fixture.path('b'));
    const c = loadReference(fixture.path('c'));

    const ab = diffHeaps(a, b);
    const probeAB = ab.groups.find((g) => g.name === 'LeakkitDiffProbe')!;
    expect(probeAB).toMatchObject({ added: 1000, removed: 0, surviving: 0, countDelta: 1000 });
    let probeBytes = 0;
    for (const n of nodesOfClass(b.data, 'LeakkitDiffProbe')) probeBytes += b.data.nodeSelfSize[n]!;
    expect(probeAB.addedSize).toBe(probeBytes);
    expect(probeAB.addedIds.length).toBe(100);
    expect(ab.addedNodeIds('LeakkitDiffProbe').length).toBe(1000);
    expect(ab.groups.find((g) => g.name === 'LeakkitDiffGarbage')).toBeUndefined();
    // Every listed id is a LeakkitDiffProbe in b.
    for (const id of ab.addedNodeIds('LeakkitDiffProbe')) {
      const n = b.nodeIndexOf(id);
      expect(b.data.strings.get(b.data.nodeName[n]!)).toBe('LeakkitDiffProbe');
    }

    const bc = diffHeaps(b, c);
    const probeBC = bc.groups.find((g) => g.name === 'LeakkitDiffProbe')!;
    expect(probeBC).toMatchObject({ added: 0, removed: 1000, surviving: 0, countDelta: -1000 });
    expect(probeBC.removedSize).toBe(probeAB.addedSize);
    expect(Array.from(bc.removedNodeIds('LeakkitDiffProbe'))).toEqual(
      Array.from(ab.addedNodeIds('LeakkitDiffProbe')),
    );

    const ac = diffHeaps(a, c);
    expect(ac.groups.find((g) => g.name === 'LeakkitDiffProbe')).toBeUndefined();
  });
});
