import { createDetectorContext, GaugeHistory, runDetectors, setupDetectors } from '@leakkit/core';
import { caches } from '@leakkit/detector-caches';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/options.js';
import { renderKey, scanCollections } from '../src/scan.js';

const globals = globalThis as Record<string, unknown>;
afterEach(() => {
  for (const name of ['trap', 'wide', 'deep', 'weird']) delete globals[name];
});

const scanOptions = (scan: object = {}) => resolveOptions({ scan }).scan!;

/** Objects of 60 keys, `levels` deep, with a short list at the bottom: 60^levels lists. */
function grid(levels: number): object {
  const o: Record<string, object> = {};
  for (let i = 0; i < 60; i++) o[`k${i}`] = levels === 1 ? { list: [i] } : grid(levels - 1);
  return o;
}

describe('the scan', () => {
  it('never calls a getter, never touches a proxy, and survives objects that throw', async () => {
    let getterCalls = 0;
    let trapCalls = 0;
    const handler: ProxyHandler<object> = new Proxy(
      {},
      {
        get() {
          trapCalls++;
          return () => {
            throw new Error('trap');
          };
        },
      },
    );
    globals.trap = {
      get boom() {
        getterCalls++;
        throw new Error('getter');
      },
      proxy: new Proxy({}, handler),
      proxiedMap: new Proxy(new Map(), handler),
      list: [1, 2, 3],
    };
    Object.defineProperty(globals, 'weird', {
      get() {
        getterCalls++;
        return {};
      },
      configurable: true,
    });
    const result = scanCollections(scanOptions({ timeBudget: '10s' }), false);
    expect(getterCalls).toBe(0);
    expect(trapCalls).toBe(0);
    expect(result.found.map((f) => f.path)).toContain('trap.list');
    expect(result.found.some((f) => f.path.startsWith('trap.proxy'))).toBe(false);
    // The detector too, setup and check.
    const gauges = new GaugeHistory();
    const ctx = createDetectorContext({ gauges });
    const detector = caches({ scan: true });
    const failures: unknown[] = [];
    const dispose = await setupDetectors([detector], ctx, { onError: (f) => failures.push(f) });
    for (let i = 0; i < 8; i++) {
      gauges.record(i, { iterations: i });
      const run = await runDetectors([detector], ctx);
      failures.push(...run.failures);
    }
    await dispose();
    expect(failures).toEqual([]);
    expect(getterCalls).toBe(0);
    expect(trapCalls).toBe(0);
  });

  it('stops at its object budget and its depth', () => {
    // 60 × 60 records: below the size at which an object reads as a map, so every one is walked.
    globals.wide = grid(2);
    const small = scanCollections(scanOptions({ maxObjects: 200, timeBudget: '10s' }), false);
    expect(small.visited).toBe(200);
    expect(small.truncated).toBe(true);
    delete globals.wide;
    // `deep.b.c.d.e.f.list` is 7 hops from globalThis.
    globals.deep = { b: { c: { d: { e: { f: { list: [1] } } } } } };
    const paths = (depth: number) =>
      scanCollections(scanOptions({ depth, timeBudget: '10s' }), false).found.map((f) => f.path);
    expect(paths(7)).toContain('deep.b.c.d.e.f.list');
    expect(paths(6)).not.toContain('deep.b.c.d.e.f.list');
  });

  it('starts the next walk where a truncated one stopped, so every root is reached in turn', () => {
    globals.deep = { list: [1] };
    globals.wide = { list: [2] };
    // Two objects per walk: one root and its list.
    const o = scanOptions({ maxObjects: 2, timeBudget: '10s' });
    const reached = (resuming: boolean) => {
      const paths = new Set<string>();
      let resume = 0;
      for (let i = 0; i < 4; i++) {
        const r = scanCollections(o, false, undefined, resume);
        expect(r.truncated).toBe(true);
        for (const f of r.found) paths.add(f.path);
        if (resuming) resume = r.next;
      }
      return [...paths].filter((p) => p === 'deep.list' || p === 'wide.list').sort();
    };
    expect(reached(false)).toHaveLength(1);
    expect(reached(true)).toEqual(['deep.list', 'wide.list']);
    const all = scanCollections(scanOptions({ timeBudget: '10s' }), false);
    expect(all.truncated).toBe(false);
    expect(all.next).toBe(0);
  });

  it('stops when its time is up', () => {
    globals.wide = grid(3);
    const result = scanCollections(scanOptions({ timeBudget: 1, maxObjects: 1_000_000 }), false);
    expect(result.truncated).toBe(true);
    expect(result.visited).toBeLessThan(150_000);
  });

  it('renders keys as heap paths do: hashed strings, kinds for the rest', () => {
    expect(renderKey('db', false)).toMatch(/^<string #[0-9a-f]{6}>$/);
    expect(renderKey('db', true)).toBe('"db"');
    expect(renderKey(7, false)).toBe('<number>');
    expect(renderKey(new (class Session {})(), false)).toBe('<Session>');
    expect(renderKey(Object.create(null), false)).toBe('<Object>');
  });
});
