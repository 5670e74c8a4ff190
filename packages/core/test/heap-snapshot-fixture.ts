import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeapGraphData } from '../src/heap/data.js';
import { HeapGraph } from '../src/heap/graph.js';
import type { HeapSnapshotJson } from '../src/heap/reference.js';
import { graphDataFromJson } from '../src/heap/reference.js';

// Real snapshots for the graph-algorithm tests, made by a fresh child process so the test
// runner's own heap (and its garbage) never lands in them. The script gets `gc()` (forced, so
// counts are exact) and `await snap(name)`, which writes `<dir>/<name>.heapsnapshot`.

const PRELUDE = `
import v8 from 'node:v8';
import vm from 'node:vm';
import { join } from 'node:path';
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
// A macrotask first, so no temporaries linger in the script's stack frame ((Stack roots)).
const snap = async (name) => {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  gc();
  v8.writeHeapSnapshot(join(process.env.LK_SNAPSHOT_DIR, name + '.heapsnapshot'));
};
`;

/** Runs `body` (an ES module body) in a child Node and returns the directory with its snapshots. */
export function captureInChild(body: string): { dir: string; path(name: string): string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'lk-heap-test-'));
  const env: NodeJS.ProcessEnv = { ...process.env, LK_SNAPSHOT_DIR: dir };
  delete env.NODE_OPTIONS;
  execFileSync(process.execPath, ['--input-type=module', '-e', PRELUDE + body], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    dir,
    path: (name) => join(dir, `${name}.heapsnapshot`),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Loads a snapshot with the reference (JSON.parse) loader: the oracle, independent of the parser. */
export function loadReference(path: string): HeapGraph {
  const data: HeapGraphData = graphDataFromJson(JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotJson);
  return new HeapGraph(data);
}

/** Node indices of the objects of class `name`. */
export function nodesOfClass(data: HeapGraphData, name: string): number[] {
  const objectType = data.nodeTypeNames.indexOf('object');
  const out: number[] = [];
  for (let n = 0; n < data.nodeCount; n++) {
    if (data.nodeType[n] === objectType && data.strings.get(data.nodeName[n]!) === name) out.push(n);
  }
  return out;
}

/** The node a `property` edge named `name` points to (the first one): `globalThis.name`'s value. */
export function propertyTarget(data: HeapGraphData, name: string): number {
  const property = data.edgeTypeNames.indexOf('property');
  for (let e = 0; e < data.edgeCount; e++) {
    if (data.edgeType[e] === property && data.strings.get(data.edgeNameOrIndex[e]!) === name)
      return data.edgeTo[e]!;
  }
  throw new Error(`no property edge named ${name}`);
}
