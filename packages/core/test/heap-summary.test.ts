import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeDominators } from '../src/heap/dominators.js';
import { HeapGraph } from '../src/heap/graph.js';
import { groupName, groupNodes, summarize } from '../src/heap/summary.js';
import type { NodeTypeName } from './heap-graph-builder.js';
import { buildGraph } from './heap-graph-builder.js';
import { captureInChild, loadReference, nodesOfClass, propertyTarget } from './heap-snapshot-fixture.js';

describe('groupName()', () => {
  it('follows the DevTools Summary conventions', () => {
    expect(groupName('object', 'TimerMetrics')).toBe('TimerMetrics');
    expect(groupName('native', 'Node / Environment')).toBe('Node / Environment');
    expect(groupName('hidden', 'system / Map')).toBe('(system)');
    expect(groupName('code', 'foo')).toBe('(compiled code)');
    expect(groupName('string', 'hello')).toBe('(string)');
    expect(groupName('concatenated string', 'ab')).toBe('(concatenated string)');
    expect(groupName('sliced string', 'b')).toBe('(sliced string)');
    expect(groupName('closure', 'f')).toBe('(closure)');
    expect(groupName('array', '')).toBe('(array)');
    expect(groupName('regexp', '/a/')).toBe('(regexp)');
    expect(groupName('number', 'heap number')).toBe('(number)');
  });
});

describe('summarize()', () => {
  // root -> list head Node(1) -> Node(2) -> Node(3); Node(2) -> 'str'(4); root -> Other(5) -> Node(6)
  // root -> (GC roots)(7, size 0) -> Node(3) makes Node(3) dominated by the root.
  const data = buildGraph(
    [
      {},
      { name: 'Node', self: 10 },
      { name: 'Node', self: 10 },
      { name: 'Node', self: 10 },
      { type: 'string', name: 'str', self: 7 },
      { name: 'Other', self: 100 },
      { name: 'Node', self: 10 },
      { type: 'synthetic', name: '(GC roots)', self: 0 },
      { type: 'closure', name: 'f', self: 32 },
      { type: 'hidden', name: 'system / Context', self: 16 },
    ],
    [
      { from: 0, to: 1 },
      { from: 1, to: 2 },
      { from: 2, to: 3 },
      { from: 2, to: 4 },
      { from: 0, to: 5 },
      { from: 5, to: 6 },
      { from: 0, to: 7, type: 'element', name: 1 },
      { from: 7, to: 3, type: 'element', name: 1 },
      { from: 0, to: 8 },
      { from: 8, to: 9, type: 'internal', name: 'context' },
    ],
  );
  const summary = summarize(data, computeDominators(data));
  const byName = new Map(summary.map((g) => [g.name, g]));

  it('counts objects and self sizes per class and per type', () => {
    expect(byName.get('Node')).toMatchObject({ type: 'object', count: 4, selfSize: 40 });
    expect(byName.get('(string)')).toMatchObject({ type: 'string', count: 1, selfSize: 7 });
    expect(byName.get('(closure)')).toMatchObject({ count: 1, selfSize: 32, retainedSize: 48 });
    expect(byName.get('(system)')).toMatchObject({ type: 'hidden', count: 1, selfSize: 16 });
  });

  it('leaves out nodes with self size 0 (the root, GC-root categories)', () => {
    expect(byName.has('')).toBe(false);
    expect(byName.has('(GC roots)')).toBe(false);
    expect(byName.has('(synthetic)')).toBe(false);
  });

  it('counts a member dominated by another member of its group only once', () => {
    // Node(1) retains Node(2) and 'str'; Node(3) is held from the GC roots too, so it stands
    // alone; Node(6) sits under Other. Group retained = 27 + 10 + 10, not 27 + 17 + 10 + 10.
    expect(byName.get('Node')!.retainedSize).toBe(47);
    expect(byName.get('Other')!.retainedSize).toBe(110);
  });

  it('sorts by retained size, largest first', () => {
    const sizes = summary.map((g) => g.retainedSize);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(summary[0]!.name).toBe('Other');
  });

  it('is what graph.summary() returns', () => {
    expect(new HeapGraph(data).summary()).toEqual(summary);
  });
});

