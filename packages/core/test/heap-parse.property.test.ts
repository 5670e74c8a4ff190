import { readFileSync, writeFileSync } from 'node:fs';
import { HeapGraph, HeapSnapshotParser, LeakkitError } from '@leakkit/core/heap';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeapGraphData } from '../src/heap/data.js';
import {
  expectSameData,
  referenceData,
  smallNodes,
  syntheticSnapshot,
  TRICKY_STRINGS,
  tempDir,
  writeRealSnapshot,
} from './fixtures/heap/snapshots.js';

let cleanup: () => void;
let real: Uint8Array;
let realReference: HeapGraphData;
let headerEnd: number;

beforeAll(() => {
  const tmp = tempDir();
  cleanup = tmp.cleanup;
  const file = writeRealSnapshot(tmp.dir, 'property');
  real = readFileSync(file);
  realReference = referenceData(file);
  headerEnd = Buffer.from(real).indexOf('"nodes"');
});
afterAll(() => cleanup());

/** Parses with the given cut points; `known` passes totalBytes (exact allocation) or not (growth). */
function parseCuts(bytes: Uint8Array, cuts: number[], known: boolean): HeapGraphData {
  const parser = new HeapSnapshotParser(known ? { totalBytes: bytes.length } : {});
  let last = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    parser.write(bytes.subarray(last, cut));
    last = cut;
  }
  parser.write(bytes.subarray(last));
  return parser.end();
}

/** What every successful parse must guarantee to the analyses, whatever the input was. */
function expectConsistent(d: HeapGraphData): void {
  expect(d.nodeType.length).toBe(d.nodeCount);
  expect(d.edgeTo.length).toBe(d.edgeCount);
  expect(d.firstEdge.length).toBe(d.nodeCount + 1);
  expect(d.firstEdge[d.nodeCount]).toBe(d.edgeCount);
  expect(d.rootIndex).toBeLessThan(d.nodeCount);
  for (let n = 0; n < d.nodeCount; n++) {
    if (d.firstEdge[n]! > d.firstEdge[n + 1]!) throw new Error(`firstEdge decreases at ${n}`);
    if (d.nodeType[n]! >= d.nodeTypeNames.length) throw new Error(`node type out of range at ${n}`);
    if (d.nodeName[n]! >= d.strings.count) throw new Error(`node name out of range at ${n}`);
  }
  for (let e = 0; e < d.edgeCount; e++) {
    if (d.edgeTo[e]! >= d.nodeCount) throw new Error(`edge target out of range at ${e}`);
    if (d.edgeType[e]! >= d.edgeTypeNames.length) throw new Error(`edge type out of range at ${e}`);
  }
  for (let l = 0; l < d.locationNode.length; l++) {
    if (d.locationNode[l]! >= d.nodeCount) throw new Error(`location node out of range at ${l}`);
  }
  expect(d.strings.offsets.length).toBe(d.strings.count + 1);
  expect(d.strings.offsets[d.strings.count]).toBe(d.strings.bytes.length);
}

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'count'; key: 'node_count' | 'edge_count'; value: string };

const INTERESTING = [...'0123456789,[]{}":\\u-.e \n'].map((c) => c.charCodeAt(0));

