import fc from 'fast-check';
import { it } from 'vitest';
import { specs } from '../fixtures/cases.js';
it('cov', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20_261_125]) {
    const counts: Record<string, number> = {};
    fc.assert(fc.property(specs(6), (s) => { for (const c of s.cases) counts[c.kind] = (counts[c.kind] ?? 0) + 1; }), { seed, numRuns: 6 });
    console.log(seed, Object.keys(counts).length, Math.min(...Object.values(counts)), JSON.stringify(counts));
  }
});
