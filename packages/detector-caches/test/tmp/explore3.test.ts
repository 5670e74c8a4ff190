import { findGrowth } from '@leakkit/core/heap';
import { runDetectors } from '@leakkit/core';
import { it } from 'vitest';
import { caches } from '../../src/index.js';
import { heapContext, snapshotSeries } from '../fixtures/series.js';
it('explore', async () => {
  const [fixture, ...args] = (process.env.EXPLORE ?? '').split(' ').filter(Boolean);
  const s = await snapshotSeries(fixture!, 6, args);
  for (const g of findGrowth(s.graphs)) console.log('GROWTH', g.path, g.counts.join(','));
  const { findings, failures } = await runDetectors([caches()], heapContext(s));
  console.log(JSON.stringify(findings, null, 1), failures);
});
