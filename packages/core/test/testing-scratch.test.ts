import { checkBounded } from '@leakkit/core/testing';
import { it } from 'vitest';

let kept: object[] = [];
const leak = (i: number) => {
  kept.push({ i });
};
it('repeat', async () => {
  for (let k = 0; k < 8; k++) {
    const r = await checkBounded(leak, { iterations: 300 });
    console.log('run', k, r.bounded, r.findings.map((f) => f.path).join(' | '));
    kept = [];
  }
}, 600_000);
