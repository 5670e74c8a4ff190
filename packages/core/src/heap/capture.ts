import { closeSync, openSync, writeSync } from 'node:fs';
import { Session } from 'node:inspector';
import { getHeapSnapshot } from 'node:v8';
import { LeakkitError } from '../errors.js';
import { HeapGraph } from './graph.js';
import type { HeapParseProgress, HeapSnapshotParserOptions } from './parse.js';
import { HeapSnapshotParser } from './parse.js';

/** Options of {@link captureHeap}. */
export interface CaptureHeapOptions {
  /**
   * Also write the snapshot, byte for byte as it streams, to this `.heapsnapshot` file (for DevTools,
   * or to parse it again in another process).
   * @default undefined (nothing is written)
   */
  file?: string;
  /**
   * Call {@link resetHeapTracking} after the capture, so the process's garbage collector returns to
   * full speed. Object ids of later captures then no longer match this one's.
   * @default false (a one-time process warning explains the slowdown instead)
   */
  resetAfter?: boolean;
  /**
   * How to take the snapshot. `'inspector'` streams V8's serialiser through an in-process
   * `node:inspector` session, so no JSON text is ever held; `'stream'` uses `v8.getHeapSnapshot()`,
   * whose stream Node fills completely before the first chunk is read (the whole text in Buffers at
   * once). `'inspector'` falls back to `'stream'` where the inspector is unavailable (`--permission`).
   * @default 'inspector'
   */
  method?: 'inspector' | 'stream';
  /**
   * Progress while the snapshot is parsed (bytes so far; the total is unknown while streaming).
   * @default undefined
   */
  onProgress?: (progress: HeapParseProgress) => void;
}

let warned = false;

/** The code of the process warning {@link captureHeap} emits once per process. */
export const HEAP_TRACKING_WARNING_CODE = 'LEAKKIT_HEAP_TRACKING';

function warnSlowGc(): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    'leakkit took a heap snapshot: from now on V8 tracks every object move to keep snapshot ids stable, ' +
      'which makes each later garbage collection of this process several times slower (3-7x measured). ' +
      'Call resetHeapTracking() from @leakkit/core/heap when you are done comparing snapshots, or pass ' +
      '{ resetAfter: true } to captureHeap().',
    { type: 'LeakkitWarning', code: HEAP_TRACKING_WARNING_CODE },
  );
}

function invalid(option: string, expected: string, got: unknown): LeakkitError {
  return new LeakkitError(
    'ERR_LEAKKIT_INVALID_OPTION',
    `Expected \`${option}\` to be ${expected}, got \`${String(got)}\``,
    {
      option,
    },
  );
}

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function connect(): Session | undefined {
  try {
    const session = new Session();
    session.connect();
    return session;
  } catch {
    // No inspector in this build, denied by the permission model, or another main-thread session
    // that forbids a second one: the caller falls back.
    return undefined;
  }
}

// Disconnecting any inspector session makes V8 forget its object ids (the HeapProfiler agent's
// disable() runs on disconnect), so the session captures go through stays connected for the life of
// the process: ids stay stable between captures, as diffHeaps and findGrowth need. A connected
// in-process session holds no handle: it does not keep the process alive.
let captureSession: Session | undefined;
// One capture at a time on that session: on Node 22/24 chunks arrive asynchronously, and a second
// listener on the same session would receive the first capture's chunks too.
let captureQueue: Promise<unknown> = Promise.resolve();

/**
 * Streams the snapshot through an inspector session: V8 hands over its serialiser's output in
 * ~100 KB (Node 20/22) to ~1 MB (Node 24) string chunks, each encoded into one reused buffer and
 * passed on before the next is made. Returns false when no session could be opened.
 */
function viaInspector(sink: (bytes: Uint8Array) => void): Promise<boolean> {
  const run = captureQueue.then(
    () => streamInspector(sink),
    () => streamInspector(sink),
  );
  captureQueue = run.catch(() => undefined);
  return run;
}

async function streamInspector(sink: (bytes: Uint8Array) => void): Promise<boolean> {
  captureSession ??= connect();
  const session = captureSession;
  if (!session) return false;
  const encoder = new TextEncoder();
  let buffer = new Uint8Array(1 << 20);
  let failure: unknown;
  let chunks = 0;
  // This listener runs inside V8's serialiser; an exception thrown here would land in the host's
  // process, so it is kept and rethrown once the snapshot is done.
  const onChunk = (message: { params: { chunk: string } }) => {
    if (failure !== undefined) return;
    try {
      const chunk = message.params.chunk;
      chunks++;
      if (chunk.length * 3 > buffer.length) buffer = new Uint8Array(chunk.length * 3);
      const { written } = encoder.encodeInto(chunk, buffer);
      sink(buffer.subarray(0, written));
    } catch (error) {
      failure = error;
    }
  };
  session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  try {
    // Numbers as nodes: a cache's `max = 100` is otherwise a Smi the snapshot leaves out, and
    // detectors need it to tell a cap that is not enforced.
    await post(session, 'HeapProfiler.takeHeapSnapshot', {
      reportProgress: false,
      captureNumericValue: true,
    });
  } catch (error) {
    if (chunks === 0 && failure === undefined) return false;
    throw new LeakkitError('ERR_LEAKKIT_INSPECTOR_UNAVAILABLE', `HeapProfiler.takeHeapSnapshot failed`, {
      cause: error,
    });
  } finally {
    session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  }
  if (failure !== undefined) throw failure;
  return true;
}

