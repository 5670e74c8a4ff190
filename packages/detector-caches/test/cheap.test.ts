import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Detector, DetectorContext, Finding } from '@leakkit/core';
import { createDetectorContext, GaugeHistory, runDetectors, setupDetectors } from '@leakkit/core';
import { caches } from '@leakkit/detector-caches';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturePath } from './fixtures/series.js';

const require = createRequire(import.meta.url);

// What is found must not depend on how busy the machine is: the walks here get a time box they never
// reach (the default box is tested in scan.test.ts).
const ROOMY = { timeBudget: '10s' };

interface Session {
  ctx: DetectorContext;
  gauges: GaugeHistory;
  /** Runs `work(iterations)` then samples, `samples` times; checks after each sample like a monitor. */
  run(samples: number, work: () => number): Promise<Finding[]>;
  dispose(): Promise<void>;
}

/** A session as a monitor runs one: setup once, then sample and check, over and over. */
async function session(
  detector: Detector,
  options: { iterations?: boolean; every?: number } = {},
): Promise<Session> {
  const gauges = new GaugeHistory();
  let clock = 0;
  const ctx = createDetectorContext({ gauges, now: () => clock });
  const dispose = await setupDetectors([detector], ctx, { onError: (f) => expect.fail(f.error.message) });
  let iterations = 0;
  return {
    ctx,
    gauges,
    async run(samples, work) {
      let findings: Finding[] = [];
      for (let s = 0; s < samples; s++) {
        iterations += work();
        clock += options.every ?? 1000;
        gauges.record(clock, options.iterations === false ? {} : { iterations });
        const run = await runDetectors([detector], ctx);
        expect(run.failures).toEqual([]);
        findings = run.findings;
      }
      return findings;
    },
    dispose,
  };
}

function byPath(findings: Finding[]): Record<string, Finding> {
  return Object.fromEntries(findings.map((f) => [f.path, f]));
}

const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

const globals = globalThis as Record<string, unknown>;
afterEach(() => {
  for (const name of ['app', 'trap', 'wide', 'registry', 'counters', 'holder']) delete globals[name];
});

