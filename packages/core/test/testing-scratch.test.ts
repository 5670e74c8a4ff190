import { createRequire } from 'node:module';
import { it } from 'vitest';
import { checkBounded } from '@leakkit/core/testing';

const req = createRequire(import.meta.url);
for (const name of ['numbers-array']) {
  it(name, async () => {
    const p = req(`./fixtures/bounded/leaks/${name}.cjs`);
    const r = await checkBounded(p.run, {});
    console.log(name, r.bounded, r.rounds.map((x) => x.survivors ?? '').join(','), JSON.stringify(r.findings[0]?.evidence));
    p.cleanup();
  });
}
