import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', setup: 'src/setup.ts' },
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  // One chunk for what both entries share: the matcher registered by `setup` is the exported one.
  splitting: true,
  // The peers are the user's: never bundled.
  external: ['vitest', '@leakkit/core', '@leakkit/core/testing'],
});
