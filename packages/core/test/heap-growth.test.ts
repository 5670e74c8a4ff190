import { readFileSync } from 'node:fs';
import type { Growth, HeapGraph } from '@leakkit/core/heap';
import { chainAdvice, findGrowth } from '@leakkit/core/heap';
import { beforeAll, describe, expect, it } from 'vitest';
import { caught } from './caught.js';
import { fixturePath, snapshotSeries } from './fixtures/growth/series.js';

// Five snapshots per program: four steps of work, enough that one jump (a warm-up) can never pass
// for a trend.
const STEPS = 5;

const series: Record<string, HeapGraph[]> = {};

beforeAll(async () => {
  const fixtures = [
    'timer-metrics.cjs',
    'leaky-module.cjs',
    'leaky-module.mjs',
    'bounded.cjs',
    'closures.cjs',
    'rate-limiter.cjs',
    'exported.mjs',
    'chains.cjs',
    'tree.cjs',
    'timeouts.cjs',
    'race.cjs',
    'buffers.cjs',
    'async-recursion.cjs',
    'process-listeners.cjs',
  ];
  // Two children at a time: the machine has two cores.
  for (let i = 0; i < fixtures.length; i += 2) {
    const batch = fixtures.slice(i, i + 2);
    const graphs = await Promise.all(batch.map((f) => snapshotSeries(f, STEPS)));
    batch.forEach((f, j) => {
      series[f] = graphs[j]!;
    });
  }
});

const paths = (growth: Growth[]) => growth.map((g) => g.path).sort();

// findGrowth is pure: compute each fixture's answer once for the tests that only read it.
const memo = new Map<string, Growth[]>();
function growthOf(fixture: string, strings = false): Growth[] {
  const key = `${fixture}:${strings}`;
  let growth = memo.get(key);
  if (!growth) {
    growth = findGrowth(series[fixture]!, { strings });
    memo.set(key, growth);
  }
  return growth;
}

