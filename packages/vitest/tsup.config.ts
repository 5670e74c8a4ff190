import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', setup: 'src/setup.ts' },
  format: ['esm'],
  target: 'node20',
  // Declarations come from tsc (the build script): tsup's declaration bundler cannot resolve the
  // `declare module 'vitest'` augmentation that types the matcher.
  dts: false,
  sourcemap: true,
  clean: true,
  // One chunk for what both entries share: the matcher registered by `setup` is the exported one.
  splitting: true,
});
