import type { Session } from 'node:inspector';
import { getHeapSnapshot } from 'node:v8';
import { LeakkitError } from '../errors.js';
import { HeapGraph } from '../heap/graph.js';
import { HeapSnapshotParser } from '../heap/parse.js';
import { isTracing, keepObjectsInPlace } from '../tracing/session.js';

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T)));
    } catch (error) {
      reject(error);
    }
  });
}

/**
 * Exact allocation tracking for one check: every object allocated while it is on carries its
 * allocating stack into the heap snapshots (`trace_node_id`), and V8 keeps object ids stable between
 * snapshots. `stop()` turns both off (`HeapProfiler.disable` clears V8's id map, so later garbage
 * collections of the process run at full speed again).
 */
export interface Tracking {
  /** Whether allocation stacks are recorded (false when the inspector is unavailable). */
  readonly traces: boolean;
  /** Resolves V8 object ids to live objects and reads a number off each; see {@link probe}. */
  probe(ids: readonly number[], read: string): Promise<(number | undefined)[]>;
  stop(): Promise<void>;
}

// One session for the life of the thread, as in heap/capture.ts: disconnecting a session makes V8
// forget its object ids (and, with someone else tracing, would stop their tracking too). A connected
// in-process session holds no handle, so it does not keep the process alive.
let shared: Session | undefined;

/** The thread's in-process inspector session, connected on first use. Throws without an inspector. */
export function inspectorSession(): Session {
  if (shared === undefined) {
    const inspector = process.getBuiltinModule('node:inspector');
    const session = new inspector.Session();
    session.connect();
    shared = session;
  }
  return shared;
}

/**
 * Starts exact allocation tracking. When the user already traces (`start()` from `@leakkit/core`),
 * tracking is left as it is and not stopped afterwards: their session owns it. Never throws:
 * without an inspector (`--permission`), the check runs without sites.
 */
export async function startTracking(): Promise<Tracking> {
  let session: Session | undefined;
  const external = isTracing();
  // V8's allocation tracker loses the stacks of objects a compacting GC moves (each heap snapshot
  // runs one): without this, 0-100% of a round's survivors had no site; see tracing/session.ts.
  let restoreCompaction: (() => void) | undefined;
  try {
    session = inspectorSession();
    await post(session, 'HeapProfiler.enable');
    if (!external) {
      restoreCompaction = keepObjectsInPlace();
      await post(session, 'HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
    }
  } catch {
    session = undefined;
  }
  let stopped = false;
  return {
    traces: session !== undefined,
    async probe(ids, read) {
      if (session === undefined || stopped) return ids.map(() => undefined);
      const out: (number | undefined)[] = [];
      for (const id of ids) {
        try {
          const { result } = await post<{ result: { objectId?: string } }>(
            session,
            'HeapProfiler.getObjectByHeapObjectId',
            { objectId: String(id), objectGroup: PROBE_GROUP },
          );
          if (result.objectId === undefined) {
            out.push(undefined);
            continue;
          }
          const value = await post<{ result: { value?: unknown } }>(session, 'Runtime.callFunctionOn', {
            objectId: result.objectId,
            functionDeclaration: read,
            returnByValue: true,
            objectGroup: PROBE_GROUP,
          });
          out.push(typeof value.result.value === 'number' ? value.result.value : undefined);
        } catch {
          out.push(undefined);
        }
      }
      // Let go of the objects: the group's handles would keep them alive.
      await post(session, 'Runtime.releaseObjectGroup', { objectGroup: PROBE_GROUP }).catch(() => {});
      return out;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      restoreCompaction?.();
      if (session === undefined || external) return;
      // Not stopTrackingHeapObjects: it would take one more snapshot. disable() stops tracking and
      // clears the id map, which otherwise keeps every later GC of the process 3-7x slower.
      await post(session, 'HeapProfiler.disable').catch(() => {});
    },
  };
}

const PROBE_GROUP = 'leakkit-probe';

/**
 * A heap snapshot of this process, parsed as it streams into a {@link HeapGraph}.
 * `v8.getHeapSnapshot()` rather than the inspector's `HeapProfiler.takeHeapSnapshot`: on V8 12+ an
 * inspector snapshot taken while allocations are tracked leaves tracking blind to part of what is
 * allocated afterwards (measured in tracing/session.ts). A snapshot collects garbage first.
 */
export async function snapshot(): Promise<HeapGraph> {
  const parser = new HeapSnapshotParser({ file: 'heap capture', trustCounts: true });
  try {
    for await (const chunk of getHeapSnapshot({ exposeNumericValues: true }))
      parser.write(chunk as Uint8Array);
  } catch (error) {
    throw new LeakkitError(
      'ERR_LEAKKIT_INSPECTOR_UNAVAILABLE',
      `Expected to take a heap snapshot of this process, got: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
  return new HeapGraph(parser.end());
}

/**
 * Where a function is defined, as an allocation frame (`[[FunctionLocation]]` through the
 * inspector): the fallback site of growth no allocation stack explains. Never throws.
 */
export async function functionFrame(fn: (...args: never[]) => unknown): Promise<TraceFrameLike | undefined> {
  let session: Session;
  try {
    session = inspectorSession();
  } catch {
    return undefined;
  }
  const key = `__leakkitFunctionUnderTest${process.pid}`;
  const g = globalThis as Record<string, unknown>;
  g[key] = fn;
  try {
    const { result } = await post<{ result: { objectId?: string } }>(session, 'Runtime.evaluate', {
      expression: `globalThis[${JSON.stringify(key)}]`,
      objectGroup: PROBE_GROUP,
    });
    if (result.objectId === undefined) return undefined;
    const { internalProperties } = await post<{
      internalProperties?: {
        name: string;
        value?: { value?: { scriptId: string; lineNumber: number; columnNumber: number } };
      }[];
    }>(session, 'Runtime.getProperties', { objectId: result.objectId, ownProperties: true });
    const location = internalProperties?.find((p) => p.name === '[[FunctionLocation]]')?.value?.value;
    if (location === undefined) return undefined;
    return {
      url: '',
      scriptId: Number(location.scriptId),
      functionName: fn.name,
      line: location.lineNumber + 1,
      column: location.columnNumber + 1,
    };
  } catch {
    return undefined;
  } finally {
    delete g[key];
    await post(session, 'Runtime.releaseObjectGroup', { objectGroup: PROBE_GROUP }).catch(() => {});
  }
}

/** A frame as `traces.ts` describes it (kept structural to avoid an import cycle). */
export interface TraceFrameLike {
  url: string;
  scriptId: number;
  functionName: string;
  line: number;
  column: number;
}
