import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { describeValue, LeakkitError } from '../errors.js';
import type { HeapGraphData } from './data.js';
import type { Dominators } from './dominators.js';
import { computeDominators } from './dominators.js';
import type { EdgeWorker } from './edge-worker.js';
import { startEdgeWorker } from './edge-worker.js';
import type { EdgeLines, EdgesJob, HeapParseProgress } from './parse.js';
import {
  claimEdges,
  completeEdges,
  delegatedEdges,
  delegateEdges,
  edgeClaims,
  HeapSnapshotParser,
  readEdgeLines,
  resumeEdges,
} from './parse.js';
import type { PathOptions, RetainingPath } from './paths.js';
import { backgroundSearch, pathTo } from './paths.js';
import type { Retainers } from './retainers.js';
import { buildRetainers } from './retainers.js';
import { lendScratch } from './scratch.js';
import type { SummaryEntry } from './summary.js';
import { summarize } from './summary.js';

/** Options of {@link HeapGraph.fromFile}. */
export interface HeapGraphFromFileOptions {
  /**
   * Called as the file is parsed (about once per 2 MiB read, and once at the end) with the bytes
   * read so far and the file size.
   * @default undefined
   */
  onProgress?: (progress: HeapParseProgress) => void;
  /**
   * Parse the snapshot's edges (more than half of the file) on a worker thread while this thread
   * parses the rest; the worker then searches the retainer tree behind `pathTo` while this thread
   * goes on. The results are the same either way. Off for files under 128 MiB, where one thread
   * is as fast (measured: 0.50 s either way for an 88 MB file, 10% faster with the worker at
   * 365 MB) and the worker's own heap and working arrays would add a tenth to the peak RSS, and
   * on a single CPU.
   * @default true for files of 128 MiB or more when `os.availableParallelism()` is above 1
   */
  parallel?: boolean;
}

// Two such buffers, reused, are all the I/O memory. 2 MiB reads parse as fast as 8 MiB ones did
// (measured) and hold 18 MiB less during the parse, the worker's buffer included.
const READ_CHUNK = 2 * 1024 * 1024;
// Below this a second thread saves no time (its start-up and the hand-over cost what it gains)
// and costs memory: the worker's isolate and its search arrays, ~13 MB at 88 MB of file.
const PARALLEL_MIN_BYTES = 128 * 1024 * 1024;

/**
 * A parsed V8 heap snapshot. Holds {@link HeapGraphData} (typed arrays, one string table) and
 * computes derived structures (retainers, dominators, id index) lazily, once.
 *
 * CONTRACT between heap modules (each file owns one concern):
 *   parse.ts       parseHeapSnapshot / HeapSnapshotParser: bytes -> HeapGraphData
 *   capture.ts     captureHeap(), resetHeapTracking()
 *   retainers.ts   reverse edges
 *   dominators.ts  dominator tree + retained sizes
 *   summary.ts     graph.summary()
 *   diff.ts        diffHeaps()
 *   names.ts       how a node / edge reads to a developer
 *   paths.ts       graph.pathTo()
 *   growth.ts      findGrowth()
 *   chains.ts      chains for findGrowth: links, walks, the advice
 *   promise-chains.ts  the promises of an async function that calls itself, for findGrowth
 */
export class HeapGraph {
  readonly data: HeapGraphData;

  constructor(data: HeapGraphData) {
    this.data = data;
  }

  /** Number of nodes in the snapshot. */
  get nodeCount(): number {
    return this.data.nodeCount;
  }

  /** Number of edges in the snapshot. */
  get edgeCount(): number {
    return this.data.edgeCount;
  }

  /**
   * The reverse edges (who holds each node), built on first use and kept: 8 bytes per edge.
   *
   * @example
   * ```ts
   * const { firstRetainer, retainerNode } = graph.retainers;
   * ```
   */
  get retainers(): Retainers {
    this.#retainers ??= buildRetainers(this.data);
    return this.#retainers;
  }

  /**
   * The dominator tree and retained sizes of every node, computed on first use and kept. See
   * `computeDominators` for which edges retain and how unreachable nodes are treated.
   *
   * @example
   * ```ts
   * const { retainedSize } = graph.dominators;
   * ```
   */
  get dominators(): Dominators {
    this.#dominators ??= computeDominators(this.data, (id) => this.nodeIndexOf(id));
    return this.#dominators;
  }