function mutationArb(length: number, header: number): fc.Arbitrary<Mutation> {
  // Offsets: anywhere, or in the header, where one byte changes the meaning of everything after.
  const at = fc.oneof(
    fc.nat(length),
    fc.nat(header),
    fc.integer({ min: Math.max(0, length - 4096), max: length }),
  );
  const byte = fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 }));
  return fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({ kind: fc.constant('set' as const), at, byte }),
    fc.record({
      kind: fc.constant('insert' as const),
      at,
      bytes: fc.array(byte, { minLength: 1, maxLength: 8 }),
    }),
    fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({
      kind: fc.constant('count' as const),
      key: fc.constantFrom('node_count' as const, 'edge_count' as const),
      value: fc.oneof(
        fc.integer({ min: 0, max: 2 ** 33 }).map(String),
        fc.constantFrom('0', '1', '-1', '1e9', '4294967295', '9007199254740993', '"7"', 'null', '1.5'),
      ),
    }),
  );
}

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    const at = 'at' in m ? Math.min(m.at, out.length) : 0;
    switch (m.kind) {
      case 'truncate':
        out = out.subarray(0, at);
        break;
      case 'set':
        if (at < out.length) out[at] = m.byte;
        break;
      case 'insert':
        out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
        break;
      case 'delete':
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]);
        break;
      case 'count': {
        const text = out.subarray(0, Math.min(out.length, 4096)).toString('latin1');
        const replaced = text.replace(new RegExp(`"${m.key}":\\d+`), `"${m.key}":${m.value}`);
        out = Buffer.concat([Buffer.from(replaced, 'latin1'), out.subarray(Math.min(out.length, 4096))]);
        break;
      }
    }
  }
  return out;
}

/** The contract under any input: a consistent graph, or a LeakkitError with code and offset, fast. */
function checkContract(bytes: Uint8Array, cuts: number[], known: boolean, budgetMs: number): void {
  const start = performance.now();
  let data: HeapGraphData | undefined;
  try {
    data = parseCuts(bytes, cuts, known);
  } catch (error) {
    if (!(error instanceof LeakkitError)) throw error;
    expect(error.code).toBe('ERR_LEAKKIT_BAD_SNAPSHOT');
    expect(Number.isInteger(error.offset)).toBe(true);
    expect(error.offset).toBeGreaterThanOrEqual(0);
    expect(error.offset).toBeLessThanOrEqual(bytes.length);
    expect(error.message).toMatch(/at byte \d+/);
  }
  if (data) expectConsistent(data);
  expect(performance.now() - start).toBeLessThan(budgetMs);
}

