import type { Worker } from 'node:worker_threads';
import type { EdgeRun, EdgesJob, EdgesResult } from './parse.js';
import { readEdgeRecords } from './parse.js';
import type { BackgroundSearch } from './paths.js';
import type { SearchState } from './search.js';
import { advance, SEARCH_FUNCTIONS, searchArrays } from './search.js';

/**
 * A worker thread that parses a snapshot's "edges" array (more than half of the file) straight
 * from the file into the parser's shared arrays, while the calling thread parses the rest.
 */
export interface EdgeWorker {
  /** Hands the worker its job (see `delegateEdges`); call it at most once. */
  start(job: EdgesJob): void;
  /**
   * What the worker did; `undefined` when it could not run or failed (nothing it wrote counts).
   * Never rejects.
   */
  readonly result: Promise<EdgesResult | undefined>;
  /**
   * After the edges: hands the worker the graph's retainer search (see `backgroundSearch`), which
   * it runs to the end and then exits; `close()` then lets it finish instead of stopping it.
   */
  search(search: BackgroundSearch): void;
  /** Stops the worker if it still runs (unless it was given a search). Idempotent. */
  close(): void;
}

/**
 * Starts the worker now, so that its start-up (tens of milliseconds) overlaps the parse of the
 * snapshot's header and nodes. Returns undefined when no worker can be started (a runtime without
 * worker threads, a permission model that forbids them): the caller parses alone.
 *
 * The worker runs source text built from two self-contained functions (`readEdgeRecords`, the
 * parser's own fast path, and `edgeWorkerMain`), not a module file: the same code then runs from
 * the built package and from the TypeScript sources under test.
 *
 * @param file - The snapshot file; the worker opens and reads it itself.
 */