describe('summarize() on random graphs', () => {
  it('sums retained sizes of the members no other member of their group dominates', () => {
    const node = fc.record({
      name: fc.constantFrom('A', 'B', 'C'),
      type: fc.constantFrom<NodeTypeName>('object', 'object', 'string', 'closure'),
      self: fc.integer({ min: 0, max: 100 }),
    });
    fc.assert(
      fc.property(
        fc.array(node, { minLength: 1, maxLength: 30 }),
        fc.array(
          fc.tuple(fc.nat(), fc.nat(), fc.constantFrom<'property' | 'weak'>('property', 'property', 'weak')),
          {
            maxLength: 80,
          },
        ),
        (nodes, edges) => {
          const n = nodes.length + 1;
          const data = buildGraph(
            [{}, ...nodes],
            edges.map(([a, b, type]) => ({ from: a % n, to: b % n, type })),
          );
          const dom = computeDominators(data);
          const { groupOf, names } = groupNodes(data);
          const expected = new Map<string, { count: number; self: number; retained: number }>();
          for (let x = 0; x < data.nodeCount; x++) {
            const g = groupOf[x]!;
            if (g < 0) continue;
            const e = expected.get(names[g]!) ?? { count: 0, self: 0, retained: 0 };
            e.count++;
            e.self += data.nodeSelfSize[x]!;
            let nested = false;
            for (let d = dom.idom[x]!; x !== data.rootIndex && d !== data.rootIndex; d = dom.idom[d]!) {
              if (groupOf[d] === g) nested = true;
            }
            if (!nested) e.retained += dom.retainedSize[x]!;
            expected.set(names[g]!, e);
          }
          const summary = summarize(data, dom);
          expect(summary.length).toBe(expected.size);
          for (const entry of summary) {
            const e = expected.get(entry.name)!;
            expect([entry.count, entry.selfSize, entry.retainedSize]).toEqual([e.count, e.self, e.retained]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('summarize() on a real snapshot', () => {
  let fixture: ReturnType<typeof captureInChild>;
  beforeAll(() => {
    fixture = captureInChild(`
      class SummaryProbe { constructor(i) { this.i = i; this.label = 'probe'; } }
      globalThis.probes = [];
      for (let i = 0; i < 777; i++) globalThis.probes.push(new SummaryProbe(i));
      globalThis.probeMap = new Map();
      for (let i = 0; i < 300; i++) globalThis.probeMap.set(i, { data: new Array(50).fill(i) });
      await snap('s');
    `);
  });
  afterAll(() => fixture?.dispose());

  it('matches counts, sizes and group retained sizes computed independently', async () => {
    const graph = loadReference(fixture.path('s'));
    const { data } = graph;
    const summary = graph.summary();
    const probe = summary.find((g) => g.name === 'SummaryProbe')!;
    const members = nodesOfClass(data, 'SummaryProbe');
    expect(members.length).toBe(777);
    expect(probe.count).toBe(777);
    expect(probe.selfSize).toBe(members.reduce((sum, n) => sum + data.nodeSelfSize[n]!, 0));

    // Group retained size by its definition, walking idom chains (quadratic-ish, fine here).
    const dom = graph.dominators;
    const { groupOf, names } = groupNodes(data);
    const expected = new Map<string, number>();
    for (let n = 0; n < data.nodeCount; n++) {
      const g = groupOf[n]!;
      if (g < 0) continue;
      let nested = false;
      if (dom.reachable[n]) {
        for (let d = dom.idom[n]!; d !== data.rootIndex; d = dom.idom[d]!) {
          if (groupOf[d] === g) {
            nested = true;
            break;
          }
        }
      }
      if (!nested) expected.set(names[g]!, (expected.get(names[g]!) ?? 0) + dom.retainedSize[n]!);
    }
    for (const g of summary) expect(g.retainedSize, g.name).toBe(expected.get(g.name));

    // The Map retains at least its 300 arrays of 50 elements.
    const map = propertyTarget(data, 'probeMap');
    expect(graph.retainedSize(data.nodeId[map]!)).toBeGreaterThan(300 * 50 * 8);
    const mapGroup = summary.find((g) => g.name === 'Map')!;
    expect(mapGroup.retainedSize).toBeGreaterThanOrEqual(graph.retainedSize(data.nodeId[map]!));

    // Same answer from the streaming parser.
    const streamed = await HeapGraph.fromFile(fixture.path('s'));
    expect(streamed.summary()).toEqual(summary);
  });

  it('gives the same answers whichever pass runs first (they pass working arrays on)', async () => {
    // The dominators lend their spent arrays, the summary borrows and lends them, the retainer
    // search keeps what it borrows: a pass that wrote into an array still in use would change a
    // later answer.
    const reference = loadReference(fixture.path('s'));
    const map = propertyTarget(reference.data, 'probeMap');
    const mapId = reference.data.nodeId[map]!;
    const probe = nodesOfClass(reference.data, 'SummaryProbe')[0]!;
    const probeId = reference.data.nodeId[probe]!;
    const expected = {
      summary: reference.summary(),
      paths: [reference.pathTo(mapId)?.text, reference.pathTo(probeId)?.text],
      retained: Array.from(reference.dominators.retainedSize),
    };
    expect(expected.paths[0]).toBe('probeMap');

    const pathFirst = await HeapGraph.fromFile(fixture.path('s'), { parallel: false });
    const firstPath = pathFirst.pathTo(mapId)?.text;
    expect(pathFirst.summary()).toEqual(expected.summary);
    expect(pathFirst.summary()).toEqual(expected.summary);
    expect([firstPath, pathFirst.pathTo(probeId)?.text]).toEqual(expected.paths);
    expect(Array.from(pathFirst.dominators.retainedSize)).toEqual(expected.retained);

    const summaryFirst = await HeapGraph.fromFile(fixture.path('s'), { parallel: false });
    expect(summaryFirst.summary()).toEqual(expected.summary);
    expect([summaryFirst.pathTo(mapId)?.text, summaryFirst.pathTo(probeId)?.text]).toEqual(expected.paths);
    expect(summaryFirst.summary()).toEqual(expected.summary);
    expect(Array.from(summaryFirst.dominators.retainedSize)).toEqual(expected.retained);
  });
});
