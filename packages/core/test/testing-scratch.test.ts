import { createRequire } from 'node:module';
import { it } from 'vitest';
import { snapshot, startTracking } from '../src/testing/capture.js';
import { fullGc, measurementFlags, turn } from '../src/testing/vm.js';

import { setFlagsFromString } from 'node:v8';
for (const f of (process.env.FLAGS ?? '').split(' ').filter(Boolean)) setFlagsFromString(f);
const req = createRequire(import.meta.url);
const { fns } = req('/tmp/lk5/fx2.cjs');

for (const flags of [false, true, false, true, false, true, false, true]) {
it('debug ' + flags, async () => {
  const restore = flags ? measurementFlags() : () => {};
  const fn = fns.leakPer100;
  let i = 0;
  for (; i < 9000; i++) fn(i);
  const tr = await startTracking();
  fullGc();
  const graphs = [await snapshot()];
  const births: number[] = [];
  for (let r = 0; r < 3; r++) {
    for (let k = 0; k < 1000; k++) fn(i++);
    await turn();
    const g = await snapshot();
    graphs.push(g);
    const d = g.data;
    const prev = graphs[graphs.length - 2]!;
    let neu = 0, traced = 0;
    for (let n = 0; n < d.nodeCount; n++) {
      if (d.strings.get(d.nodeName[n]!) !== 'Object' || d.nodeSelfSize[n] !== 32) continue;
      if (prev.nodeIndexOf(d.nodeId[n]!) >= 0) continue;
      neu++;
      if (d.nodeTraceId?.[n]) traced++;
    }
    console.log(flags, 'round', r, 'new 32B Objects', neu, 'traced', traced);
  }
  await tr.stop();
  restore();
});
}
