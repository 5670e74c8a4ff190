import { createRequire } from 'node:module';
import type { Finding } from '@leakkit/core';
import { createDetectorContext, GaugeHistory, runDetectors, setupDetectors } from '@leakkit/core';
import { caches } from '@leakkit/detector-caches';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Spec } from './fixtures/cases.js';
import { expectedLeaks, specs } from './fixtures/cases.js';

const require = createRequire(import.meta.url);
const { buildCases } = require('./fixtures/cases-lib.cjs') as {
  buildCases(spec: Spec): { warmup(): void; step(): number };
};

// Samples of a monitor, one check after each, as in production.
const SAMPLES = 20;

afterEach(() => {
  delete (globalThis as { cases?: unknown }).cases;
});

/** Runs a generated spec in this process, the scan finding its collections on `globalThis.cases`. */
async function holds(spec: Spec): Promise<void> {
  const cases = buildCases(spec);
  cases.warmup();
  const gauges = new GaugeHistory();
  const ctx = createDetectorContext({ gauges });
  // A time box the walk never reaches: what is found must not depend on the machine's load.
  const detector = caches({ scan: { timeBudget: '10s' } });
  const dispose = await setupDetectors([detector], ctx);
  let iterations = 0;
  let findings: Finding[] = [];
  try {
    for (let s = 0; s < SAMPLES; s++) {
      iterations += cases.step();
      gauges.record(s * 1000, { iterations });
      const run = await runDetectors([detector], ctx);
      expect(run.failures).toEqual([]);
      findings = run.findings;
    }
  } finally {
    await dispose();
    delete (globalThis as { cases?: unknown }).cases;
  }
  const expected = expectedLeaks(spec, 'scan');
  expect(findings.map((f) => f.path).sort()).toEqual([...expected.keys()].sort());
  for (const f of findings) {
    const e = expected.get(f.path!)!;
    expect(f.evidence?.pattern).toBe(e.pattern);
    expect(f.growth.objectsPerIteration).toBeCloseTo(e.rate, 6);
  }
}

describe('caches() cheap mode on generated workloads', () => {
  it('names each leaking collection (≥ 1 entry per iteration) and no bounded one', async () => {
    await fc.assert(fc.asyncProperty(specs(SAMPLES, fc.integer({ min: 20, max: 60 })), holds), {
      seed: 7,
      numRuns: 40,
    });
  });
});