  /**
   * The Summary view: per constructor or type, count, self size and retained size, largest
   * retained size first (see `summarize`).
   *
   * @example
   * ```ts
   * for (const g of graph.summary().slice(0, 5)) console.log(g.name, g.count, g.retainedSize);
   * ```
   */
  summary(): SummaryEntry[] {
    return summarize(this.data, this.dominators);
  }

  /**
   * Bytes a garbage collection would free if the object with V8 id `nodeId` went away: its own
   * size plus everything it alone keeps alive. An object the root does not reach (only weakly
   * held) retains its own size.
   *
   * @param nodeId - A V8 object id (`@123` in DevTools), not a node index.
   * @returns The retained size in bytes.
   * @throws LeakkitError `ERR_LEAKKIT_UNKNOWN_NODE` when the graph holds no object with that id.
   *
   * @example
   * ```ts
   * graph.retainedSize(12345); // 1048576
   * ```
   */
  retainedSize(nodeId: number): number {
    return this.dominators.retainedSize[this.#indexOfKnown(nodeId)]!;
  }

  /**
   * The V8 id of the immediate dominator of object `nodeId`: the nearest object every retaining
   * path from the root passes through. `undefined` for the root itself and for objects the root
   * does not reach (only weakly held): nothing dominates them.
   *
   * @param nodeId - A V8 object id.
   * @returns The dominator's V8 id, or `undefined`.
   * @throws LeakkitError `ERR_LEAKKIT_UNKNOWN_NODE` when the graph holds no object with that id.
   *
   * @example
   * ```ts
   * const owner = graph.dominatorOf(12345); // the Map that alone keeps the entry alive
   * ```
   */
  dominatorOf(nodeId: number): number | undefined {
    const index = this.#indexOfKnown(nodeId);
    const dom = this.dominators;
    if (index === this.data.rootIndex || dom.reachable[index] === 0) return undefined;
    return this.data.nodeId[dom.idom[index]!];
  }

  /**
   * The shortest retaining path from a GC root to object `nodeId`, written as the developer would
   * write it (`TimerMetrics.timers`, `log.js › seen`); see `pathTo` for the notation.
   *
   * @param nodeId - A V8 object id.
   * @param options - `strings: true` prints Map keys' contents; `raw` / `internals` show V8's hops.
   * @returns The path, or `undefined` when only weak references (or nothing) hold the object.
   * @throws LeakkitError `ERR_LEAKKIT_UNKNOWN_NODE` when the graph holds no object with that id.
   *
   * @example
   * ```ts
   * graph.pathTo(12345)?.text; // 'TimerMetrics.timers'
   * ```
   */
  pathTo(nodeId: number, options?: PathOptions): RetainingPath | undefined {
    return pathTo(this, nodeId, options);
  }

  #indexOfKnown(nodeId: number): number {
    const index = this.nodeIndexOf(nodeId);
    if (index < 0) {
      throw new LeakkitError(
        'ERR_LEAKKIT_UNKNOWN_NODE',
        `Expected the id of an object in this snapshot, got \`${describeValue(nodeId)}\``,
      );
    }
    return index;
  }

  #retainers: Retainers | undefined;
  #dominators: Dominators | undefined;

  /**
   * Reads and parses a `.heapsnapshot` file of any size, streaming: the JSON text is never held,
   * only the typed arrays of the graph.
   *
   * @param path - the `.heapsnapshot` file.
   * @param options - `onProgress` for a progress bar.
   * @returns the graph.
   * @throws LeakkitError `ERR_LEAKKIT_FILE` when the file cannot be read (missing, a directory),
   *   `ERR_LEAKKIT_BAD_SNAPSHOT` (with `offset`) when it is empty or not a valid snapshot.
   *
   * @example
   * ```ts
   * const graph = await HeapGraph.fromFile('app.heapsnapshot', {
   *   onProgress: ({ bytesRead, totalBytes }) => console.log(bytesRead, totalBytes),
   * });
   * ```
   */
  static async fromFile(path: string, options: HeapGraphFromFileOptions = {}): Promise<HeapGraph> {
    if (typeof path !== 'string' || path === '') {
      throw new LeakkitError('ERR_LEAKKIT_INVALID_ARGUMENT', `Expected a file path, got \`${String(path)}\``);
    }
    const { onProgress, parallel } = options;
    if (parallel !== undefined && typeof parallel !== 'boolean') {
      throw new LeakkitError(
        'ERR_LEAKKIT_INVALID_OPTION',
        `Expected \`parallel\` to be a boolean, got \`${describeValue(parallel)}\``,
        { option: 'parallel' },
      );
    }
    // Each position is reported once, even when a parse starts over (see readFile).
    let reported = -1;
    const progress =
      onProgress === undefined
        ? undefined
        : (p: HeapParseProgress) => {
            if (p.bytesRead <= reported) return;
            reported = p.bytesRead;
            onProgress(p);
          };
    try {
      return await readFile(path, progress, parallel);
    } catch (error) {
      // With the edges on a worker, a broken snapshot is parsed again on one thread: its error,
      // and the byte it points at, are the first in the file, exactly as without the worker.
      if (error instanceof RetrySequentially) return await readFile(path, progress, false);
      throw error;
    }
  }

