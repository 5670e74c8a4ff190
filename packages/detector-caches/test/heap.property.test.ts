import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDetectors } from '@leakkit/core';
import { caches } from '@leakkit/detector-caches';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Spec } from './fixtures/cases.js';
import { expectedLeaks, specs } from './fixtures/cases.js';
import { heapContext, snapshotSeries } from './fixtures/series.js';

const STEPS = 6;

/** Runs a generated spec in one child process (all its cases at once) and checks caches() on it. */
async function holds(spec: Spec): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'leakkit-caches-spec-'));
  try {
    const file = join(dir, 'spec.json');
    await writeFile(file, JSON.stringify(spec));
    const series = await snapshotSeries('cases.cjs', STEPS, [file]);
    // More growing collections than findGrowth's default top 20 in one run: ask for them all.
    const { findings, failures } = await runDetectors([caches()], heapContext(series, { limit: 100 }));
    expect(failures).toEqual([]);
    const expected = expectedLeaks(spec, 'heap');
    // Every leaking case by its exact path, no bounded case, nothing else.
    expect(findings.map((f) => f.path).sort()).toEqual([...expected.keys()].sort());
    for (const f of findings) {
      const e = expected.get(f.path!)!;
      expect(f.evidence?.pattern).toBe(e.pattern);
      expect(f.growth.objectsPerIteration).toBeCloseTo(e.rate, 9);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('caches() on heap graphs of generated workloads', () => {
  it('names each leaking collection (≥ 1 entry per iteration) and no bounded one', async () => {
    // Each run is one child process with 20–40 cases; this seed's three runs (85 cases) have every
    // kind at least four times.
    await fc.assert(fc.asyncProperty(specs(STEPS, undefined, { minLength: 20, maxLength: 40 }), holds), {
      seed: 10,
      numRuns: 3,
      endOnFailure: true,
    });
  }, 120_000);
});
