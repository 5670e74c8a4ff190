import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Trace } from '@leakkit/core';
import { Snapshot } from '@leakkit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// A handful of files and lines, so generated traces collide on keys the way real ones do.
const frameArb: fc.Arbitrary<Frame> = fc
  .record({
    file: fc.constantFrom('src/a.ts', 'src/b.ts', 'lib/c.js', 'node_modules/d/index.js', 'ü/é.ts'),
    line: fc.integer({ min: 1, max: 6 }),
    column: fc.integer({ min: 1, max: 3 }),
    functionName: fc.constantFrom('', 'f', 'g'),
  })
  .map((f) => ({ ...f, functionLine: Math.max(1, f.line - 1) }));

const traceArb: fc.Arbitrary<Trace> = fc.record({
  frames: fc.array(frameArb, { minLength: 1, maxLength: 4 }),
  size: fc.integer({ min: 0, max: 1e9 }),
  count: fc.integer({ min: 0, max: 1e6 }),
});

const snapshotArb = fc.array(traceArb, { maxLength: 30 }).map((t) => new Snapshot(t, { timestamp: 1 }));
const keyArb = fc.constantFrom(
  'filename' as const,
  'lineno' as const,
  'function' as const,
  'traceback' as const,
);
const sum = (xs: readonly { size: number }[]) => xs.reduce((a, x) => a + x.size, 0);

describe('Snapshot properties', () => {
  it('sizeDiff over all entries sums to the total size change', () => {
    fc.assert(
      fc.property(snapshotArb, snapshotArb, keyArb, fc.boolean(), (a, b, key, cumulative) => {
        if (cumulative && key === 'traceback') return;
        const diffs = b.compareTo(a, key, { cumulative });
        const expected = sum(b.statistics(key, { cumulative })) - sum(a.statistics(key, { cumulative }));
        expect(diffs.reduce((acc, d) => acc + d.sizeDiff, 0)).toBe(expected);
        if (!cumulative) expect(diffs.reduce((acc, d) => acc + d.sizeDiff, 0)).toBe(b.size - a.size);
      }),
    );
  });

  it('s.compareTo(s) is all zero', () => {
    fc.assert(
      fc.property(snapshotArb, keyArb, (s, key) => {
        for (const d of s.compareTo(s, key)) {
          expect(d.sizeDiff).toBe(0);
          expect(d.countDiff).toBe(0);
        }
      }),
    );
  });

  it("'filename' totals equal the sums of 'lineno' totals", () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const byFile = new Map<string, number>();
        for (const st of s.statistics('lineno')) {
          const f = st.traceback[0]!.file;
          byFile.set(f, (byFile.get(f) ?? 0) + st.size);
        }
        for (const st of s.statistics('filename')) expect(st.size).toBe(byFile.get(st.traceback[0]!.file));
        expect(s.statistics('filename')).toHaveLength(byFile.size);
      }),
    );
  });

  it('dump and load round-trip', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakkit-prop-'));
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const path = join(dir, 's.json');
        s.dump(path);
        const loaded = Snapshot.load(path);
        expect(loaded.traces).toEqual(s.traces);
        expect(loaded.meta).toEqual(s.meta);
        expect(loaded.statistics('traceback').map(String)).toEqual(s.statistics('traceback').map(String));
      }),
      { numRuns: 50 },
    );
  });

  it('include and exclude filters with the same pattern partition a snapshot', () => {
    const patternArb = fc.constantFrom('src/*', '*.js', 'src/[ab].ts', '?/*', 'node_modules/*', '*');
    fc.assert(
      fc.property(
        snapshotArb,
        patternArb,
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        fc.boolean(),
        (s, filenamePattern, lineno, allFrames) => {
          const options = { filenamePattern, allFrames, ...(lineno === undefined ? {} : { lineno }) };
          const inc = s.filter([{ inclusive: true, ...options }]);
          const exc = s.filter([{ inclusive: false, ...options }]);
          expect(inc.traces.length + exc.traces.length).toBe(s.traces.length);
          expect(inc.size + exc.size).toBe(s.size);
          const inSet = new Set(inc.traces.map((t) => JSON.stringify(t)));
          for (const t of exc.traces) expect(inSet.has(JSON.stringify(t))).toBe(false);
        },
      ),
    );
  });
});
