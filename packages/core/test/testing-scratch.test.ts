import { it } from 'vitest';
import { captureHeap, resetHeapTracking } from '@leakkit/core/heap';
import * as ts from './fixtures/bounded/ts-programs.js';

it('ts', async () => {
  ts.registerHandler(1);
  const g = await captureHeap();
  const d = g.data;
  // find Context holding an Array with 'Handler'-like... find Array with element objects having 'handle' prop; simpler: find closure named registerHandler
  for (let n = 0; n < d.nodeCount; n++) {
    if (d.strings.get(d.nodeName[n]!) !== 'registerHandler' || d.nodeTypeNames[d.nodeType[n]!] !== 'closure') continue;
    for (let e = d.firstEdge[n]!; e < d.firstEdge[n + 1]!; e++) {
      if (g.edgeNameOf(e) !== 'context') continue;
      const c = d.edgeTo[e]!;
      console.log('context', d.strings.get(d.nodeName[c]!), d.nodeId[c]);
      for (let f = d.firstEdge[c]!; f < d.firstEdge[c + 1]!; f++) {
        const t = d.edgeTo[f]!;
        console.log('  ', d.edgeTypeNames[d.edgeType[f]!], g.edgeNameOf(f), '->', d.nodeTypeNames[d.nodeType[t]!], d.strings.get(d.nodeName[t]!).slice(0, 40));
        if (g.edgeNameOf(f) === 'scope_info') {
          for (let h = d.firstEdge[t]!; h < d.firstEdge[t + 1]!; h++) {
            const u = d.edgeTo[h]!;
            console.log('      ', d.edgeTypeNames[d.edgeType[h]!], g.edgeNameOf(h), '->', d.nodeTypeNames[d.nodeType[u]!], d.strings.get(d.nodeName[u]!).slice(0, 40));
          }
        }
      }
    }
  }
  await resetHeapTracking();
});
