import { createRequire } from 'node:module';
import { it } from 'vitest';
import { checkBounded } from '@leakkit/core/testing';

const req = createRequire(import.meta.url);
for (const name of ['array-push', 'interval']) {
  it(name, async () => {
    const p = req(`./fixtures/bounded/leaks/${name}.cjs`);
    const r = await checkBounded(p.run, {});
    console.log(name, r.bounded, r.durationMs.toFixed(0));
    p.cleanup();
  });
}
