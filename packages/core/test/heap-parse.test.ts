import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeapGraph, HeapSnapshotParser, parseHeapSnapshot } from '@leakkit/core/heap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeapGraphData } from '../src/heap/data.js';
import { backgroundSearchStatus } from '../src/heap/paths.js';
import type { HeapSnapshotJson } from '../src/heap/reference.js';
import { graphDataFromJson } from '../src/heap/reference.js';
import { caught, caughtAsync } from './caught.js';
import {
  expectSameData,
  flattenTraceTree,
  referenceData,
  smallNodes,
  syntheticSnapshot,
  TRICKY_STRINGS,
  tempDir,
  writeRealSnapshot,
  writeTracedSnapshot,
} from './fixtures/heap/snapshots.js';

const encoder = new TextEncoder();

function parseChunks(bytes: Uint8Array, size: number, options = {}): HeapGraphData {
  const parser = new HeapSnapshotParser({ totalBytes: bytes.length, ...options });
  for (let i = 0; i < bytes.length; i += size) parser.write(bytes.subarray(i, i + size));
  return parser.end();
}

function parseText(text: string, options = {}): HeapGraphData {
  return parseChunks(encoder.encode(text), 1 << 20, options);
}

function reference(text: string): HeapGraphData {
  return graphDataFromJson(JSON.parse(text) as HeapSnapshotJson);
}

let dir: string;
let cleanup: () => void;
let realFile: string;
let realBytes: Uint8Array;
let realReference: HeapGraphData;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  realFile = writeRealSnapshot(dir);
  realBytes = readFileSync(realFile);
  realReference = referenceData(realFile);
});
afterAll(() => cleanup());