describe('HeapSnapshotParser (properties)', () => {
  it('parses a real snapshot split at any points to exactly the reference graph', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(real.length), { maxLength: 30 }), fc.boolean(), (cuts, known) => {
        expectSameData(parseCuts(real, cuts, known), realReference);
      }),
      { numRuns: 12 },
    );
  });

  it('on a mutated real snapshot returns a consistent graph or throws a LeakkitError with an offset', () => {
    fc.assert(
      fc.property(
        fc.array(mutationArb(real.length, headerEnd), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(real.length), { maxLength: 4 }),
        fc.boolean(),
        (mutations, cuts, known) => {
          const bytes = mutate(real, mutations);
          checkContract(
            bytes,
            cuts.map((c) => Math.min(c, bytes.length)),
            known,
            5_000,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('on a mutated small snapshot (every state of the machine, tiny chunks) keeps the same contract', () => {
    const strings = [...TRICKY_STRINGS, 'x'];
    const text = syntheticSnapshot(smallNodes(strings), strings, {
      order: ['snapshot', 'nodes', 'unknown', 'edges', 'trace_tree', 'locations', 'strings', 'samples'],
      locations: [{ node: 3, script: 1, line: 2, column: 3 }],
      separator: '\n',
      traceFunctionInfos: '[1,2,3,4,5,6,7,1,2,-1,-1,0]',
      traceTree: '[1,0,0,0,[2,1,5,80,[],3,1,2,32,[4,0,1,16,[]]],5,1,0,0,[]]',
    });
    const small = new TextEncoder().encode(text);
    const header = text.indexOf('"nodes"');
    fc.assert(
      fc.property(
        fc.array(mutationArb(small.length, header), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(small.length + 16), { maxLength: 12 }),
        fc.boolean(),
        (mutations, cuts, known) => {
          const bytes = mutate(small, mutations);
          checkContract(
            bytes,
            cuts.map((c) => Math.min(c, bytes.length)),
            known,
            1_000,
          );
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

/** The parse's outcome as comparable data: the graph, or the error's message (which holds the offset). */
function outcome(parse: () => HeapGraphData): HeapGraphData | string {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof LeakkitError)) throw error;
    return error.message;
  }
}

function expectSameOutcome(a: HeapGraphData | string, b: HeapGraphData | string): void {
  if (typeof a === 'string' || typeof b === 'string') expect(a).toBe(b);
  else expectSameData(a, b);
}

describe('HeapSnapshotParser fast paths (properties)', () => {
  it('take the records the careful loop would, with the same first error at the same byte', () => {
    // The fast paths (nodes, edges, locations) start a record only 256 bytes or more before the end
    // of a chunk: chunks of 200 bytes never use them, chunks of 1 MiB nearly always do.
    const parseIn = (bytes: Uint8Array, size: number, known: boolean) => () =>
      parseCuts(
        bytes,
        Array.from({ length: Math.floor(bytes.length / size) }, (_, i) => (i + 1) * size),
        known,
      );
    fc.assert(
      fc.property(
        fc.array(mutationArb(real.length, headerEnd), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (mutations, known) => {
          const bytes = mutate(real, mutations);
          expectSameOutcome(outcome(parseIn(bytes, 1 << 20, known)), outcome(parseIn(bytes, 200, known)));
        },
      ),
      { numRuns: 25, seed: 20_261_125 },
    );
  });
});

describe('HeapGraph.fromFile with the edges on a worker (properties)', () => {
  it('gives the graph or the first error, at the same byte, that one thread gives', async () => {
    const tmp = tempDir();
    try {
      const file = `${tmp.dir}/mutated.heapsnapshot`;
      const read = async (parallel: boolean): Promise<HeapGraphData | string> => {
        try {
          return (await HeapGraph.fromFile(file, { parallel })).data;
        } catch (error) {
          if (!(error instanceof LeakkitError)) throw error;
          return error.message;
        }
      };
      // Mutations anywhere, weighted to the edges (more than half of the file).
      const edges = Buffer.from(real).indexOf('"edges"');
      const strings = Buffer.from(real).indexOf('"strings"');
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              mutationArb(real.length, headerEnd),
              mutationArb(strings, edges).filter((m) => m.kind !== 'count'),
            ),
            { minLength: 1, maxLength: 2 },
          ),
          async (mutations) => {
            writeFileSync(file, mutate(real, mutations));
            expectSameOutcome(await read(true), await read(false));
          },
        ),
        { numRuns: 20, seed: 20_261_125 },
      );
    } finally {
      tmp.cleanup();
    }
  });
});

describe('HeapGraph.nodeIndexOf (properties)', () => {
  // Only data.nodeId is read by the id index.
  const graphOf = (ids: number[]) =>
    new HeapGraph({ nodeId: Uint32Array.from(ids) } as unknown as HeapGraphData);
  const distinctIds = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 3000 });

  it('finds every id, in V8-like order (sorted with a few strays) or in any order, and nothing else', () => {
    fc.assert(
      fc.property(
        distinctIds,
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 40 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 20 }),
        (unique, swaps, shuffleAll, probes) => {
          const ids = [...unique].sort((a, b) => a - b);
          // A few swaps keep the order mostly sorted (the bit-set path); many give the hash path.
          const n = ids.length;
          for (const [a, b] of shuffleAll ? unique.map((_, i) => [i, (i * 7919) % n] as const) : swaps) {
            if (n === 0) break;
            const i = a % n;
            const j = b % n;
            [ids[i], ids[j]] = [ids[j]!, ids[i]!];
          }
          const graph = graphOf(ids);
          ids.forEach((id, i) => {
            if (graph.nodeIndexOf(id) !== i)
              throw new Error(`id ${id} at ${i}: got ${graph.nodeIndexOf(id)}`);
          });
          const present = new Set(ids);
          for (const p of probes) if (!present.has(p)) expect(graph.nodeIndexOf(p)).toBe(-1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
