import { LeakkitError } from '@leakkit/core';
import { caches } from '@leakkit/detector-caches';
import { describe, expect, it } from 'vitest';
import { isIgnored } from '../src/options.js';

function error(fn: () => unknown): LeakkitError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LeakkitError) return e;
    throw e;
  }
  throw new Error('expected a LeakkitError');
}

describe('caches() options', () => {
  it('defaults to the full mode, and to the cheap mode with watch or scan', () => {
    expect(caches().needs).toEqual({ gauges: true, heapGraphs: true });
    expect(caches().setup).toBeUndefined();
    expect(caches({ watch: { m: new Map() } }).needs).toEqual({ gauges: true });
    expect(caches({ scan: { depth: 2 } }).needs).toEqual({ gauges: true });
    expect(caches({ mode: 'full', watch: { m: new Map() } }).needs).toEqual({
      gauges: true,
      heapGraphs: true,
    });
    expect(typeof caches({ scan: true }).setup).toBe('function');
    expect(caches().name).toBe('caches');
  });

  it.each([
    [() => caches(null as never), 'options', 'Expected `options` to be an object, got `null`'],
    [
      () => caches({ mode: 'fast' as never }),
      'mode',
      "Expected `mode` to be 'full' or 'cheap', got `\"fast\"`",
    ],
    [
      () => caches({ watches: {} } as never),
      'watches',
      'Expected one of the options `mode`, `watch`, `scan`, `ignore`, `strings`, `sourceLines`, got `watches`',
    ],
    [
      () => caches({ watch: [] as never }),
      'watch',
      'Expected `watch` to be an object of collections by name, got `array(0)`',
    ],
    [
      () => caches({ watch: { n: 3 as never } }),
      'watch.n',
      'Expected `watch.n` to be a Map, Set, array or object, or a function returning a size, got `3`',
    ],
    [
      () => caches({ scan: 'yes' as never }),
      'scan',
      'Expected `scan` to be a boolean or an object of scan options, got `"yes"`',
    ],
    [
      () => caches({ scan: { depth: 0 } }),
      'scan.depth',
      'Expected `scan.depth` to be an integer ≥ 1, got `0`',
    ],
    [
      () => caches({ scan: { maxObjects: 1.5 } }),
      'scan.maxObjects',
      'Expected `scan.maxObjects` to be an integer ≥ 1, got `1.5`',
    ],
    [
      () => caches({ scan: { timeBudget: 'soon' } }),
      'scan.timeBudget',
      'Expected `scan.timeBudget` to be a positive duration in ms or a string like `"30s"`, got `"soon"`',
    ],
    [
      () => caches({ scan: { globals: 1 as never } }),
      'scan.globals',
      'Expected `scan.globals` to be a boolean, got `1`',
    ],
    [
      () => caches({ ignore: [''] }),
      'ignore[0]',
      'Expected `ignore[0]` to be a non-empty string or a RegExp, got `""`',
    ],
    [() => caches({ strings: 'no' as never }), 'strings', 'Expected `strings` to be a boolean, got `"no"`'],
  ])('rejects bad options synchronously (%#)', (fn, option, message) => {
    const e = error(fn);
    expect(e.code).toBe('ERR_LEAKKIT_INVALID_OPTION');
    expect(e.option).toBe(option);
    expect(e.message).toBe(message);
  });

  it('accepts durations as strings', () => {
    expect(() => caches({ scan: { timeBudget: '50ms' } })).not.toThrow();
  });

  it('matches ignore patterns as paths or their prefixes', () => {
    expect(isIgnored('app.cache', ['app.cache'])).toBe(true);
    expect(isIgnored('app.cache.get(<number>)', ['app.cache'])).toBe(true);
    expect(isIgnored('app.cache[3]', ['app.cache'])).toBe(true);
    expect(isIgnored('log.js › memoize() › cache', ['log.js'])).toBe(true);
    expect(isIgnored('app.caches', ['app.cache'])).toBe(false);
    expect(isIgnored('app.caches', [/caches$/g])).toBe(true);
    expect(isIgnored('app.caches', [/caches$/g])).toBe(true);
  });
});
