import { defineConfig } from 'tsup';

export default defineConfig({
  // `bin` is the executable (its `#!` line is kept); `index` is the programmatic `run()`.
  entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
});
