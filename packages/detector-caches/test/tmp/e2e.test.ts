import { checkBounded } from '@leakkit/core/testing';
import type { Detector } from '@leakkit/core';
import { it } from 'vitest';
const registry = new Map<string, object>();
let n = 0;
it('e2e', async () => {
  const spy: Detector = { name: 'spy', needs: { heapGraphs: true }, check(ctx) {
    const g = ctx.heap!.growth[0]!; const last = ctx.heap!.graphs.at(-1)!;
    console.log(g.path, '\n', last.pathTo(g.nodeId, { raw: true })?.text, '\n', JSON.stringify(g.steps.map((s) => [s.edge, s.edgeType, s.name, s.kind])));
    return []; } };
  await checkBounded(() => { registry.set(`k${n++}`, { n }); }, { detectors: [spy], iterations: 200 });
}, 60_000);