  // ---------------------------------------------------------------- small accessors
  // For the analysis modules: each is a typed-array read, no allocation.

  /** V8's object id of node `index` (stable between snapshots of one process). */
  nodeId(index: number): number {
    return this.data.nodeId[index] ?? 0;
  }

  /** Shallow size in bytes of node `index`. */
  selfSize(index: number): number {
    return this.data.nodeSelfSize[index] ?? 0;
  }

  /** Type name of node `index`: 'object', 'closure', 'string', 'hidden', … */
  nodeTypeName(index: number): string {
    return this.data.nodeTypeNames[this.data.nodeType[index] ?? 0] ?? '';
  }

  /** The node's name: a constructor or class name, a string's value, a closure's name, … */
  nodeNameOf(index: number): string {
    return this.data.strings.get(this.data.nodeName[index] ?? -1);
  }

  /** Index in `data.nodeTypeNames` of a node type name, -1 when the snapshot has no such type. */
  nodeTypeIndex(name: string): number {
    return this.data.nodeTypeNames.indexOf(name);
  }

  /** Index in `data.edgeTypeNames` of an edge type name, -1 when the snapshot has no such type. */
  edgeTypeIndex(name: string): number {
    return this.data.edgeTypeNames.indexOf(name);
  }

  /** First edge of node `index`; its edges are `edgeStart(index) .. edgeEnd(index) - 1`. */
  edgeStart(index: number): number {
    return this.data.firstEdge[index] ?? 0;
  }

  /** One past the last edge of node `index`. */
  edgeEnd(index: number): number {
    return this.data.firstEdge[index + 1] ?? 0;
  }

  /** The node index edge `edge` points to. */
  edgeTarget(edge: number): number {
    return this.data.edgeTo[edge] ?? 0;
  }

  /** Type name of edge `edge`: 'property', 'element', 'context', 'internal', 'hidden', 'shortcut', 'weak'. */
  edgeTypeName(edge: number): string {
    return this.data.edgeTypeNames[this.data.edgeType[edge] ?? 0] ?? '';
  }

  /** The edge's name: a property or variable name, or for 'element' and 'hidden' edges the index as a string. */
  edgeNameOf(edge: number): string {
    const value = this.data.edgeNameOrIndex[edge] ?? 0;
    const type = this.edgeTypeName(edge);
    return type === 'element' || type === 'hidden' ? String(value) : this.data.strings.get(value);
  }

  /**
   * The node index of the object with V8 id `id`, or -1. The first call builds an index over the
   * typed arrays, not a JS `Map` (it gives out past 16.7 M entries): V8 writes ids in increasing node
   * order except for a few nodes, so a binary search over the nodes in order plus a small sorted list
   * of the exceptions costs 1 bit a node; ids in no useful order fall back to an open-addressing hash
   * of 4 bytes a slot.
   */
  nodeIndexOf(id: number): number {
    const ids = this.data.nodeId;
    if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) return -1;
    this.#idIndex ??= buildIdIndex(ids);
    const index = this.#idIndex;
    if (index.hash !== undefined) {
      const table = index.hash;
      const mask = table.length - 1;
      for (let slot = hashId(id) & mask; ; slot = (slot + 1) & mask) {
        const entry = table[slot]!;
        if (entry === 0) return -1;
        if (ids[entry - 1] === id) return entry - 1;
      }
    }
    const out = index.out;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      // Step off nodes outside the increasing run (runs of them are short: see buildIdIndex).
      let m = mid;
      while (m >= lo && (out[m >>> 3]! & (1 << (m & 7))) !== 0) m--;
      if (m < lo) {
        m = mid + 1;
        while (m <= hi && (out[m >>> 3]! & (1 << (m & 7))) !== 0) m++;
        if (m > hi) break;
      }
      const v = ids[m]!;
      if (v === id) return m;
      if (v < id) lo = m + 1;
      else hi = m - 1;
    }
    const outIds = index.outIds;
    lo = 0;
    hi = outIds.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = outIds[mid]!;
      if (v === id) return index.outIndex[mid]!;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  #idIndex: IdIndex | undefined;
}

