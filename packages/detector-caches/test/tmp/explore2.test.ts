import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findGrowth, HeapGraph } from '@leakkit/core/heap';
import { it } from 'vitest';
it('explore', async () => {
  const dir = mkdtempSync('/tmp/cx/s-');
  execFileSync(process.execPath, ['--expose-gc', '/tmp/cx/corefx2/leaky-module.cjs', dir, '6']);
  const files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  const graphs = [];
  for (const f of files) graphs.push(await HeapGraph.fromFile(join(dir, f)));
  for (const g of findGrowth(graphs).filter((x) => x.path.includes('Strong'))) {
    console.log(g.path, graphs.map((gr) => { const i = gr.nodeIndexOf(g.nodeId); return i < 0 ? '-' : gr.pathTo(g.nodeId)?.text; }).join(' | '));
  }
});
