import { captureHeap, displayFile, HeapGraph, isIdentifier, LeakkitError } from '@leakkit/core/heap';
import { beforeAll, describe, expect, it } from 'vitest';
import { snapshotSeries } from './fixtures/growth/series.js';

// One snapshot of each program, after one step of work.
const graphs: Record<string, HeapGraph> = {};

beforeAll(async () => {
  const fixtures = ['timer-metrics.cjs', 'leaky-module.cjs', 'leaky-module.mjs', 'scopes.cjs'];
  const loaded = await Promise.all(fixtures.map((f) => snapshotSeries(f, 1)));
  fixtures.forEach((f, i) => {
    graphs[f] = loaded[i]![0]!;
  });
});

/** The node an edge of `from` with this type and name leads to, or -1. */
function follow(graph: HeapGraph, from: number, type: string, name: string): number {
  for (let e = graph.edgeStart(from); e < graph.edgeEnd(from); e++) {
    if (graph.edgeTypeName(e) === type && graph.edgeNameOf(e) === name) return graph.edgeTarget(e);
  }
  return -1;
}

/** The value a module-scope variable holds: a Context's `context` edge of that name. */
function scopeVariable(graph: HeapGraph, name: string): number {
  for (let n = 0; n < graph.nodeCount; n++) {
    if (graph.nodeNameOf(n) !== 'system / Context') continue;
    const to = follow(graph, n, 'context', name);
    if (to >= 0) return to;
  }
  throw new Error(`no scope variable ${name}`);
}

/** The class (closure) of that name. */
function closureNamed(graph: HeapGraph, name: string): number {
  for (let n = 0; n < graph.nodeCount; n++) {
    if (graph.nodeTypeName(n) === 'closure' && graph.nodeNameOf(n) === name) return n;
  }
  throw new Error(`no closure ${name}`);
}

/** The value nodes of a Map or Set hash table, in slot order (keys and values alike). */
function tableTargets(graph: HeapGraph, collection: number): number[] {
  const table = follow(graph, collection, 'internal', 'table');
  const out: number[] = [];
  for (let e = graph.edgeStart(table); e < graph.edgeEnd(table); e++) {
    if (/^\d+$/.test(graph.edgeNameOf(e))) out.push(graph.edgeTarget(e));
  }
  return out;
}

const id = (graph: HeapGraph, index: number) => graph.nodeId(index);