/** Thrown inside readFile when a parse with a worker met a problem that one thread must judge. */
class RetrySequentially extends Error {}

function fileError(path: string, what: string, cause: unknown): LeakkitError {
  const code = (cause as { code?: unknown } | null)?.code;
  return new LeakkitError(
    'ERR_LEAKKIT_FILE',
    `Cannot read heap snapshot ${path}: ${what}${typeof code === 'string' ? ` (${code})` : ''}`,
    { file: path, cause },
  );
}

async function readFile(
  path: string,
  onProgress: ((progress: HeapParseProgress) => void) | undefined,
  parallel: boolean | undefined,
): Promise<HeapGraph> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileError(path, 'cannot open it', error);
  }
  let worker: EdgeWorker | undefined;
  let edgesJob: (EdgesJob & { claims: Int32Array }) | undefined;
  try {
    let size: number | undefined;
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) throw fileError(path, 'it is a directory', undefined);
      // A pipe or character device has no size: parse it as a stream of unknown length.
      if (stat.isFile()) size = stat.size;
    } catch (error) {
      if (error instanceof LeakkitError) throw error;
      throw fileError(path, 'cannot stat it', error);
    }
    if (size === 0) {
      throw new LeakkitError(
        'ERR_LEAKKIT_BAD_SNAPSHOT',
        `Bad heap snapshot: empty file at byte 0 of ${path}`,
        {
          file: path,
          offset: 0,
        },
      );
    }
    const parser = new HeapSnapshotParser(
      onProgress === undefined
        ? { file: path, ...(size === undefined ? {} : { totalBytes: size }) }
        : {
            file: path,
            onProgress,
            ...(size === undefined ? {} : { totalBytes: size }),
          },
    );
    // The worker needs a file it can read at an offset, whose size bounds the arrays up front.
    if (size !== undefined && (parallel ?? (size >= PARALLEL_MIN_BYTES && availableParallelism() > 1))) {
      worker = startEdgeWorker(path);
      const edges = worker;
      if (edges !== undefined) {
        delegateEdges(parser, (job) => {
          const claims = edgeClaims(job.edgeCount);
          edgesJob = claims === undefined ? undefined : { ...job, claims };
          edges.start(edgesJob ?? job);
        });
      }
    }
    // Two buffers: the next read runs on libuv's thread pool while this thread parses the last one.
    const length = size === undefined ? READ_CHUNK : Math.min(READ_CHUNK, size);
    // One allocation for both, lent to the analyses once the file is read (see finish).
    const io = new ArrayBuffer(2 * length);
    const buffers = [Buffer.from(io, 0, length), Buffer.from(io, length, length)] as const;
    const read = async (
      buffer: Buffer,
      bytes = buffer.length,
      position: number | null = null,
    ): Promise<number> => {
      try {
        return (await handle.read(buffer, 0, bytes, position)).bytesRead;
      } catch (error) {
        throw fileError(path, `read failed after ${parser.bytesRead} bytes`, error);
      }
    };
    const delegated = () => worker !== undefined && delegatedEdges(parser).start >= 0;
    const finish = (): HeapGraph => {
      const graph = new HeapGraph(parser.end());
      // The read buffers are garbage from here on, but their memory stays with the process until a
      // collection: the first analysis (the dominators' node array) takes it instead of more.
      lendScratch(graph.data, new Uint32Array(io, 0, io.byteLength >>> 2));
      if (worker !== undefined) {
        // The worker is idle and has the edges: it searches the retainer tree for pathTo while
        // this thread goes on (to the dominators, typically).
        const search = backgroundSearch(graph.data);
        if (search !== undefined) worker.search(search);
      }
      return graph;
    };
    try {
      let which = 0;
      let pending = read(buffers[0]);
      for (;;) {
        const bytesRead = await pending;
        if (bytesRead === 0) break;
        const filled = buffers[which]!;
        which ^= 1;
        pending = read(buffers[which]!);
        try {
          parser.write(filled.subarray(0, bytesRead));
        } catch (error) {
          // Let the read in flight finish before the handle is closed.
          await pending.catch(() => 0);
          throw error;
        }
      }
      if (worker !== undefined) {
        const { start, end } = delegatedEdges(parser);
        if (start >= 0) {
          if (end < 0) throw new RetrySequentially();
          // The rest of the file is parsed: take edges from the end until the worker's meet them.
          const tail = edgesJob === undefined ? undefined : await edgesFromEnd(edgesJob, start, end, read);
          const result = (await worker.result) ?? { start: -1, edge: 0, maxEdgeName: -1, stoppedAt: -1 };
          if (
            tail !== undefined &&
            result.start === start &&
            result.edge === tail.low &&
            result.stoppedAt === tail.lowByte
          ) {
            completeEdges(parser, Math.max(result.maxEdgeName, tail.maxEdgeName));
            return finish();
          }
          // The worker stops before the last record (normally): check and finish from there.
          const resume = resumeEdges(parser, result);
          const buffer = buffers[0];
          for (let at = resume.from; at < resume.to; ) {
            const n = await read(buffer, Math.min(buffer.length, resume.to - at), at);
            if (n === 0) throw new RetrySequentially();
            resume.write(buffer.subarray(0, n));
            at += n;
          }
          resume.end();
        }
      }
      return finish();
    } catch (error) {
      if (delegated() && error instanceof LeakkitError && error.code !== 'ERR_LEAKKIT_FILE') {
        throw new RetrySequentially();
      }
      throw error;
    }
  } finally {
    worker?.close();
    await handle.close().catch(() => {});
  }
}