describe('HeapGraph.fromFile()', () => {
  it('reads a real snapshot exactly like the reference loader, field by field', async () => {
    const progress: number[] = [];
    const graph = await HeapGraph.fromFile(realFile, { onProgress: (p) => progress.push(p.bytesRead) });
    expectSameData(graph.data, realReference);
    expect(graph.nodeCount).toBeGreaterThan(10_000);
    expect(progress.at(-1)).toBe(realBytes.length);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    // Strictly increasing: the end is reported once, even when the last chunk already reached it.
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1]!);
  });

  it('keeps escapes, unicode and surrogates of the real strings byte-exact', async () => {
    const graph = await HeapGraph.fromFile(realFile);
    const marker = Array.from({ length: graph.nodeCount }, (_, i) => i).find(
      (i) => graph.nodeNameOf(i) === 'LeakkitParseMarker' && graph.nodeTypeName(i) === 'object',
    );
    expect(marker).toBeDefined();
    const values = new Set<string>();
    for (let i = 0; i < graph.nodeCount; i++) {
      if (graph.nodeTypeName(i) === 'string') values.add(graph.nodeNameOf(i));
    }
    // V8 writes BMP characters as \uXXXX escapes and these survive exactly.
    for (const s of ['quote" back\\slash /slash!', 'café ünïcödé!', '日本語のテキスト!']) {
      expect(values.has(s), s).toBe(true);
    }
  });

  it('answers nodeIndexOf and the accessors from the typed arrays', async () => {
    const graph = await HeapGraph.fromFile(realFile);
    const d = graph.data;
    for (const i of [0, 1, 7, d.nodeCount >> 1, d.nodeCount - 1]) {
      expect(graph.nodeIndexOf(graph.nodeId(i))).toBe(i);
      expect(graph.selfSize(i)).toBe(d.nodeSelfSize[i]);
      expect(graph.edgeEnd(i) - graph.edgeStart(i)).toBe(d.firstEdge[i + 1]! - d.firstEdge[i]!);
    }
    expect(graph.nodeIndexOf(2 ** 32 - 2)).toBe(-1);
    expect(graph.nodeIndexOf(-1)).toBe(-1);
    expect(graph.nodeIndexOf(1.5)).toBe(-1);
    expect(graph.nodeTypeName(d.rootIndex)).toBe('synthetic');
    const e = graph.edgeStart(d.rootIndex);
    expect(graph.edgeTarget(e)).toBe(d.edgeTo[e]);
    expect(typeof graph.edgeNameOf(e)).toBe('string');
    expect(graph.edgeTypeIndex('weak')).toBe(d.edgeTypeNames.indexOf('weak'));
  });

  it('finds ids through the hash index when ids are not in node order', () => {
    const strings = ['', 'a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const nodes = smallNodes(strings).map((n, i) => ({ ...n, id: [9, 3, 101, 5][i]! }));
    const graph = new HeapGraph(parseText(syntheticSnapshot(nodes, strings)));
    expect([9, 3, 101, 5, 7].map((id) => graph.nodeIndexOf(id))).toEqual([0, 1, 2, 3, -1]);
  });

  it('answers a missing file, a directory and an empty file with typed errors naming the path', async () => {
    const missing = join(dir, 'nope.heapsnapshot');
    const e1 = await caughtAsync(() => HeapGraph.fromFile(missing));
    expect(e1).toMatchObject({ code: 'ERR_LEAKKIT_FILE', file: missing });
    expect(e1.message).toContain(missing);
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    const e2 = await caughtAsync(() => HeapGraph.fromFile(sub));
    expect(e2).toMatchObject({ code: 'ERR_LEAKKIT_FILE', file: sub });
    expect(e2.message).toContain('directory');
    const empty = join(dir, 'empty.heapsnapshot');
    writeFileSync(empty, '');
    const e3 = await caughtAsync(() => HeapGraph.fromFile(empty));
    expect(e3).toMatchObject({ code: 'ERR_LEAKKIT_BAD_SNAPSHOT', file: empty, offset: 0 });
  });

  it('parses the edges on a worker thread to the same graph, progress reported once per position', async () => {
    const progress: number[] = [];
    const graph = await HeapGraph.fromFile(realFile, {
      parallel: true,
      onProgress: (p) => progress.push(p.bytesRead),
    });
    expectSameData(graph.data, realReference);
    expect(graph.data.edgeTo.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(progress.at(-1)).toBe(realBytes.length);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1]!);
    // parallel: false never shares.
    const alone = await HeapGraph.fromFile(realFile, { parallel: false });
    expect(alone.data.edgeTo.buffer).toBeInstanceOf(ArrayBuffer);
    expectSameData(alone.data, realReference);
  });

  it('lets the worker search the retainer tree, with the same paths as one thread', async () => {
    const alone = await HeapGraph.fromFile(realFile, { parallel: false });
    expect(backgroundSearchStatus(alone.data)).toBeUndefined();
    const paths = (graph: HeapGraph) => {
      const out: string[] = [];
      for (let n = 0; n < graph.nodeCount; n += 7) {
        const path = graph.pathTo(graph.nodeId(n), { raw: true });
        out.push(path === undefined ? 'none' : path.steps.map((s) => s.nodeId).join(','));
      }
      return out;
    };
    const expected = paths(alone);
    // Asked after the worker finished: its tree is taken.
    const later = await HeapGraph.fromFile(realFile, { parallel: true });
    for (let wait = 0; backgroundSearchStatus(later.data) === 'running' && wait < 200; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(backgroundSearchStatus(later.data)).toBe('finished');
    expect(paths(later)).toEqual(expected);
    expect(backgroundSearchStatus(later.data)).toBeUndefined();
    // Asked at once: this thread searches (the worker's result, if it comes, is dropped).
    const now = await HeapGraph.fromFile(realFile, { parallel: true });
    expect(paths(now)).toEqual(expected);
  });

  it('finishes the edges itself wherever the worker stops (edges it cannot fast-parse)', async () => {
    const text = Buffer.from(realBytes).toString('latin1');
    const start = text.indexOf('"edges":[') + '"edges":['.length;
    const end = text.indexOf(']', start);
    // Whitespace inside the records: valid JSON the worker's fast path leaves to the parser, from
    // the first record (spaces everywhere) or from the middle on.
    for (const from of [start, start + Math.floor((end - start) / 2)]) {
      const cut = text.indexOf('\n,', from) + 1;
      const edges = text.slice(cut, end).replaceAll(',', ', ');
      const file = join(dir, `spaced-${from}.heapsnapshot`);
      writeFileSync(file, Buffer.from(text.slice(0, cut) + edges + text.slice(end), 'latin1'));
      const graph = await HeapGraph.fromFile(file, { parallel: true });
      expectSameData(graph.data, realReference);
    }
  });

  it('reports the same first error, at the same byte, with or without the worker', async () => {
    const text = Buffer.from(realBytes).toString('latin1');
    const edges = text.indexOf('"edges":[') + '"edges":['.length;
    const edgesEnd = text.indexOf(']', edges);
    const strings = text.indexOf('"strings":[');
    const at = (i: number, s: string) => text.slice(0, i) + s + text.slice(i + s.length);
    const cases = {
      'bad byte in the edges': at(edges + Math.floor((edgesEnd - edges) / 3), 'x'),
      'edge out of range': at(edges + 4, '9999999999'),
      // Late enough in the edges that the header's counts still fit the file.
      'truncated in the edges': text.slice(0, edgesEnd - 10),
      'bad byte in the strings': text.replace('"strings":["', '"strings":[x"'),
      'bad byte in the edges and in the strings': at(edges + Math.floor((edgesEnd - edges) / 2), 'x').replace(
        '"strings":["',
        '"strings":[x"',
      ),
      'bad byte after the edges': at(strings - 5, '}'),
      'bad byte in the nodes': at(edges - 30, '-'),
    };
    for (const [name, content] of Object.entries(cases)) {
      const file = join(dir, 'broken.heapsnapshot');
      writeFileSync(file, Buffer.from(content, 'latin1'));
      const alone = await caughtAsync(() => HeapGraph.fromFile(file, { parallel: false }));
      const progress: number[] = [];
      const withWorker = await caughtAsync(() =>
        HeapGraph.fromFile(file, { parallel: true, onProgress: (p) => progress.push(p.bytesRead) }),
      );
      expect({ name, message: withWorker.message, offset: withWorker.offset }).toEqual({
        name,
        message: alone.message,
        offset: alone.offset,
      });
      for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1]!);
    }
    await expect(
      HeapGraph.fromFile(realFile, { parallel: 'yes' as unknown as boolean }),
    ).rejects.toMatchObject({
      code: 'ERR_LEAKKIT_INVALID_OPTION',
    });
  });

  it('rejects non-snapshot JSON with the byte offset and the file', async () => {
    const file = join(dir, 'package.json');
    writeFileSync(file, JSON.stringify({ name: 'x', version: '1.0.0' }));
    const error = await caughtAsync(() => HeapGraph.fromFile(file));
    expect(error).toMatchObject({ code: 'ERR_LEAKKIT_BAD_SNAPSHOT', file, offset: 1 });
    expect(error.message).toMatch(/expected "snapshot" as the first key.*at byte 1 of .*package\.json/);
    const array = join(dir, 'array.json');
    writeFileSync(array, '[1,2,3]');
    expect(await caughtAsync(() => HeapGraph.fromFile(array))).toMatchObject({
      code: 'ERR_LEAKKIT_BAD_SNAPSHOT',
      offset: 0,
    });
  });
});