async function viaStream(sink: (bytes: Uint8Array) => void): Promise<void> {
  for await (const chunk of getHeapSnapshot({ exposeNumericValues: true })) sink(chunk as Uint8Array);
}

/**
 * Takes a heap snapshot of this process and parses it as it streams: no JSON text and no object per
 * node, only the typed arrays of a {@link HeapGraph}.
 *
 * Taking a snapshot makes every later garbage collection of the process slower (V8 keeps tracking
 * object moves for stable ids): pass `resetAfter: true`, or call {@link resetHeapTracking} when done
 * comparing captures; otherwise one process warning (code `LEAKKIT_HEAP_TRACKING`) says so.
 *
 * The graph's typed arrays live outside the JS heap but a later capture still sees them (as array
 * buffer backing stores): compare captures taken with that in mind, or write them to files
 * (`file`) and analyse in another process.
 *
 * @param options - `file` to also write the snapshot, `resetAfter`, `method`, `onProgress`.
 * @returns the parsed graph.
 * @throws LeakkitError `ERR_LEAKKIT_FILE` when `file` cannot be written, `ERR_LEAKKIT_INVALID_OPTION`
 *   for bad options.
 *
 * @example
 * ```ts
 * const graph = await captureHeap({ resetAfter: true });
 * console.log(graph.nodeCount, 'objects');
 * ```
 */
export async function captureHeap(options: CaptureHeapOptions = {}): Promise<HeapGraph> {
  const { file, resetAfter = false, method = 'inspector', onProgress } = options;
  if (file !== undefined && (typeof file !== 'string' || file === ''))
    throw invalid('file', 'a file path', file);
  if (typeof resetAfter !== 'boolean') throw invalid('resetAfter', 'a boolean', resetAfter);
  if (method !== 'inspector' && method !== 'stream')
    throw invalid('method', "'inspector' or 'stream'", method);
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw invalid('onProgress', 'a function', onProgress);
  }
  // V8's own output in this process: its counts can be trusted, so the arrays are allocated once.
  const parserOptions: HeapSnapshotParserOptions = { file: file ?? 'heap capture', trustCounts: true };
  if (onProgress) parserOptions.onProgress = onProgress;
  const parser = new HeapSnapshotParser(parserOptions);

  let fd: number | undefined;
  if (file !== undefined) {
    try {
      fd = openSync(file, 'w');
    } catch (error) {
      throw new LeakkitError('ERR_LEAKKIT_FILE', `Cannot write heap snapshot ${file}`, {
        file,
        cause: error,
      });
    }
  }
  let written = 0;
  const sink = (bytes: Uint8Array) => {
    if (fd !== undefined) {
      try {
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      } catch (error) {
        throw new LeakkitError(
          'ERR_LEAKKIT_FILE',
          `Cannot write heap snapshot ${file} after ${written} bytes`,
          {
            file: file as string,
            cause: error,
          },
        );
      }
      written += bytes.length;
    }
    parser.write(bytes);
  };
  try {
    if (method === 'stream' || !(await viaInspector(sink))) await viaStream(sink);
    return new HeapGraph(parser.end());
  } finally {
    if (fd !== undefined) closeSync(fd);
    // Also when the parse failed: the snapshot was taken either way. A reset that cannot be done
    // (no inspector) must not cost the caller the graph: it becomes the warning.
    let reset = false;
    if (resetAfter)
      reset = await resetHeapTracking().then(
        () => true,
        () => false,
      );
    if (!reset) warnSlowGc();
  }
}

/**
 * Undoes what a heap snapshot leaves behind: V8 stops tracking object moves (garbage collections run
 * at full speed again) and forgets its object ids. Ids of captures taken before the reset no longer
 * match ids of captures taken after it, so compare (`diffHeaps`, `findGrowth`) only captures from one
 * side of a reset.
 *
 * It opens an in-process inspector session and sends `HeapProfiler.enable` then
 * `HeapProfiler.disable`. It does not stop a sampling heap profiler started by another session.
 * Note that V8 does the same whenever any inspector session of the process disconnects: ids are then
 * reset too.
 *
 * @throws LeakkitError `ERR_LEAKKIT_INSPECTOR_UNAVAILABLE` when `node:inspector` cannot be used here.
 *
 * @example
 * ```ts
 * const before = await captureHeap();
 * const after = await captureHeap();
 * await resetHeapTracking();
 * ```
 */
export async function resetHeapTracking(): Promise<void> {
  const session = connect();
  if (!session) {
    throw new LeakkitError(
      'ERR_LEAKKIT_INSPECTOR_UNAVAILABLE',
      'Cannot reset heap tracking: node:inspector is not available in this process (--permission?)',
    );
  }
  try {
    await post(session, 'HeapProfiler.enable');
    await post(session, 'HeapProfiler.disable');
  } catch (error) {
    throw new LeakkitError('ERR_LEAKKIT_INSPECTOR_UNAVAILABLE', 'Cannot reset heap tracking', {
      cause: error,
    });
  } finally {
    session.disconnect();
  }
}
