import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages by their public names; these aliases point them at the
// sources so the suite needs no build and a stack trace lands in the .ts file.
const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@leakkit\/core\/heap$/, replacement: src('core/src/heap/index.ts') },
      { find: /^@leakkit\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@leakkit\/core\/register$/, replacement: src('core/src/register.ts') },
      { find: /^@leakkit\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@leakkit\/detector-timers$/, replacement: src('detector-timers/src/index.ts') },
      { find: /^@leakkit\/detector-caches$/, replacement: src('detector-caches/src/index.ts') },
      { find: /^@leakkit\/cli$/, replacement: src('cli/src/index.ts') },
      { find: /^@leakkit\/reporter-console$/, replacement: src('reporter-console/src/index.ts') },
      { find: /^@leakkit\/reporter-prometheus$/, replacement: src('reporter-prometheus/src/index.ts') },
      { find: /^@leakkit\/vitest\/setup$/, replacement: src('vitest/src/setup.ts') },
      { find: /^@leakkit\/vitest$/, replacement: src('vitest/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // Memory measurements need a process of their own: forks, not threads, and one file at a
    // time per worker so a neighbour's garbage never lands in another test's heap.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    // The JSON report lets .ci/run print one closing "N passed, N failed" line for every Node version.
    reporters: ['default', 'json'],
    outputFile: { json: `.tmp/vitest-node${process.versions.node.split('.')[0]}.json` },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
