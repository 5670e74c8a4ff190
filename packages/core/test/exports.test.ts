import * as core from '@leakkit/core';
import * as heap from '@leakkit/core/heap';
import * as testing from '@leakkit/core/testing';
import { describe, expect, it } from 'vitest';

// The public surface of @leakkit/core, pinned per entry point: adding, renaming or removing an
// export is an API change and must show up in review as a change to these lists. Types are erased
// at runtime and are not listed here.

describe('@leakkit/core', () => {
  it('exports exactly these names at runtime', () => {
    expect(Object.keys(core).sort()).toEqual([
      'FindingStore',
      'GaugeHistory',
      'JSON_REPORT_SCHEMA',
      'LeakkitError',
      'Snapshot',
      'Statistic',
      'StatisticDiff',
      'classifyTrend',
      'createDetectorContext',
      'createMonitor',
      'evidenceNeeded',
      'getTracedMemory',
      'invalidOption',
      'isSaturating',
      'isTracing',
      'iterationsPerStep',
      'jsonReporter',
      'mad',
      'median',
      'monotonicTrend',
      'parseDuration',
      'parseSize',
      'robustSlope',
      'runDetectors',
      'saturation',
      'setupDetectors',
      'start',
      'stats',
      'stop',
      'takeSnapshot',
      'validateFinding',
    ]);
  });
});

describe('@leakkit/core/heap', () => {
  it('exports exactly these names at runtime', () => {
    expect(Object.keys(heap).sort()).toEqual([
      'HEAP_TRACKING_WARNING_CODE',
      'HeapGraph',
      'HeapSnapshotParser',
      'LeakkitError',
      'buildRetainers',
      'captureHeap',
      'chainAdvice',
      'chainSite',
      'computeDominators',
      'describeHeapValue',
      'diffHeaps',
      'displayFile',
      'edgeName',
      'findEdge',
      'findGrowth',
      'functionLocation',
      'groupName',
      'groupNodes',
      'growthAdvice',
      'growthUnit',
      'isIdentifier',
      'nodeKind',
      'nodesSortedById',
      'parseHeapSnapshot',
      'pathCode',
      'pathTo',
      'pathToIndex',
      'resetHeapTracking',
      'retainingEdgeMask',
      'summarize',
      'tableKeyNode',
      'tableSlot',
      'vocabulary',
    ]);
  });

  it('shares one LeakkitError class with @leakkit/core', () => {
    // `instanceof LeakkitError` must hold whichever entry point a caller imported it from.
    expect(heap.LeakkitError).toBe(core.LeakkitError);
  });
});

describe('@leakkit/core/testing', () => {
  it('exports exactly these names at runtime', () => {
    expect(Object.keys(testing).sort()).toEqual([
      'LeakError',
      'LeakkitError',
      'assertBounded',
      'checkBounded',
      'formatBoundedReport',
    ]);
  });

  it('shares one LeakkitError class with @leakkit/core', () => {
    expect(testing.LeakkitError).toBe(core.LeakkitError);
    expect(testing.LeakError.prototype).toBeInstanceOf(core.LeakkitError);
  });
});

describe('@leakkit/core/register', () => {
  it('exports the monitor it attached (none in a test run: LEAKKIT_DISABLE)', async () => {
    process.env.LEAKKIT_DISABLE = '1';
    try {
      const register = await import('@leakkit/core/register');
      expect(Object.keys(register).sort()).toEqual(['monitor']);
      expect(register.monitor).toBeUndefined();
    } finally {
      delete process.env.LEAKKIT_DISABLE;
    }
  });
});