/** The calling thread's share of the edges: see {@link edgesFromEnd}. */
interface EdgesTail {
  /** The first edge it stored (all from there to the end are). */
  low: number;
  /** File offset of that edge's record. */
  lowByte: number;
  maxEdgeName: number;
}

// What the calling thread reads of the edges at a time, from the end.
const TAIL_CHUNK = 1024 * 1024;

/**
 * Parses edges from the end of the array towards its start (a chunk at a time, each chunk's
 * records in file order) while the worker parses them from the start, the two taking edges under
 * one lock (`claims`) until they meet: the calling thread, done with the rest of the file, takes
 * its share of the largest array. V8's layout only (`type,name,to` records separated by `\n,`,
 * `\n]` at the end); at any doubt it stops, and what it did not take, the worker's careful resume
 * does. Returns undefined when it stored nothing usable.
 *
 * @param start - File offset after the array's `[`.
 * @param close - File offset of its `]`.
 */
async function edgesFromEnd(
  job: EdgesJob & { claims: Int32Array },
  start: number,
  close: number,
  read: (buffer: Buffer, bytes: number, position: number) => Promise<number>,
): Promise<EdgesTail | undefined> {
  const { claims, edgeIsIndex, edgeType, edgeNameOrIndex, edgeTo } = job;
  const buffer = Buffer.allocUnsafeSlow(TAIL_CHUNK);
  // A record takes at least six bytes (`0,0,0` and `\n,` or `\n]`).
  const most = Math.ceil(TAIL_CHUNK / 6) + 1;
  const lines: EdgeLines = {
    type: new Uint8Array(most),
    name: new Uint32Array(most),
    to: new Uint32Array(most),
    start: new Uint32Array(most),
  };
  let high = job.edgeCount;
  // The `\n` that ends the last record not stored yet.
  let end = close - 1;
  let maxEdgeName = -1;
  let tail: EdgesTail | undefined;
  if ((await read(buffer, 1, end)) !== 1 || buffer[0] !== 0x0a) return undefined;
  while (end > start) {
    const from = Math.max(start, end - TAIL_CHUNK);
    const length = end - from;
    if ((await read(buffer, length, from)) !== length) break;
    // The first whole record: right after `[`, or after the first `\n,` of the chunk.
    let first = 0;
    if (from > start) {
      const newline = buffer.indexOf(0x0a);
      if (newline < 0 || newline + 2 >= length || buffer[newline + 1] !== 0x2c) break;
      first = newline + 2;
    }
    const count = readEdgeLines(buffer, first, length, job, lines);
    if (count <= 0) break;
    const taken = claimEdges(claims, count);
    if (taken === 0) break;
    const low = high - taken;
    const skip = count - taken;
    for (let k = skip; k < count; k++) {
      const type = lines.type[k]!;
      const name = lines.name[k]!;
      const e = low + k - skip;
      edgeType[e] = type;
      edgeNameOrIndex[e] = name;
      edgeTo[e] = lines.to[k]!;
      if (name > maxEdgeName && edgeIsIndex[type] === 0) maxEdgeName = name;
    }
    high = low;
    tail = { low, lowByte: from + lines.start[skip]!, maxEdgeName };
    if (skip > 0) break;
    end = from + first - 2;
  }
  return tail;
}

