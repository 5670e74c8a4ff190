import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeapGraph } from '@leakkit/core/heap';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { caughtAsync } from './caught.js';
import type { SnapNode } from './fixtures/heap/snapshots.js';
import { expectSameData, syntheticSnapshot, tempDir } from './fixtures/heap/snapshots.js';

// The split depends on timing. To make it certain, the worker gets its job only once this thread
// has taken its first edges from the end (or has given up on them and waits for the worker), and
// what this thread takes is counted.
const split = vi.hoisted(() => ({ taken: 0, release: undefined as (() => void) | undefined }));
vi.mock('../src/heap/parse.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/heap/parse.js')>();
  return {
    ...original,
    claimEdges: (claims: Int32Array, most: number) => {
      const n = original.claimEdges(claims, most);
      split.taken += n;
      split.release?.();
      return n;
    },
  };
});
vi.mock('../src/heap/edge-worker.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/heap/edge-worker.js')>();
  return {
    ...original,
    startEdgeWorker: (file: string) => {
      const worker = original.startEdgeWorker(file);
      if (worker === undefined) return undefined;
      let job: Parameters<typeof worker.start>[0] | undefined;
      const release = () => {
        if (job !== undefined) worker.start(job);
        job = undefined;
        split.release = undefined;
      };
      return {
        start: (j: Parameters<typeof worker.start>[0]) => {
          job = j;
          split.release = release;
        },
        get result() {
          release();
          return worker.result;
        },
        search: (s: Parameters<typeof worker.search>[0]) => worker.search(s),
        close: () => worker.close(),
      };
    },
  };
});

let dir: string;
let cleanup: () => void;
let text: string;
let edgesStart: number;
/** Offset of the edges' closing `]` (a `\n` before it, as V8 writes). */
let close: number;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  // Edge-heavy, in V8's layout (`\n,` between records, `\n]` at the end): 300 nodes with 6,000
  // edges each. This thread is done with the nodes and strings long before the worker is with
  // 1.8 M edges, and takes edges from the end until the two meet.
  const strings = ['', 'root', 'Thing', 'x', 'y'];
  const nodes: SnapNode[] = [];
  const count = 300;
  let seed = 7;
  for (let n = 0; n < count; n++) {
    const edges: SnapNode['edges'] = [];
    for (let k = 0; k < 6000; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const to = seed % count;
      edges.push(k % 3 === 0 ? { type: 2, name: 3 + (k & 1), to } : { type: 1, name: k, to });
    }
    nodes.push({
      type: n === 0 ? 9 : 3,
      name: n === 0 ? 1 : 2,
      id: 2 * n + 1,
      self: n === 0 ? 0 : 16,
      edges,
    });
  }
  const plain = syntheticSnapshot(nodes, strings, { separator: '\n' });
  edgesStart = plain.indexOf('"edges":[') + '"edges":['.length;
  const end = plain.indexOf(']', edgesStart);
  text = `${plain.slice(0, end)}\n${plain.slice(end)}`;
  close = end + 1;
});

afterAll(() => cleanup());

function write(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content, 'latin1');
  return file;
}

describe('edges split between the worker and this thread', () => {
  it('takes edges from the end while the worker takes them from the front: the same graph', async () => {
    const file = write('split.heapsnapshot', text);
    const alone = await HeapGraph.fromFile(file, { parallel: false });
    split.taken = 0;
    const both = await HeapGraph.fromFile(file, { parallel: true });
    expect(split.taken).toBeGreaterThan(0);
    expect(both.edgeCount).toBe(1_800_000);
    expectSameData(both.data, alone.data);
  });

  it('gives the same graph when its share holds records it cannot fast-parse', async () => {
    // Spaces inside the last records: valid JSON this thread leaves to the parser's careful loop.
    const cut = text.lastIndexOf('\n,', close - 5000) + 1;
    const spaced = text.slice(0, cut) + text.slice(cut, close).replaceAll(',', ', ') + text.slice(close);
    const file = write('spaced-tail.heapsnapshot', spaced);
    const alone = await HeapGraph.fromFile(file, { parallel: false });
    const both = await HeapGraph.fromFile(file, { parallel: true });
    expectSameData(both.data, alone.data);
  });

  it('reports the same first error, at the same byte, as one thread', async () => {
    const at = (offset: number, bad: string) => text.slice(0, offset) + bad + text.slice(offset + bad.length);
    const record = (from: number) => text.indexOf('\n,', from) + 2;
    const lastRecord = text.lastIndexOf('\n,', close) + 2;
    const cases = {
      // In the first chunk this thread reads from the end: it takes nothing.
      'bad byte near the end of the edges': at(close - 40, 'x'),
      'edge to a node that does not exist': at(lastRecord, '2,0,99999'),
      // Further in: this thread stops there, the worker meets it there.
      'bad byte three MiB before the end': at(record(close - 3 * 1024 * 1024), '-'),
      'bad byte in the middle of the edges': at(
        record(edgesStart + Math.floor((close - edgesStart) / 2)),
        '-',
      ),
      // Every record well-formed, one too many or one missing: each thread sees a good array, the
      // two meet at the same edge but not at the same byte.
      'one record too many': `${text.slice(0, close - 1)}\n,1,0,0${text.slice(close - 1)}`,
      'a record missing': text.slice(0, lastRecord - 2) + text.slice(close - 1),
    };
    for (const [name, content] of Object.entries(cases)) {
      const file = write(`${name.replaceAll(' ', '-')}.heapsnapshot`, content);
      const alone = await caughtAsync(() => HeapGraph.fromFile(file, { parallel: false }));
      const both = await caughtAsync(() => HeapGraph.fromFile(file, { parallel: true }));
      expect(alone.code, name).toBe('ERR_LEAKKIT_BAD_SNAPSHOT');
      expect({ code: both.code, offset: both.offset, message: both.message }, name).toEqual({
        code: alone.code,
        offset: alone.offset,
        message: alone.message,
      });
    }
  });
});