describe('findGrowth()', () => {
  it('names a growing static Map on a class by the class: TimerMetrics.timers', () => {
    const growth = growthOf('timer-metrics.cjs');
    expect(paths(growth)).toEqual(['TimerMetrics.timers']);
    const [top] = growth;
    expect(top).toMatchObject({
      path: 'TimerMetrics.timers',
      kind: 'map',
      name: 'Map',
      match: 'id',
      counts: [300, 600, 900, 1200, 1500],
      countPerStep: 300,
      line: 6,
    });
    expect(top!.file).toMatch(/timer-metrics\.cjs$/);
    // Each entry is a key string and a { start, end, elapsed } record.
    expect(top!.bytesPerStep).toBeGreaterThan(300 * 50);
    expect(top!.share).toBeGreaterThan(0.5);
    expect(top!.nodeId).toBe(top!.steps[top!.steps.length - 1]!.nodeId);
  });

  it("names what an ES module exports by the module and the export's name", () => {
    const growth = growthOf('exported.mjs');
    expect(paths(growth)).toEqual(['exported-jobs.mjs › worker._events']);
    expect(growth[0]!.file).toMatch(/exported-jobs\.mjs$/);
  });

  it('finds per-key arrays of numbers too small to count alone, as one growth for every key', () => {
    // 20 arrays of timestamps, each ~800 bytes a step (under minBytesPerStep), together all the growth.
    const growth = growthOf('rate-limiter.cjs');
    expect(paths(growth)).toEqual(['rate-limiter.cjs › limiter.hits.get(*)']);
    const [top] = growth;
    expect(top).toMatchObject({ kind: 'array', unit: 'bytes', members: 20, match: 'id' });
    expect(top!.share).toBeGreaterThan(0.8);
    expect(top!.counts[4]! - top!.counts[0]!).toBeGreaterThan(20 * 4 * 100 * 8 * 0.5);
  });

  it('counts what new closures hold: callbacks that capture reports outrank a Set of short strings', () => {
    const growth = growthOf('closures.cjs');
    expect(paths(growth)).toEqual(['closures.cjs › app.state.handlers', 'closures.cjs › seenOrderIds']);
    const [top, second] = growth;
    expect(top!.path).toBe('closures.cjs › app.state.handlers');
    // Per callback: the closure, its context, the report and its 200-element array (>1.6 KB).
    expect(top!.bytesPerStep).toBeGreaterThan(200 * 1600);
    expect(top!.share).toBeGreaterThan(0.8);
    expect(second!.share).toBeLessThan(0.1);
  });

  it('names module-scope collections reached only through closures by file and variable (CommonJS)', () => {
    const growth = growthOf('leaky-module.cjs', true);
    expect(paths(growth)).toEqual([
      'leaky-module.cjs › app.state.sessions.alice.history',
      'leaky-module.cjs › byUser',
      'leaky-module.cjs › durations.db',
      'leaky-module.cjs › hits',
      'leaky-module.cjs › log',
      'leaky-module.cjs › recentIds',
      'leaky-module.cjs › seen',
      'leaky-module.cjs › startedAt',
      'leaky-module.cjs › tags',
      'leaky-module.cjs › timings.get("db")',
      'leaky-module.cjs › timings.get("http")',
      'leaky-module.cjs › transcripts.get("alice")',
    ]);
    const by = Object.fromEntries(growth.map((g) => [g.path, g]));
    expect(by['leaky-module.cjs › seen']).toMatchObject({
      kind: 'map',
      countPerStep: 200,
      match: 'id',
      keys: 'string',
    });
    expect(by['leaky-module.cjs › tags']).toMatchObject({ kind: 'set', countPerStep: 200, keys: 'object' });
    // Object keys and number values: what a WeakMap is for.
    expect(by['leaky-module.cjs › startedAt']).toMatchObject({
      kind: 'map',
      countPerStep: 200,
      keys: 'object',
    });
    expect(by['leaky-module.cjs › byUser']!.keys).toBeUndefined();
    expect(by['leaky-module.cjs › byUser']).toMatchObject({ kind: 'object', countPerStep: 200 });
    expect(by['leaky-module.cjs › log']).toMatchObject({ kind: 'string', match: 'path', unit: 'bytes' });
    expect(by['leaky-module.cjs › log']!.countPerStep).toBeGreaterThan(200 * 25);
    expect(by['leaky-module.cjs › seen']!.file).toMatch(/[\\/]leaky-module\.cjs$/);
  });

  it('follows what is replaced at the same place each step: s = s + x, list = list.concat(x)', () => {
    const growth = growthOf('leaky-module.cjs', true);
    const by = Object.fromEntries(growth.map((g) => [g.path, g]));
    expect(by['leaky-module.cjs › recentIds']).toMatchObject({
      kind: 'array',
      match: 'path',
      unit: 'entries',
      counts: [200, 400, 600, 800, 1000],
    });
    // A string per key of a Map, rebuilt on every request.
    expect(by['leaky-module.cjs › transcripts.get("alice")']).toMatchObject({
      kind: 'string',
      match: 'path',
    });
    expect(by['leaky-module.cjs › transcripts.get("bob")']).toBeUndefined();
    // A different object in every graph: the id reported is the last one's.
    const [, , , , last] = series['leaky-module.cjs']!;
    expect(last!.pathTo(by['leaky-module.cjs › recentIds']!.nodeId)?.text).toBe(
      'leaky-module.cjs › recentIds',
    );
  });

  it('follows binary data replaced by bigger copies: Buffer.concat, a typed array grown by hand', () => {
    const growth = growthOf('buffers.cjs');
    expect(paths(growth)).toEqual(['buffers.cjs › samples', 'buffers.cjs › upload.received']);
    const by = Object.fromEntries(growth.map((g) => [g.path, g]));
    // 20 chunks of 8 KiB a step, counted in the backing store's bytes (outside the JS heap).
    expect(by['buffers.cjs › upload.received']).toMatchObject({
      kind: 'buffer',
      match: 'path',
      unit: 'bytes',
      name: 'Buffer',
      counts: [163_840, 327_680, 491_520, 655_360, 819_200],
    });
    expect(by['buffers.cjs › samples']).toMatchObject({
      kind: 'buffer',
      name: 'Float64Array',
      counts: [32_768, 65_536, 98_304, 131_072, 163_840],
    });
    // The frame slot is replaced by a Buffer of the same size every step: bounded.
    expect(growth.some((g) => g.path.includes('frame'))).toBe(false);
  });

  it('finds the chain of promises of an async function that calls itself (`return poll()`)', () => {
    const growth = growthOf('async-recursion.cjs');
    // The `while` loop twin and the calls that return another async call's promise are bounded.
    expect(paths(growth)).toEqual(['async-recursion.cjs › poll()']);
    const [chain] = growth;
    expect(chain).toMatchObject({
      kind: 'chain',
      name: 'Promise',
      match: 'path',
      unit: 'entries',
      counts: [100, 200, 300, 400, 500],
      link: 'return poll()',
      // The async function's definition: the line to change.
      line: 17,
    });
    expect(chain!.file).toMatch(/[\\/]async-recursion\.cjs$/);
    expect(chain!.linkSite).toMatchObject({ line: 17 });
    expect(chain!.share).toBeGreaterThan(0.5);
    expect(chainAdvice(chain!)).toMatch(/^The async function `async-recursion\.cjs › poll\(\)` calls itself/);
    expect(chainAdvice(chain!)).toMatch(/Loop instead/);
  });

  it('names listeners on process as the program does: process._events.warning', () => {
    const growth = growthOf('process-listeners.cjs');
    expect(paths(growth)).toEqual(['process._events.warning']);
    expect(growth[0]).toMatchObject({ kind: 'array', match: 'id', countPerStep: 100 });
  });

  it('follows collections of numbers, which the snapshot lists no entries for', () => {
    const growth = growthOf('leaky-module.cjs');
    const by = Object.fromEntries(growth.map((g) => [g.path, g]));
    // Counters keyed by URL: the keys are in the object's dictionary.
    expect(by['leaky-module.cjs › hits']).toMatchObject({
      kind: 'object',
      unit: 'entries',
      countPerStep: 200,
    });
    // Durations pushed to a per-key list: only the backing store's size grows.
    expect(by['leaky-module.cjs › durations.db']).toMatchObject({
      kind: 'array',
      unit: 'bytes',
      match: 'id',
    });
    expect(by['leaky-module.cjs › durations.db']!.countPerStep).toBeGreaterThan(200 * 8);
    expect(by['leaky-module.cjs › durations.http']).toBeUndefined();
  });

  it('reports nested growth at the inner arrays, under their keys, and not again at the Map', () => {
    const growth = growthOf('leaky-module.cjs', true);
    const by = Object.fromEntries(growth.map((g) => [g.path, g]));
    expect(by['leaky-module.cjs › timings.get("db")']).toMatchObject({
      kind: 'array',
      counts: [200, 400, 600, 800, 1000],
    });
    expect(by['leaky-module.cjs › timings.get("http")']).toMatchObject({ kind: 'array', countPerStep: 100 });
    expect(by['leaky-module.cjs › timings']).toBeUndefined();
    expect(by['leaky-module.cjs › app.state.sessions']).toBeUndefined();
    expect(by['leaky-module.cjs › app.state.sessions.alice.history']).toMatchObject({ countPerStep: 200 });
  });

  it('keeps string keys out of paths unless asked', () => {
    const growth = growthOf('leaky-module.cjs');
    const keyed = growth.filter((g) => g.path.includes('timings.get('));
    expect(keyed).toHaveLength(2);
    for (const g of keyed)
      expect(g.path).toMatch(/^leaky-module\.cjs › timings\.get\(<string #[0-9a-f]{6}>\)$/);
    expect(growth.some((g) => /"db"|"http"/.test(g.path))).toBe(false);
  });

  it('ranks by the share of the heap growth each explains', () => {
    const growth = growthOf('leaky-module.cjs');
    const shares = growth.map((g) => g.share);
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
    const total = shares.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0.5);
    expect(total).toBeLessThanOrEqual(1.000001);
  });

  it('names a module-scope Map of an ES module by file and variable', () => {
    const growth = growthOf('leaky-module.mjs');
    expect(paths(growth)).toEqual(['leaky-module.mjs › seen']);
    expect(growth[0]!.file).toMatch(/^file:\/\/.*leaky-module\.mjs$/);
    expect(growth[0]!.countPerStep).toBe(300);
  });

  it('finds chains, where each new object holds the last and nothing grows in place', () => {
    const growth = growthOf('chains.cjs');
    const byPath = new Map(growth.map((g) => [g.path, g]));
    expect([...byPath.keys()].sort()).toEqual([
      'chains.cjs › handler',
      'chains.cjs › latest',
      'chains.cjs › module.exports.queue.head',
      'chains.cjs › theThing',
    ]);
    const steps = [200, 400, 600, 800, 1000];
    // The closure that shares its scope with one capturing the last value.
    expect(byPath.get('chains.cjs › theThing')).toMatchObject({
      kind: 'chain',
      name: 'Object',
      link: '.someMethod › originalThing',
      match: 'path',
      unit: 'entries',
      counts: steps,
      countPerStep: 200,
    });
    // A list that only gets a new head; a function wrapped anew per call (the first, `base`, ends it).
    expect(byPath.get('chains.cjs › latest')).toMatchObject({
      name: 'AuditEntry',
      link: '.previous',
      counts: steps,
    });
    expect(byPath.get('chains.cjs › handler')).toMatchObject({
      name: 'wrapped',
      link: 'scope › prev',
      counts: steps,
    });
    // A queue whose head stays: the same object heads a longer chain each step.
    expect(byPath.get('chains.cjs › module.exports.queue.head')).toMatchObject({
      name: 'Job',
      link: '.next',
      match: 'id',
      counts: steps,
    });
    for (const g of growth) {
      expect(g.file).toMatch(/chains\.cjs$/);
      // Every link holds more than its own few bytes (the theThing's array, the entry's record).
      expect(g.bytesPerStep).toBeGreaterThan(200 * 32);
    }
    // The theThing chain holds a 20-element array per link: it explains the most.
    expect(growth[0]!.path).toBe('chains.cjs › theThing');
    // Where each element is made to keep the last: the function on the link, where there is one.
    const source = readFileSync(fixturePath('chains.cjs'), 'utf8').split('\n');
    const lineOf = (text: string) => source.findIndex((l) => l.includes(text)) + 1;
    expect(byPath.get('chains.cjs › theThing')!.linkSite).toMatchObject({ line: lineOf('someMethod() {}') });
    expect(byPath.get('chains.cjs › theThing')!.linkSite!.file).toMatch(/chains\.cjs$/);
    expect(byPath.get('chains.cjs › handler')!.linkSite).toMatchObject({
      line: lineOf('handler = function wrapped'),
    });
    expect(byPath.get('chains.cjs › latest')!.linkSite).toBeUndefined();
    // The advice follows the chain's shape.
    const advice = (path: string) => chainAdvice(byPath.get(path)!);
    expect(advice('chains.cjs › theThing')).toMatch(
      /through `\.someMethod › originalThing`.*closures made in one scope/,
    );
    expect(advice('chains.cjs › handler')).toMatch(/wrapped in a new one that calls the last/);
    expect(advice('chains.cjs › latest')).toMatch(/through `\.previous`.*Cut the link/);
    expect(advice('chains.cjs › module.exports.queue.head')).toMatch(
      /heads a list that only gets longer at its far end/,
    );
  });

  it('reports the collections of a growing tree as one result, with * for the keys that differ', () => {
    const growth = growthOf('tree.cjs');
    const [top] = growth;
    // Every query starts with "q": the trie's nodes below it, one level down, are the leak.
    expect(top!.path).toMatch(
      /^tree\.cjs › index\.children\.get\(<string #[0-9a-f]{6}>\)\.children\.get\(\*\)\.children$/,
    );
    expect(top).toMatchObject({ kind: 'map', match: 'id' });
    expect(top!.members).toBeGreaterThanOrEqual(10);
    expect(top!.share).toBeGreaterThan(0.4);
    // Before, each of those Maps was a result of its own, at 4% each.
    expect(growth.length).toBeLessThanOrEqual(3);
  });

  it('finds reactions piling up on a promise that never settles, at the promise', () => {
    const growth = growthOf('race.cjs');
    expect(paths(growth)).toEqual(['race.cjs › shutdown']);
    expect(growth[0]).toMatchObject({
      kind: 'chain',
      name: 'PromiseReaction',
      link: '[[next reaction]]',
      match: 'id',
      counts: [300, 600, 900, 1200, 1500],
    });
    // Each reaction holds the race's settled promise and its result (an object and 20 elements).
    expect(growth[0]!.bytesPerStep).toBeGreaterThan(300 * 200);
    expect(growth[0]!.share).toBeGreaterThan(0.8);
  });

  it("does not take Node's list of pending timeouts for a chain: it closes on itself", () => {
    // The timeouts pile up, but the list is of what is live now (the timers detector counts it).
    expect(growthOf('timeouts.cjs').filter((g) => g.kind === 'chain')).toEqual([]);
  });

  it('reports nothing for bounded programs: LRU, ring buffer, warm-up then flat, churn, own graphs, short chains', () => {
    expect(findGrowth(series['bounded.cjs']!)).toEqual([]);
  });

  it('does not call one jump growth', () => {
    const [a, b, c, d] = series['bounded.cjs']!;
    // The warm-up table fills between the first two snapshots only.
    expect(findGrowth([a!, b!, c!, d!])).toEqual([]);
  });

  it('needs at least three graphs', () => {
    const [a, b] = series['timer-metrics.cjs']!;
    const error = caught(() => findGrowth([a!, b!]));
    expect(error.code).toBe('ERR_LEAKKIT_INVALID_ARGUMENT');
    expect(error.message).toBe('Expected an array of at least 3 heap graphs of one process, got `array(2)`');
    expect(caught(() => findGrowth(undefined as never)).code).toBe('ERR_LEAKKIT_INVALID_ARGUMENT');
  });

  it('validates its options', () => {
    const error = caught(() => findGrowth(series['timer-metrics.cjs']!, { minCountPerStep: -1 }));
    expect(error.code).toBe('ERR_LEAKKIT_INVALID_OPTION');
    expect(error.option).toBe('minCountPerStep');
    expect(findGrowth(series['timer-metrics.cjs']!, { minCountPerStep: 301 })).toEqual([]);
    expect(findGrowth(series['leaky-module.cjs']!, { limit: 2 })).toHaveLength(2);
  });
});