describe('graph.pathTo()', () => {
  it('names a static of a class by the class, with its file and line', () => {
    const graph = graphs['timer-metrics.cjs']!;
    const timers = follow(graph, closureNamed(graph, 'TimerMetrics'), 'property', 'timers');
    const path = graph.pathTo(id(graph, timers))!;
    expect(path.text).toBe('TimerMetrics.timers');
    expect(path.file).toMatch(/[\\/]timer-metrics\.cjs$/);
    expect(path.line).toBe(6);
    expect(path.steps[path.steps.length - 1]).toMatchObject({
      nodeId: id(graph, timers),
      edge: 'timers',
      edgeType: 'property',
      name: 'Map',
      kind: 'map',
    });
    expect(path.steps[0]!.edge).toBe('');
  });

  it('writes a Map entry as .get(key), the key hashed unless strings are asked for', () => {
    const graph = graphs['timer-metrics.cjs']!;
    const timers = follow(graph, closureNamed(graph, 'TimerMetrics'), 'property', 'timers');
    // Entry 0: key 'predict-1', value { start, end, elapsed }.
    const [, value] = tableTargets(graph, timers);
    const hidden = graph.pathTo(id(graph, value!))!;
    expect(hidden.text).toMatch(/^TimerMetrics\.timers\.get\(<string #[0-9a-f]{6}>\)$/);
    expect(JSON.stringify(hidden)).not.toContain('predict-');
    expect(graph.pathTo(id(graph, value!), { strings: true })!.text).toBe(
      'TimerMetrics.timers.get("predict-1")',
    );
    // The key itself: the entry's position.
    const [key] = tableTargets(graph, timers);
    expect(graph.pathTo(id(graph, key!))!.text).toBe('TimerMetrics.timers.keys()[0]');
  });

  it('names a module-scope Map reached only through a closure by file and variable (CommonJS)', () => {
    const graph = graphs['leaky-module.cjs']!;
    const path = graph.pathTo(id(graph, scopeVariable(graph, 'seen')))!;
    expect(path.text).toBe('leaky-module.cjs › seen');
    expect(path.file).toMatch(/^[\\/].*[\\/]leaky-module\.cjs$/);
  });

  it('names a module-scope Map of an ES module by file and variable', () => {
    const graph = graphs['leaky-module.mjs']!;
    const path = graph.pathTo(id(graph, scopeVariable(graph, 'seen')))!;
    expect(path.text).toBe('leaky-module.mjs › seen');
    expect(path.file).toMatch(/^file:\/\/.*\/leaky-module\.mjs$/);
  });

  it('writes properties, array indices, Map values under fixed keys and Set members', () => {
    const graph = graphs['leaky-module.cjs']!;
    const app = scopeVariable(graph, 'app');
    const state = follow(graph, app, 'property', 'state');
    const sessions = follow(graph, state, 'property', 'sessions');
    const history = follow(graph, follow(graph, sessions, 'property', 'alice'), 'property', 'history');
    const first = follow(graph, history, 'element', '0');
    expect(graph.pathTo(id(graph, first))!.text).toBe(
      'leaky-module.cjs › app.state.sessions.alice.history[0]',
    );

    const timings = scopeVariable(graph, 'timings');
    const [, db, , http] = tableTargets(graph, timings);
    expect(graph.pathTo(id(graph, db!), { strings: true })!.text).toBe(
      'leaky-module.cjs › timings.get("db")',
    );
    expect(graph.pathTo(id(graph, http!), { strings: true })!.text).toBe(
      'leaky-module.cjs › timings.get("http")',
    );

    const [member] = tableTargets(graph, scopeVariable(graph, 'tags'));
    expect(graph.pathTo(id(graph, member!))!.text).toBe('leaky-module.cjs › tags.values()[0]');

    const byUser = scopeVariable(graph, 'byUser');
    const user = follow(graph, byUser, 'property', 'user1');
    expect(graph.pathTo(id(graph, user))!.text).toBe('leaky-module.cjs › byUser.user1');
  });

  it('names a variable of a function scope with the function: makeCache() › store', () => {
    const graph = graphs['scopes.cjs']!;
    const path = graph.pathTo(id(graph, scopeVariable(graph, 'store')))!;
    expect(path.text).toBe('scopes.cjs › makeCache() › store');
    expect(path.file).toMatch(/[\\/]scopes\.cjs$/);
  });

  it('writes a WeakMap value held through its key', () => {
    const graph = graphs['scopes.cjs']!;
    let value = -1;
    for (let n = 0; n < graph.nodeCount && value < 0; n++) {
      if (follow(graph, n, 'property', 'lastSeen') >= 0) value = n;
    }
    expect(graph.pathTo(id(graph, value))!.text).toBe('app.session[[WeakMap value]]');
  });

  it('shows V8 internals only when asked', () => {
    const graph = graphs['timer-metrics.cjs']!;
    const timers = follow(graph, closureNamed(graph, 'TimerMetrics'), 'property', 'timers');
    const [, value] = tableTargets(graph, timers);
    const raw = graph.pathTo(id(graph, value!), { raw: true })!;
    expect(raw.text).toContain('-property timers-> Map @');
    expect(raw.text).toMatch(/-internal table-> \(array\) @\d+ -internal \d+-> Object @\d+$/);
    expect(raw.text).not.toContain('predict-');
    expect(raw.steps).toEqual(graph.pathTo(id(graph, value!))!.steps);
  });

  it('writes a property of the global object as the bare name, in a capture of this process', async () => {
    const holder = globalThis as { leakkitPathProbe?: { items: object[] } };
    holder.leakkitPathProbe = { items: [{ probe: 1 }] };
    try {
      const graph = await captureHeap({ resetAfter: true });
      let items = -1;
      for (let n = 0; n < graph.nodeCount && items < 0; n++) {
        const probe = follow(graph, n, 'property', 'leakkitPathProbe');
        if (probe >= 0) items = follow(graph, probe, 'property', 'items');
      }
      expect(items).toBeGreaterThanOrEqual(0);
      expect(graph.pathTo(id(graph, items))!.text).toBe('leakkitPathProbe.items');
    } finally {
      delete holder.leakkitPathProbe;
    }
  });

  it('names a suspended async function’s variable through its scope, not V8’s bookkeeping', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function worker(): Promise<number> {
      const pendingJobs = new Map([[1, { job: 1 }]]);
      // A closure over it puts it in the function's context, as real code that captures it does.
      const count = () => pendingJobs.size;
      await gate;
      return count();
    }
    const done = worker();
    const graph = await captureHeap({ resetAfter: true });
    release();
    await done;
    const path = graph.pathTo(id(graph, scopeVariable(graph, 'pendingJobs')))!;
    expect(path.text).toMatch(/worker\(\) › pendingJobs$/);
    expect(path.text).not.toContain('roots)');
  });

  it('names a local no closure captures by its suspended function', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const marker = { registerProbe: true };
    async function drain(): Promise<number> {
      const batch = [marker];
      await gate;
      return batch.length;
    }
    const done = drain();
    const graph = await captureHeap({ resetAfter: true });
    release();
    await done;
    // The array holding `marker` (its only element 0), other than this test's own references.
    let batch = -1;
    for (let n = 0; n < graph.nodeCount && batch < 0; n++) {
      if (graph.nodeTypeName(n) !== 'object' || graph.nodeNameOf(n) !== 'Array') continue;
      const first = follow(graph, n, 'element', '0');
      if (first >= 0 && follow(graph, first, 'property', 'registerProbe') >= 0) {
        if (graph.pathTo(id(graph, n))?.text.includes('<local variable>')) batch = n;
      }
    }
    expect(batch).toBeGreaterThanOrEqual(0);
    expect(graph.pathTo(id(graph, batch))!.text).toBe('heap-paths.test.ts › drain() › <local variable>');
  });

  it('gives every node the same path whatever order the paths are asked in', () => {
    // The search behind paths stops at the node asked for and goes on for the next: the order of
    // the questions must not change an answer (heap-paths.property.test.ts: unreachable nodes too).
    for (const name of ['leaky-module.mjs', 'scopes.cjs']) {
      const graph = graphs[name]!;
      const nodes = Array.from({ length: graph.nodeCount }, (_, i) => i).filter((i) => i % 5 === 0);
      const paths = (order: number[]) => {
        // A copy of the data is a graph of its own: nothing of another graph's search is shared.
        const fresh = new HeapGraph({ ...graph.data });
        const byNode = new Map<number, string>();
        for (const n of order) {
          const path = fresh.pathTo(fresh.nodeId(n), { raw: true });
          byNode.set(
            n,
            path === undefined ? 'none' : `${path.text} ${path.steps.map((s) => s.nodeId).join(',')}`,
          );
        }
        return nodes.map((n) => byNode.get(n));
      };
      expect(paths([...nodes].reverse())).toEqual(paths(nodes));
    }
  });

  it('tells Map keys built by concatenation apart (their nodes all share one name)', async () => {
    const registry = new Map<string, { registryProbe: number }>();
    const prefix = 'a-rather-long-timer-name-';
    for (let i = 0; i < 3; i++) registry.set(prefix + String(i * 7919), { registryProbe: i });
    const graph = await captureHeap({ resetAfter: true });
    const paths = new Set<string>();
    const shown = new Set<string>();
    for (let n = 0; n < graph.nodeCount; n++) {
      if (follow(graph, n, 'property', 'registryProbe') < 0) continue;
      paths.add(graph.pathTo(id(graph, n))!.text);
      shown.add(graph.pathTo(id(graph, n), { strings: true })!.text);
    }
    expect(paths.size).toBe(3);
    expect([...shown].filter((p) => p.endsWith('.get("a-rather-long-timer-name-7919")'))).toHaveLength(1);
    expect(registry.size).toBe(3);
  });

  it('throws for an id the graph does not hold', () => {
    const graph = graphs['timer-metrics.cjs']!;
    let error: unknown;
    try {
      graph.pathTo(2 ** 32 - 2);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LeakkitError);
    expect((error as LeakkitError).code).toBe('ERR_LEAKKIT_UNKNOWN_NODE');
  });
});

describe('displayFile()', () => {
  it('prints a base name, with its folder for index files, and turns file URLs into paths', () => {
    expect(displayFile('/app/src/log.js')).toBe('log.js');
    expect(displayFile('file:///app/routes/index.mjs')).toBe('routes/index.mjs');
    expect(displayFile('file:///app/my%20dir/a.mjs')).toBe('a.mjs');
    expect(displayFile('C:\\app\\log.cjs')).toBe('log.cjs');
    expect(displayFile('node:internal/timers')).toBe('node:internal/timers');
  });
});

describe('isIdentifier()', () => {
  it('tells names that can follow a dot from those that need brackets', () => {
    expect(['timers', '$x', '_a1', 'été'].map(isIdentifier)).toEqual([true, true, true, true]);
    expect(['x-y', '1a', '', 'a b'].map(isIdentifier)).toEqual([false, false, false, false]);
  });
});
