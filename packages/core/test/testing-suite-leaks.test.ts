import { readFileSync } from 'node:fs';
import { checkBounded, formatBoundedReport } from '@leakkit/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { programs, samePath } from './fixtures/bounded/programs.js';
import * as ts from './fixtures/bounded/ts-programs.js';

// The acceptance suite, leaking half: every program keeps memory (or timers) on every call, of a
// different kind each; the check must fail and name what grows (path) and where it is allocated
// (site: the program's file and the line marked `leak-site`).
const leaks = programs('leaks');
// Default options for the measurement; only the time limit is raised, for a machine shared with
// other work (a check takes 2-3 s alone).
const slack = { timeout: '4m' } as const;
vi.setConfig({ testTimeout: 300_000 });
let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('checkBounded() on leaking programs', () => {
  it('has at least 15 of them', () => {
    expect(leaks.length).toBeGreaterThanOrEqual(15);
  });

  for (const p of leaks) {
    it(`reports ${p.name} with its path and site`, async () => {
      cleanup = p.cleanup;
      const result = await checkBounded(p.run, slack);
      const report = formatBoundedReport(result, { color: false });
      expect(result.bounded, report).toBe(false);
      const finding = result.findings.find((f) => samePath(f.path, p.path!));
      expect(finding, `no finding with path ${p.path}\n${report}`).toBeDefined();
      expect(finding!.severity).toBe('leak');
      expect(finding!.site?.file, report).toBe(p.file);
      expect(finding!.site?.line, report).toBe(p.line);
    });
  }

  it('reports a leak in TypeScript that vitest transformed, at its original line', async () => {
    cleanup = ts.cleanup;
    const result = await checkBounded(ts.registerHandler, slack);
    const report = formatBoundedReport(result, { color: false });
    expect(result.bounded, report).toBe(false);
    const finding = result.findings.find((f) => f.path === 'ts-programs.ts › handlers');
    expect(finding, report).toBeDefined();
    const file = new URL('./fixtures/bounded/ts-programs.ts', import.meta.url).pathname;
    const line =
      readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('// leak-site')) + 1;
    expect(finding!.site?.file, report).toBe(file);
    expect(finding!.site?.line, report).toBe(line);
  });
});