// murmur3's finaliser: V8 ids are all odd, so the low bits of a plain product would waste half the table.
function hashId(id: number): number {
  let h = id ^ (id >>> 16);
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

interface IdIndex {
  /** One bit per node: set when the node is not part of the increasing run of ids. */
  out: Uint8Array;
  /** Ids of the nodes outside the run, sorted, and their node indices. */
  outIds: Uint32Array;
  outIndex: Uint32Array;
  /** Set instead when the ids have no usable order: node index + 1 per slot, 0 empty. */
  hash: Uint32Array | undefined;
}

// Beyond these the bit-set search stops paying: fall back to the hash.
const MAX_OUT_SHARE = 1 / 16;
const MAX_OUT_RUN = 1024;

function buildIdIndex(ids: Uint32Array): IdIndex {
  const n = ids.length;
  const out = new Uint8Array((n + 7) >>> 3);
  const { outCount, longestRun } = markOutOfRun(ids, out);
  if (outCount > n * MAX_OUT_SHARE || longestRun > MAX_OUT_RUN) {
    return {
      out: new Uint8Array(0),
      outIds: new Uint32Array(0),
      outIndex: new Uint32Array(0),
      hash: buildHash(ids),
    };
  }
  const outIndex = setBits(out, outCount);
  // Few by construction: a comparator sort is fine here.
  outIndex.sort((a, b) => ids[a]! - ids[b]!);
  const outIds = new Uint32Array(outCount);
  for (let k = 0; k < outCount; k++) outIds[k] = ids[outIndex[k]!]!;
  return { out, outIds, outIndex, hash: undefined };
}

/** Sets the bit of every node outside the increasing run of ids; one loop a function, so V8 optimises it early. */
function markOutOfRun(ids: Uint32Array, out: Uint8Array): { outCount: number; longestRun: number } {
  const n = ids.length;
  let outCount = 0;
  let run = 0;
  let longestRun = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    // Keep a node in the run when its id continues it, unless it is a spike above the next id that
    // would push every later node out of the run.
    const next = i + 1 < n ? ids[i + 1]! : Number.POSITIVE_INFINITY;
    if (id > last && (id < next || next <= last)) {
      last = id;
      run = 0;
    } else {
      out[i >>> 3]! |= 1 << (i & 7);
      outCount++;
      if (++run > longestRun) longestRun = run;
    }
  }
  return { outCount, longestRun };
}

/** The positions of the `count` set bits of `bits`, in order, a byte at a time. */
function setBits(bits: Uint8Array, count: number): Uint32Array {
  const positions = new Uint32Array(count);
  let k = 0;
  for (let b = 0; b < bits.length && k < count; b++) {
    let byte = bits[b]!;
    while (byte !== 0) {
      const low = byte & -byte;
      positions[k++] = b * 8 + 31 - Math.clz32(low);
      byte ^= low;
    }
  }
  return positions;
}

function buildHash(ids: Uint32Array): Uint32Array {
  const n = ids.length;
  // Load factor at most 1/2 keeps probe sequences short.
  let size = 1;
  while (size < n * 2) size *= 2;
  const table = new Uint32Array(size);
  const mask = size - 1;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    let slot = hashId(id) & mask;
    for (;;) {
      const entry = table[slot]!;
      if (entry === 0) {
        table[slot] = i + 1;
        break;
      }
      // A repeated id (only in a damaged snapshot): the first node keeps it.
      if (ids[entry - 1] === id) break;
      slot = (slot + 1) & mask;
    }
  }
  return table;
}
