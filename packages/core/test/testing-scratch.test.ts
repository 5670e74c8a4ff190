import { createRequire } from 'node:module';
import { it } from 'vitest';
import { checkBounded } from '@leakkit/core/testing';

const req = createRequire(import.meta.url);
const { fns } = req('/tmp/lk5/fx2.cjs');

for (const name of ['churn', 'lru', 'json', 'ring', 'strReset', 'listenerOk', 'listenerLeak', 'leakPer100', 'leak24']) {
  it(name, async () => {
    const r = await checkBounded(fns[name], {});
    console.log(name, r.bounded, r.durationMs.toFixed(0), r.rounds.map((x) => x.survivors ?? '').join(','));
  });
}