export function startEdgeWorker(file: string): EdgeWorker | undefined {
  let worker: Worker;
  try {
    // Loaded on first use: most files are parsed on one thread, and importing the module costs RSS.
    const { Worker: WorkerThread } = process.getBuiltinModule('node:worker_threads');
    worker = new WorkerThread(workerSource(), { eval: true, workerData: { file } });
  } catch {
    return undefined;
  }
  let closed = false;
  let searching = false;
  const result = new Promise<EdgesResult | undefined>((resolve) => {
    worker.once('message', (message: unknown) => resolve(asResult(message)));
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
  return {
    start(job) {
      if (closed) return;
      worker.postMessage(job);
    },
    result,
    search(search) {
      if (closed || searching) return;
      searching = true;
      worker.postMessage({ job: search.job, status: search.status });
    },
    close() {
      if (closed) return;
      closed = true;
      if (searching) {
        // Let it finish its search without keeping the process alive for it.
        worker.unref();
        return;
      }
      worker.postMessage(null);
      // A worker that already exited resolves this at once; nothing to wait for either way.
      void worker.terminate().catch(() => {});
    },
  };
}

function asResult(message: unknown): EdgesResult | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { start, edge, maxEdgeName, stoppedAt } = message as Record<string, unknown>;
  if (
    typeof start !== 'number' ||
    typeof edge !== 'number' ||
    typeof maxEdgeName !== 'number' ||
    typeof stoppedAt !== 'number'
  ) {
    return undefined;
  }
  return { start, edge, maxEdgeName, stoppedAt };
}

let source: string | undefined;

function workerSource(): string {
  // `require` is named only inside this text: bundlers rewrite it in code.
  // The search's functions are declarations that call each other by name (a bundler may rename
  // them, consistently): kept as they are, and passed by the names they have.
  source ??= `'use strict';\nconst readEdgeRecords = ${readEdgeRecords.toString()};\n${SEARCH_FUNCTIONS.map(String).join('\n')}\n(${edgeWorkerMain.toString()})(readEdgeRecords, require, ${searchArrays.name}, ${advance.name});\n`;
  return source;
}

/**
 * The worker's body. Self-contained (its source text is what runs): reads the file from the job's
 * offset in 8 MiB chunks, runs the parser's fast path over each (a record cut by a chunk's end is
 * moved to the front of the next), and reports where the fast path stopped: normally the last
 * record, which `]` follows; the parser checks and completes the rest.
 */
function edgeWorkerMain(
  read: (buf: Uint8Array, start: number, end: number, run: EdgeRun) => number,
  load: (id: string) => unknown,
  arrays: (
    nodeCount: number,
    root: number,
    via: Uint32Array,
  ) => Pick<SearchState, 'seen' | 'queue' | 'deferred' | 'deferredTo'>,
  advance: (s: SearchState, target: number) => void,
): void {
  const { parentPort: port, workerData } = load(
    'node:worker_threads',
  ) as typeof import('node:worker_threads');
  const fs = load('node:fs') as typeof import('node:fs');
  if (port === null) return;
  const parentPort = port;
  parentPort.once('message', (job: EdgesJob) => {
    const run: EdgeRun = {
      edge: 0,
      maxEdgeName: -1,
      edgeCapacity: job.edgeCount,
      edgeType: job.edgeType,
      edgeNameOrIndex: job.edgeNameOrIndex,
      edgeTo: job.edgeTo,
      nf: job.nf,
      toLimit: job.toLimit,
      edgeTypeCount: job.edgeTypeCount,
      edgeIsIndex: job.edgeIsIndex,
    };
    // Small reads: the file's bytes pass through, nothing needs more (see READ_CHUNK in graph.ts).
    const chunk = 2 * 1024 * 1024;
    // Edges taken at a time when the calling thread shares the array (EdgesJob.claims): a few
    // hundred KiB of records, so the lock is taken rarely and the last block is short.
    const block = 1 << 15;
    // The fast path's margin: a record starts only this far from the end of what was read.
    const margin = 256;
    let fd = -1;
    let reply: { start: number; edge: number; maxEdgeName: number; stoppedAt: number };
    try {
      fd = fs.openSync(workerData.file, 'r');
      const buf = Buffer.allocUnsafeSlow(chunk);
      const start = findEdges(fd, buf, job.searchFrom);
      // Sharing the array with the calling thread (which takes edges from the end): this thread
      // takes a block at a time from the front, and stops where the two meet.
      const claims = job.claims;
      const claim = (): number => {
        if (claims === undefined) return job.edgeCount;
        while (Atomics.compareExchange(claims, 0, 0, 1) !== 0) {
          // The other side holds the lock for a few instructions.
        }
        const low = Atomics.load(claims, 1);
        const end = Math.min(Atomics.load(claims, 2), low + block);
        Atomics.store(claims, 1, Math.max(low, end));
        Atomics.store(claims, 0, 0);
        return Math.max(low, end);
      };
      run.edgeCapacity = start < 0 ? 0 : claim();
      let met = false;
      // File offset of buf[0]; bytes in buf; the next record's first byte in buf.
      let base = start;
      let length = 0;
      let q = 0;
      let first = true;
      for (;;) {
        const n = start < 0 ? 0 : fs.readSync(fd, buf, length, chunk - length, base + length);
        length += n;
        if (first) {
          // A first call on a few records only: V8 then optimises the loop knowing its exit (see
          // the parser's #fastEnd).
          q = read(buf, q, Math.min(length, q + 4096), run);
          first = false;
        }
        for (;;) {
          q = read(buf, q, length, run);
          if (claims === undefined || run.edge !== run.edgeCapacity) break;
          // Its block is done: the next, unless the calling thread has taken the rest.
          const next = claim();
          if (next === run.edge) {
            met = true;
            break;
          }
          run.edgeCapacity = next;
        }
        // Stopped with room to spare: a record it doubts (normally the last, before `]`).
        if (met || q < length - margin || run.edge === run.edgeCapacity || n === 0) break;
        buf.copyWithin(0, q, length);
        base += q;
        length -= q;
        q = 0;
      }
      reply = { start, edge: run.edge, maxEdgeName: run.maxEdgeName, stoppedAt: base + q };
    } catch {
      // The parser will do it all.
      reply = { start: -1, edge: 0, maxEdgeName: -1, stoppedAt: -1 };
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
    parentPort.postMessage(reply);
    // Then a retainer search, or nothing (null): see EdgeWorker.search.
    parentPort.once(
      'message',
      (next: { job: Omit<SearchState, keyof ReturnType<typeof arrays>>; status: Int32Array } | null) => {
        if (next !== null) {
          // RUNNING (0) → FINISHED (1), unless the calling thread abandoned it (2) meanwhile.
          try {
            const s: SearchState = {
              ...next.job,
              ...arrays(next.job.nodeCount, next.job.root, next.job.via),
            };
            advance(s, -1);
            Atomics.compareExchange(next.status, 0, 0, 1);
          } catch {
            Atomics.compareExchange(next.status, 0, 0, 2);
          }
        }
        parentPort.close();
      },
    );
  });

  /** The offset after the `[` of the first `"edges"` key from `from` on, or -1. */
  function findEdges(fd: number, buf: Buffer, from: number): number {
    const key = Buffer.from('"edges"');
    let at = from;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, at);
      if (n < key.length) return -1;
      const view = buf.subarray(0, n);
      let i = view.indexOf(key);
      while (i >= 0 && i + key.length + 8 <= n) {
        let k = i + key.length;
        while (view[k] === 0x20 || view[k] === 0x0a || view[k] === 0x0d || view[k] === 0x09) k++;
        if (view[k] === 0x3a) {
          k++;
          while (view[k] === 0x20 || view[k] === 0x0a || view[k] === 0x0d || view[k] === 0x09) k++;
          if (view[k] === 0x5b) return at + k + 1;
        }
        i = view.indexOf(key, i + 1);
      }
      // Not in this chunk (or too close to its end to tell): go on, overlapping what is left.
      if (n < buf.length) return -1;
      at += n - (key.length + 8);
    }
  }
}
