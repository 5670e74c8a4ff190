import { checkBounded, formatBoundedReport } from '@leakkit/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { programs } from './fixtures/bounded/programs.js';
import * as ts from './fixtures/bounded/ts-programs.js';

// The acceptance suite, bounded half: the same kinds of work as the leaking programs (collections,
// closures, strings, timers, listeners, nested state, module state behind closures, churn, tiny
// objects), done so that memory stays bounded, plus the shapes of growth that saturate (lazy
// initialisation, a capped cache, values replaced in place, inline caches warming up). The check
// must pass with no finding at all.
const bounded = programs('bounded');
// Default options for the measurement; only the time limit is raised, for a machine shared with
// other work (a check takes 2-3 s alone).
const slack = { timeout: '4m' } as const;
vi.setConfig({ testTimeout: 300_000 });
let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('checkBounded() on bounded programs', () => {
  it('has at least 15 of them', () => {
    expect(bounded.length).toBeGreaterThanOrEqual(15);
  });

  for (const p of bounded) {
    it(`stays quiet on ${p.name}`, async () => {
      cleanup = p.cleanup;
      const result = await checkBounded(p.run, slack);
      const report = formatBoundedReport(result, { color: false });
      expect(result.findings, report).toEqual([]);
      expect(result.bounded, report).toBe(true);
    });
  }

  it('stays quiet on TypeScript that vitest transformed', async () => {
    cleanup = ts.cleanup;
    const result = await checkBounded(ts.replaceHandler, slack);
    expect(result.findings, formatBoundedReport(result, { color: false })).toEqual([]);
  });
});
