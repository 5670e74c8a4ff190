import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findGrowth, HeapGraph } from '@leakkit/core/heap';
import { it } from 'vitest';
it('explore', async () => {
  const [fixture, ...args] = (process.env.EXPLORE ?? '').split(' ');
  const dir = mkdtempSync('/tmp/cx/s-');
  execFileSync(process.execPath, ['--expose-gc', fixture!, dir, process.env.STEPS ?? '6', ...args]);
  const files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  const graphs = [];
  for (const f of files) graphs.push(await HeapGraph.fromFile(join(dir, f)));
  const out: string[] = [`nodes ${graphs.at(-1)!.nodeCount}`];
  for (const g of findGrowth(graphs)) out.push(`${g.path} | ${g.counts.join(',')} ${g.unit} ${g.keys} ${g.file} ${g.line}`);
  console.log(out.join('\n'));
});