describe('caches() cheap mode: watched collections', () => {
  it('flags a watched Map that grows with the work, per iteration, with advice', async () => {
    const sessions = new Map<string, object>();
    let n = 0;
    const s = await session(caches({ watch: { sessions }, scan: false }));
    const findings = await s.run(16, () => {
      for (let i = 0; i < 50; i++) sessions.set(`s${n++}`, { n });
      return 50;
    });
    await s.dispose();
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({
      id: 'caches:sessions',
      detector: 'caches',
      path: 'sessions',
      growth: { objectsPerIteration: 1, count: 800 },
      evidence: { pattern: 'unbounded', kind: 'map', keys: 'string', source: 'watch' },
    });
    expect(f!.site).toBeUndefined();
    expect(f!.confidence).toBeGreaterThan(0.9);
    expect(f!.advice).toBe(
      'Map `sessions` grows by 1 entry per iteration and is never deleted from: delete entries when the work they belong to ends (`sessions.delete(key)`), or bound it (an LRU with `max`).',
    );
  });

  it('reports nothing for bounded twins: an LRU at its cap, a ring buffer, warm-up then flat, entries deleted when done', async () => {
    const lru = new Map<number, object>();
    const ring: (object | null)[] = new Array(64).fill(null);
    const table = new Map<string, object>();
    const inFlight = new Map<number, object>();
    const queue: number[] = [];
    let n = 0;
    const s = await session(
      caches({
        watch: { lru, ring, table, inFlight, queue: () => queue.length },
        scan: false,
      }),
    );
    const findings = await s.run(24, () => {
      for (let i = 0; i < 50; i++) {
        n++;
        lru.set(n, { n });
        if (lru.size > 100) lru.delete(lru.keys().next().value!);
        ring[n % ring.length] = { n };
        // Fills during the first two samples, then only overwrites.
        table.set(`t${n % 80}`, { n });
        inFlight.set(n, { n });
        queue.push(n);
        if (queue.length > 10) queue.shift();
        inFlight.delete(n);
      }
      return 50;
    });
    await s.dispose();
    expect(findings).toEqual([]);
    // They were read all along: the gauges hold their sizes.
    expect(s.gauges.latest('caches:lru')).toBe(100);
    expect(s.gauges.latest('caches:queue')).toBe(10);
  });

  it('follows a size function, and a cache object whose cap it can read', async () => {
    const queue: number[] = [];
    const store = { max: 200, size: 0, items: {} as Record<string, number> };
    let n = 0;
    const s = await session(caches({ watch: { queue: () => queue.length, store }, scan: false }));
    const findings = await s.run(16, () => {
      for (let i = 0; i < 30; i++) {
        queue.push(n++);
        store.items[`k${n}`] = n;
        store.size++;
      }
      return 30;
    });
    await s.dispose();
    const by = byPath(findings);
    expect(by.queue).toMatchObject({
      growth: { objectsPerIteration: 1, count: 480 },
      evidence: { kind: 'size' },
    });
    expect(by.queue!.title).toBe('Collection `queue` grows by 1 entry per iteration (480 entries now)');
    expect(by.store).toMatchObject({
      evidence: { pattern: 'cap-not-enforced', cap: { name: 'max', value: 200 } },
    });
    expect(by.store!.advice).toMatch(/^The cache's cap \(`max = 200`\) is not enforced: it holds 480 keys/);
  });

  it('speaks per minute when no iterations are counted', async () => {
    const log: object[] = [];
    const s = await session(caches({ watch: { log }, scan: false }), { iterations: false, every: 60_000 });
    const [f] = await s.run(16, () => {
      for (let i = 0; i < 5; i++) log.push({ i });
      return 5;
    });
    await s.dispose();
    expect(f).toMatchObject({ path: 'log', growth: { count: 80 }, evidence: { per: 'minute' } });
    expect(f!.growth).not.toHaveProperty('objectsPerIteration');
    expect(f!.title).toBe('Array `log` grows by 5 elements per minute (80 elements now)');
  });

  it('does not keep a watched collection alive', async () => {
    let ref: WeakRef<object> | undefined;
    const detector = (() => {
      const temp = new Map([[1, { big: new Array(1000).fill(0) }]]);
      ref = new WeakRef(temp);
      return caches({ watch: { temp }, scan: false });
    })();
    const s = await session(detector);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    gc();
    expect(ref!.deref()).toBeUndefined();
    expect(await s.run(8, () => 1)).toEqual([]);
    expect(Number.isNaN(s.gauges.latest('caches:temp'))).toBe(true);
    await s.dispose();
  });

  it('keeps one state per session and stops reading its gauges when disposed', async () => {
    const items: number[] = [];
    const detector = caches({ watch: { items }, scan: false });
    const a = await session(detector);
    const b = await session(detector);
    await a.run(2, () => items.push(1));
    await b.run(1, () => items.push(1));
    expect(a.gauges.series('caches:items')).toEqual(new Float64Array([1, 2]));
    expect(b.gauges.series('caches:items')).toEqual(new Float64Array([3]));
    await a.dispose();
    await a.dispose();
    a.gauges.record(99);
    expect(Number.isNaN(a.gauges.latest('caches:items'))).toBe(true);
    await b.dispose();
  });
});

describe('caches() cheap mode: the scan of globals and CommonJS exports', () => {
  const APP = fixturePath('scan-app.cjs');

  it('finds leaking collections by path and line, and leaves bounded ones alone', async () => {
    const app = require(APP) as { handle(n: number): void };
    globals.app = { state: { sessions: { alice: { history: [] as object[] }, bob: { history: [] } } } };
    let n = 0;
    const s = await session(caches({ scan: ROOMY }));
    const findings = await s.run(20, () => {
      for (let i = 0; i < 40; i++) {
        app.handle(n++);
        (
          globals.app as { state: { sessions: { alice: { history: object[] } } } }
        ).state.sessions.alice.history.push({ n });
      }
      return 40;
    });
    await s.dispose();
    delete require.cache[APP];
    const by = byPath(findings);
    expect(Object.keys(by).sort()).toEqual([
      'app.state.sessions.alice.history',
      'scan-app.cjs › module.exports.cache',
      'scan-app.cjs › module.exports.responses.entries',
      'scan-app.cjs › module.exports.visitors',
    ]);
    expect(by['scan-app.cjs › module.exports.cache']).toMatchObject({
      site: { file: APP, line: 6 },
      growth: { objectsPerIteration: 1 },
      evidence: { pattern: 'unbounded', source: 'scan' },
    });
    expect(by['scan-app.cjs › module.exports.visitors']).toMatchObject({
      site: { file: APP, line: 7 },
      evidence: { pattern: 'object-keys', keys: 'object' },
    });
    expect(by['scan-app.cjs › module.exports.responses.entries']).toMatchObject({
      site: { file: APP, line: 11 },
      evidence: { pattern: 'cap-not-enforced', cap: { name: 'max', value: 50 } },
    });
    expect(by['app.state.sessions.alice.history']!.site).toBeUndefined();
    expect(by['app.state.sessions.alice.history']!.growth.objectsPerIteration).toBe(1);
  });

  it('hashes Map keys and the keys of objects used as maps unless strings are asked for', async () => {
    const registry = new Map([['secret-token-123', { history: [] as number[] }]]);
    globals.registry = registry;
    const counters: Record<string, { hits: number[] }> = {};
    for (let i = 0; i < 100; i++) counters[`user-${i}@example.com`] = { hits: [] };
    globals.counters = counters;
    const work = () => {
      for (let i = 0; i < 10; i++) {
        registry.get('secret-token-123')!.history.push(i);
        counters['user-0@example.com']!.hits.push(i);
      }
      return 10;
    };
    const hidden = await session(caches({ scan: ROOMY }));
    const findings = await hidden.run(16, work);
    await hidden.dispose();
    const text = JSON.stringify(findings);
    expect(text).not.toContain('secret-token');
    expect(text).not.toContain('example.com');
    expect(findings.map((f) => f.path).sort()).toEqual([
      'counters[<string #3ac6bc>].hits',
      'registry.get(<string #4035b3>).history',
    ]);
    const shown = await session(caches({ scan: ROOMY, strings: true }));
    const paths = (await shown.run(16, work)).map((f) => f.path).sort();
    await shown.dispose();
    expect(paths).toEqual([
      'counters["user-0@example.com"].hits',
      'registry.get("secret-token-123").history',
    ]);
  });

  it('ignores paths it is told to ignore', async () => {
    globals.app = { log: [] as number[] };
    const s = await session(caches({ scan: ROOMY, ignore: ['app.log'] }));
    const findings = await s.run(16, () => (globals.app as { log: number[] }).log.push(1));
    await s.dispose();
    expect(findings).toEqual([]);
  });

  it('follows at most maxCollections collections, the largest, and makes room for one that grows', async () => {
    const holder: Record<string, number[]> = {};
    for (let i = 0; i < 40; i++) holder[`list${i}`] = [i];
    globals.holder = holder;
    const s = await session(caches({ scan: { ...ROOMY, maxCollections: 5 } }));
    await s.run(3, () => 1);
    const followed = () => s.gauges.names().filter((n) => n.startsWith('caches:'));
    expect(followed()).toHaveLength(5);
    expect(followed()).toContain('caches:holder');
    // A new collection, soon larger than the flat ones: it takes the place of one of them.
    globals.app = { log: [] as number[] };
    const findings = await s.run(16, () => {
      (globals.app as { log: number[] }).log.push(1, 2, 3);
      return 3;
    });
    await s.dispose();
    expect(findings.map((f) => f.path)).toEqual(['app.log']);
    expect(findings[0]!.growth.objectsPerIteration).toBe(1);
  });
});
