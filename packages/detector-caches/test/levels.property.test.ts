import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { levelsOff } from '../src/heap.js';

/** Counts from a start and a list of per-step increments. */
function series(start: number, steps: readonly number[]): number[] {
  const out = [start];
  for (const s of steps) out.push(out[out.length - 1]! + s);
  return out;
}

describe('levelsOff: a cache filling a finite key space, not a leak under uneven load', () => {
  it('reads the cases it was made for', () => {
    // A listener pile whose middle capture came after a lull: still growing fastest at the end.
    expect(levelsOff([1210, 1354, 1387, 1473])).toBe(false);
    // A memo over 100 keys at 50 lookups a step, and one that filled and stopped.
    expect(levelsOff([0, 39, 63, 78, 86])).toBe(true);
    expect(levelsOff([0, 80, 95, 99])).toBe(true);
    expect(levelsOff([500, 500, 500, 500])).toBe(true);
    expect(levelsOff([0, 10, 20, 30])).toBe(false);
  });

  it('never says a series levels off when its last step is its largest', () => {
    fc.assert(
      fc.property(
        fc.nat(10_000),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 12 }),
        (start, steps) => {
          const last = Math.max(...steps) + 1;
          expect(levelsOff(series(start, [...steps, last]))).toBe(false);
        },
      ),
    );
  });

  it('says so for every key space filled by uniform random lookups once it is more than half full', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 2000 }), fc.integer({ min: 4, max: 10 }), (keys, captures) => {
        // Expected distinct keys after t lookups: keys·(1 − (1 − 1/keys)^t); a step of 2·keys lookups
        // each, so the second capture already holds most of the domain.
        const counts = Array.from({ length: captures }, (_, i) =>
          Math.round(keys * (1 - (1 - 1 / keys) ** (2 * keys * (i + 1)))),
        );
        expect(levelsOff(counts)).toBe(true);
      }),
    );
  });
});