describe('HeapSnapshotParser', () => {
  it('gives the same graph for every chunk size, down to one byte', () => {
    for (const size of [1, 7, 4093, 65_536]) {
      expectSameData(parseChunks(realBytes, size), realReference);
    }
  });

  it('parses a stream of unknown length (growing its arrays) to the same graph', async () => {
    const chunks = [];
    for (let i = 0; i < realBytes.length; i += 100_003) chunks.push(realBytes.subarray(i, i + 100_003));
    expectSameData(await parseHeapSnapshot(chunks), realReference);
    // Strings as chunks work too (encoded as UTF-8).
    const text = syntheticSnapshot(smallNodes(TRICKY_STRINGS), TRICKY_STRINGS);
    expectSameData(await parseHeapSnapshot([text.slice(0, 50), text.slice(50)]), reference(text));
  });

  it('unescapes every JSON escape, multi-byte UTF-8, surrogate pairs and lone surrogates like JSON.parse', () => {
    const strings = [...TRICKY_STRINGS, '\u0000nul', '\u007f\u0080\u07ff\u0800\uffff', '\ud83d\ude00\ud83d'];
    // JSON.stringify writes raw UTF-8 for most characters; escape everything non-ASCII as well to
    // cover \uXXXX (V8's own style) alongside raw bytes.
    const raw = syntheticSnapshot(smallNodes(strings), strings);
    const escaped = raw.replace(
      /[^\x20-\x7e\n]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    const upper = escaped.replace(/\\u([0-9a-f]{4})/g, (_, h: string) => `\\u${h.toUpperCase()}`);
    for (const text of [raw, escaped, upper]) {
      const bytes = encoder.encode(text);
      const expected = reference(text);
      // Every split point of a 2-chunk write, so every escape and UTF-8 sequence gets cut.
      for (let cut = 0; cut <= bytes.length; cut++) {
        const parser = new HeapSnapshotParser();
        parser.write(bytes.subarray(0, cut));
        parser.write(bytes.subarray(cut));
        expectSameData(parser.end(), expected);
      }
      const data = parseText(text);
      expect(Array.from({ length: data.strings.count }, (_, i) => data.strings.get(i))).toEqual(
        strings.map((s) => new TextDecoder().decode(encoder.encode(s))),
      );
    }
  });

  it('reads the meta, not a fixed field order: Node 24 layout, shuffled fields, extra fields', () => {
    const strings = ['', 'Object', 'x', 'y', 'z', 'w', 'v', 'u'];
    const nodes = smallNodes(strings);
    const layouts = [
      { nodeFields: ['type', 'name', 'id', 'self_size', 'edge_count', 'detachedness'] },
      { nodeFields: ['edge_count', 'self_size', 'future', 'id', 'name', 'type', 'trace_node_id'] },
      { edgeFields: ['to_node', 'weight', 'type', 'name_or_index'] },
      { locationFields: ['line', 'column', 'object_index', 'script_id', 'extra'] },
    ];
    for (const layout of layouts) {
      const text = syntheticSnapshot(nodes, strings, {
        ...layout,
        // Node 24 writes -1 for an unknown script / line / column.
        locations: [
          { node: 3, script: 12, line: 40, column: 2 },
          { node: 1, script: -1, line: -1, column: -1 },
        ],
      });
      const data = parseText(text);
      expectSameData(data, reference(text));
      expect(data.locationNode[0]).toBe(3);
      expect(data.locationLine[0]).toBe(40);
      expect(data.locationLine[1]).toBe(0xffff_ffff);
    }
    const node24 = parseText(syntheticSnapshot(nodes, strings, { nodeFields: layouts[0]!.nodeFields! }));
    expect(node24.nodeTraceId).toBeUndefined();
  });

  it('accepts the top-level keys in any order after "snapshot" and skips unknown ones', () => {
    const strings = ['', 'A', 'B', 'C', 'D', 'E', 'F', 'G'];
    const nodes = smallNodes(strings);
    const expected = parseText(syntheticSnapshot(nodes, strings));
    const orders = [
      ['snapshot', 'strings', 'locations', 'edges', 'nodes'],
      ['snapshot', 'future_key', 'edges', 'trace_tree', 'strings', 'another', 'nodes', 'samples'],
    ];
    for (const order of orders) {
      const text = syntheticSnapshot(nodes, strings, { order, separator: '\n \t\r' });
      const data = parseText(text);
      expectSameData(data, { ...expected, locationNode: data.locationNode });
      for (const size of [1, 5]) expectSameData(parseChunks(encoder.encode(text), size), data);
    }
  });

  it('keeps trace ids and detachedness when the snapshot has them and drops all-zero ones', () => {
    const strings = ['', 'a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const withTrace = parseText(syntheticSnapshot(smallNodes(strings), strings));
    expect(Array.from(withTrace.nodeTraceId ?? [])).toEqual([0, 5, 0, 0]);
    expect(Array.from(withTrace.nodeDetachedness ?? [])).toEqual([0, 0, 2, 0]);
    const zero = smallNodes(strings).map((n) => ({ ...n, trace: 0 }));
    expect(parseText(syntheticSnapshot(zero, strings)).nodeTraceId).toBeUndefined();
    const attachedUnknown = zero.map((n) => ({ ...n, detachedness: 0 }));
    expect(parseText(syntheticSnapshot(attachedUnknown, strings)).nodeDetachedness).toBeUndefined();
  });

  it('flattens trace_function_infos and trace_tree of a snapshot taken with allocation tracking', () => {
    const file = writeTracedSnapshot(dir);
    const bytes = readFileSync(file);
    const json = JSON.parse(bytes.toString('utf8')) as {
      trace_function_infos: number[];
      trace_tree: unknown[];
    };
    const [ids, functions, counts, sizes, parents] = flattenTraceTree(json.trace_tree);
    for (const size of [1 << 20, 3]) {
      const data = parseChunks(bytes, size);
      const traces = data.allocationTraces!;
      expect(traces.functionInfoFields).toEqual([
        'function_id',
        'name',
        'script_name',
        'script_id',
        'line',
        'column',
      ]);
      expect(Array.from(traces.functionInfos)).toEqual(json.trace_function_infos.map((v) => v >>> 0));
      expect(Array.from(traces.traceNodeId)).toEqual(ids);
      expect(Array.from(traces.traceNodeFunctionInfo)).toEqual(functions);
      expect(Array.from(traces.traceNodeCount)).toEqual(counts);
      expect(Array.from(traces.traceNodeSize)).toEqual(sizes);
      expect(Array.from(traces.traceNodeParent)).toEqual(parents);
      // Every allocation-tracked object points at a trace node of the tree.
      const known = new Set(traces.traceNodeId);
      const traced = Array.from(data.nodeTraceId!).filter((id) => id !== 0);
      expect(traced.length).toBeGreaterThan(0);
      expect(traced.every((id) => known.has(id))).toBe(true);
    }
    // Without allocation tracking there is nothing to keep.
    expect(realReference.nodeCount > 0 && parseChunks(realBytes, 1 << 20).allocationTraces).toBeUndefined();
  });

  it('reports progress at most about once per MiB and at the end', () => {
    const seen: Array<[number, number | undefined]> = [];
    parseChunks(realBytes, 1000, {
      onProgress: (p: { bytesRead: number; totalBytes: number | undefined }) =>
        seen.push([p.bytesRead, p.totalBytes]),
    });
    expect(seen.length).toBeLessThanOrEqual(Math.ceil(realBytes.length / 2 ** 20) + 1);
    expect(seen.at(-1)).toEqual([realBytes.length, realBytes.length]);
  });
});

describe('HeapSnapshotParser errors', () => {
  const strings = ['', 'a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const good = syntheticSnapshot(smallNodes(strings), strings);
  const bad = (text: string, options = {}) => caught(() => parseText(text, options));

  it('names what is wrong and where, with code, offset and file', () => {
    const cases: Array<[string, RegExp]> = [
      [good.slice(0, good.length - 10), /truncated inside "strings"/],
      [good.slice(0, 30), /truncated inside the "snapshot" header/],
      [`${good} x`, /trailing data after the snapshot/],
      [`${good}{}`, /trailing data/],
      ['{"nodes":[1,2]}', /expected "snapshot" as the first key/],
      ['{}', /an empty object/],
      ['', /empty input/],
      ['  \n', /empty input/],
      ['{"snapshot":[1]}', /expected `\{` to start "snapshot"/],
      ['{"snapshot":{"meta":{}}}', /meta.node_fields/],
      [good.replace('"node_fields":["type",', '"node_fields":["kind",'), /node_fields lacks "type"/],
      [good.replace('"to_node"', '"target"'), /edge_fields lacks "to_node"/],
      [good.replace('"object_index"', '"object"'), /location_fields lacks "object_index"/],
      [good.replace('"node_count":4', '"node_count":5'), /"nodes" holds 28 numbers, node_count 5/],
      [good.replace('"node_count":4', '"node_count":3'), /more than node_count \(3\)/],
      [good.replace('"node_count":4', '"node_count":-1'), /node_count to be a non-negative integer/],
      [good.replace('"node_count":4', '"node_count":1e300'), /non-negative integer/],
      [good.replace('"edge_count":6', '"edge_count":7'), /add up to 6, edge_count is 7|holds 18 numbers/],
      [good.replace('"edge_count":6', '"edge_count":5'), /more than edge_count/],
      [
        good.replace('"nodes":[9,', '"nodes":[9.5,'),
        /expected `,` between numbers|expected a non-negative integer/,
      ],
      [good.replace('"nodes":[9,', '"nodes":[-9,'), /expected a non-negative integer, got `-`/],
      [good.replace('"nodes":[9,', '"nodes":["9",'), /expected a non-negative integer, got `"`/],
      [good.replace('"nodes":[9,', '"nodes":[99,'), /node 0 has type 99/],
      [good.replace('"nodes":[9,', '"nodes":[9,,'), /unexpected `,`/],
      [
        good.replace('"edges":[2,1,7', '"edges":[2,1,5'),
        /points to node field offset 5: not a multiple of 7/,
      ],
      [good.replace('"edges":[2,1,7', '"edges":[2,1,700'), /points to node field offset 700/],
      [good.replace('"edges":[2,1,7', '"edges":[2,1,99999999999999999999'), /too large in "edges"/],
      [good.replace('"nodes":[9,', '"nodes":[9,99999999999'), /too large in "nodes"/],
      [good.replace('"strings":[""', '"strings":[1'), /expected a string, got `1`/],
      [good.replace('"strings":["",', '"strings":["\\x",'), /invalid escape \\x/],
      [good.replace('"strings":["",', '"strings":["\\u12g4",'), /invalid \\u escape/],
      [
        good.replace(/"strings":\[.*\]/s, '"strings":["", "a"]'),
        /name refers to string [2-7], "strings" has 2/,
      ],
      [good.replace('"samples":[]', '"samples":[],"samples":[]'), /duplicate key "samples"/],
      [good.replace(/,\n"edges":\[[^\]]*\]/, ''), /no "edges" array/],
      [good.replace('"trace_tree":[]', '"trace_tree":[1,2,3,4,5]'), /expected `\[` \(children\)/],
      [good.replace('"trace_tree":[]', '"trace_tree":[1,2,3,4,[],6]'), /ends before its 5 fields/],
      [good.replace('"trace_tree":[]', '"trace_tree":[1,2,[3],4,[]]'), /unexpected `\[` in "trace_tree"/],
      [
        good.replace('"trace_tree":[]', '"trace_tree":[1,2,3,4,[1,2,3,4,[]]'),
        /unexpected `"` in "trace_tree"/,
      ],
      [`${good.slice(0, good.indexOf('"trace_tree":[') + 14)}1,2,3,4,[5,6`, /truncated inside "trace_tree"/],
      [
        good.replace('"trace_function_infos":[]', '"trace_function_infos":[1,2,3]'),
        /ends inside a record of 6/,
      ],
    ];
    for (const [text, message] of cases) {
      const error = bad(text, { file: 'x.heapsnapshot' });
      expect(error.code, text.slice(0, 80)).toBe('ERR_LEAKKIT_BAD_SNAPSHOT');
      expect(error.message, text.slice(0, 200)).toMatch(message);
      expect(error.message).toMatch(/at byte \d+ of x\.heapsnapshot$/);
      expect(error.file).toBe('x.heapsnapshot');
      expect(error.offset).toBeGreaterThanOrEqual(0);
      expect(error.offset).toBeLessThanOrEqual(encoder.encode(text).length);
    }
  });

  it('points at the offending byte', () => {
    const text = good.replace('"nodes":[9,', '"nodes":[9,x');
    expect(bad(text).offset).toBe(text.indexOf('"nodes":[9,x') + 11);
  });

  it('refuses counts the input cannot hold before allocating anything', () => {
    const huge = good.replace('"node_count":4', '"node_count":400000000');
    const error = bad(huge);
    expect(error.message).toMatch(/need at least \d+ bytes, the input has/);
    expect(bad(good.replace('"edge_count":6', '"edge_count":9007199254740991')).message).toMatch(
      /edge_count 9007199254740991 is beyond/,
    );
    // Without a known size the arrays grow with the data instead: an absurd count costs nothing.
    const before = process.memoryUsage().arrayBuffers;
    const parser = new HeapSnapshotParser();
    const streamError = caught(() =>
      parser.write(encoder.encode(good.replace('"node_count":4', '"node_count":400000000'))),
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
    expect(streamError.message).toMatch(/"nodes" holds 28 numbers, node_count 400000000/);
  });

  it('stays failed after an error and refuses more input than totalBytes', () => {
    const parser = new HeapSnapshotParser();
    const first = caught(() => parser.write(encoder.encode('[')));
    expect(caught(() => parser.write(encoder.encode('{')))).toBe(first);
    expect(caught(() => parser.end())).toBe(first);
    const small = new HeapSnapshotParser({ totalBytes: 3 });
    expect(caught(() => small.write(encoder.encode('{"snapshot"'))).message).toMatch(/more bytes than/);
  });

  it('validates its options', () => {
    expect(caught(() => new HeapSnapshotParser({ totalBytes: -1 }))).toMatchObject({
      code: 'ERR_LEAKKIT_INVALID_OPTION',
      option: 'totalBytes',
    });
  });
});
