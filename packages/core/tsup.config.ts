import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'heap/index': 'src/heap/index.ts',
    'testing/index': 'src/testing/index.ts',
    register: 'src/register.ts',
  },
  format: ['esm'],
  target: 'node20',
  dts: true,
  sourcemap: true,
  clean: true,
  // One chunk per shared module keeps `instanceof LeakkitError` true across subpath entries.
  splitting: true,
});
