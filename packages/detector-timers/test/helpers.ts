import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Detector, DetectorContext, Finding } from '@leakkit/core';
import { createDetectorContext, GaugeHistory, runDetectors, setupDetectors } from '@leakkit/core';

const require = createRequire(import.meta.url);

/** Absolute path of a fixture of the in-process tests. */
export function timelineFixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/timeline/${name}`, import.meta.url));
}

/**
 * Loads a fixture program with Node's own `require`: not transformed by the test runner, so the
 * lines a stack shows are the file's.
 */
export function load<T>(name: string): T {
  return require(timelineFixture(name)) as T;
}

/** 1-based line of the line of `file` that carries `marker` (a `// @site name` comment). */
export function markerLine(file: string, marker: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not in ${file}`);
  return i + 1;
}

/** What a session does around a workload: setup, one gauge sample per iteration, checks, dispose. */
export interface Workload {
  findings: Finding[];
  ctx: DetectorContext;
  gauges: GaugeHistory;
}

/**
 * Sets the detector up on a fresh gauge history, runs `work(i)` for `iterations` iterations with a
 * sample after each (`iterations` recorded, as `checkBounded` does), runs the detector once at the end
 * and disposes of it.
 */
export async function runWorkload(
  detector: Detector,
  iterations: number,
  work: (i: number) => unknown,
  options: { sampleEvery?: number } = {},
): Promise<Workload> {
  const gauges = new GaugeHistory();
  const ctx = createDetectorContext({ gauges });
  const dispose = await setupDetectors([detector], ctx, {
    onError: (f) => {
      throw f.error;
    },
  });
  const every = options.sampleEvery ?? 1;
  try {
    for (let i = 1; i <= iterations; i++) {
      await work(i);
      if (i % every === 0) gauges.record(i, { iterations: i });
    }
    const { findings, failures } = await runDetectors([detector], ctx);
    if (failures.length > 0) throw failures[0]!.error;
    return { findings, ctx, gauges };
  } finally {
    await dispose();
  }
}
