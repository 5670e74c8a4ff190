import { join } from 'node:path';
import {
  captureHeap,
  HEAP_TRACKING_WARNING_CODE,
  HeapGraph,
  LeakkitError,
  resetHeapTracking,
} from '@leakkit/core/heap';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectSameData, tempDir } from './fixtures/heap/snapshots.js';

class LeakkitCaptureMarker {
  readonly label = 'leakkit capture marker';
}
const kept = [new LeakkitCaptureMarker()];

function markerIds(graph: HeapGraph): number[] {
  const ids: number[] = [];
  for (let i = 0; i < graph.nodeCount; i++) {
    if (graph.nodeTypeName(i) === 'object' && graph.nodeNameOf(i) === 'LeakkitCaptureMarker')
      ids.push(graph.nodeId(i));
  }
  return ids;
}

let dir: string;
let cleanup: () => void;
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  process.on('warning', onWarning);
});
afterAll(() => {
  process.off('warning', onWarning);
  cleanup();
});

const trackingWarnings = () =>
  warnings.filter((w) => (w as Error & { code?: string }).code === HEAP_TRACKING_WARNING_CODE);

describe('captureHeap()', () => {
  // Order matters: the warning is once per process.
  it('with resetAfter parses this process and leaves no warning', async () => {
    const graph = await captureHeap({ resetAfter: true });
    expect(markerIds(graph)).toHaveLength(kept.length);
    expect(graph.nodeTypeName(graph.data.rootIndex)).toBe('synthetic');
    await new Promise((r) => setImmediate(r));
    expect(trackingWarnings()).toHaveLength(0);
  });

  it('writes the bytes it parses to `file`, keeps ids stable between captures and warns once', async () => {
    const file = join(dir, 'capture.heapsnapshot');
    const progress: number[] = [];
    const graph = await captureHeap({ file, onProgress: (p) => progress.push(p.bytesRead) });
    expectSameData((await HeapGraph.fromFile(file)).data, graph.data);
    expect(progress.length).toBeGreaterThan(0);
    // The other method, same process, no reset in between: the same object has the same id.
    const again = await captureHeap({ method: 'stream' });
    expect(markerIds(again)).toEqual(markerIds(graph));
    await new Promise((r) => setImmediate(r));
    const found = trackingWarnings();
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('resetHeapTracking()');
    expect(found[0]!.name).toBe('LeakkitWarning');
    await expect(resetHeapTracking()).resolves.toBeUndefined();
  });

  it('falls back to v8.getHeapSnapshot() without an inspector, and then warns instead of resetting', async () => {
    vi.resetModules();
    vi.doMock('node:inspector', () => ({
      Session: class {
        connect() {
          throw Object.assign(new Error('Access to this API has been restricted'), {
            code: 'ERR_ACCESS_DENIED',
          });
        }
      },
    }));
    try {
      // A fresh copy of the module (its own once-per-process flag) that sees the mocked inspector.
      const fresh = await import('../src/heap/capture.js');
      const before = trackingWarnings().length;
      const graph = await fresh.captureHeap({ resetAfter: true });
      expect(markerIds(graph)).toHaveLength(kept.length);
      await new Promise((r) => setImmediate(r));
      expect(trackingWarnings()).toHaveLength(before + 1);
      await expect(fresh.resetHeapTracking()).rejects.toMatchObject({
        code: 'ERR_LEAKKIT_INSPECTOR_UNAVAILABLE',
      });
    } finally {
      vi.doUnmock('node:inspector');
      vi.resetModules();
    }
  });

  it('runs concurrent captures one after the other, each with its own chunks', async () => {
    const [a, b] = await Promise.all([
      captureHeap({ resetAfter: false }),
      captureHeap({ resetAfter: false }),
    ]);
    expect(markerIds(a)).toHaveLength(kept.length);
    expect(markerIds(b)).toEqual(markerIds(a));
    await resetHeapTracking();
  });

  it('rejects bad options and an unwritable file with typed errors', async () => {
    await expect(captureHeap({ method: 'x' as 'stream' })).rejects.toMatchObject({
      code: 'ERR_LEAKKIT_INVALID_OPTION',
      option: 'method',
    });
    const error = await captureHeap({ file: join(dir, 'missing', 'deep', 'x.heapsnapshot') }).catch((e) => e);
    expect(error).toBeInstanceOf(LeakkitError);
    expect(error).toMatchObject({ code: 'ERR_LEAKKIT_FILE' });
  });
});
