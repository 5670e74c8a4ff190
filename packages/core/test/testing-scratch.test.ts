import { checkBounded } from '@leakkit/core/testing';
import { it } from 'vitest';

let kept: object[] = [];
it('debug', async () => {
  const byUser = new Map<string, object[]>([['alice-secret-token', []]]);
  const fn = (i: number) => {
    byUser.get('alice-secret-token')!.push({ i });
  };
  const r = await checkBounded(fn, { iterations: 300 });
  console.log(
    r.findings.length,
    r.findings.slice(0, 2).map((f) => JSON.stringify(f.evidence)),
  );
  const r2 = await checkBounded(
    (i: number) => {
      kept.push({ i });
    },
    {
      iterations: 300,
      detectors: [
        {
          name: 'registry',
          priority: 10,
          needs: { heapGraphs: true },
          check(ctx) {
            console.log(
              'growth paths',
              ctx.heap?.growth.map((g) => g.path),
            );
            return [];
          },
        },
      ],
    },
  );
  console.log(r2.findings.map((f) => `${f.detector} ${f.path}`));
  kept = [];
});
