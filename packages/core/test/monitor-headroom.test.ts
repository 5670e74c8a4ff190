import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeapCaptures, seriesStride } from '../src/monitor/captures.js';
import { usableHeap } from '../src/monitor/limits.js';

// A heap capture needs memory beside the heap and room in it: the monitor checks before every one
// and skips, with a warning, where it would push the process over its limit. The heap case runs for
// real in a child process under `--max-old-space-size=160`; the cgroup case with a limit given to
// the check (no test can put itself in a smaller cgroup).

const here = dirname(fileURLToPath(import.meta.url));
const MiB = 2 ** 20;
let root: string;
let lib: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'leakkit-headroom-'));
  lib = join(root, 'leakkit.mjs');
  // esbuild comes with tsup, a dev dependency already.
  const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as {
    build(o: object): Promise<unknown>;
  };
  await esbuild.build({
    entryPoints: [join(here, '..', 'src', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: lib,
    logLevel: 'error',
  });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Outcome {
  summary: { taken: number; skipped: number; lastSkip?: string; files: string[] };
  errors: { code: string; message: string }[];
  arrays: number;
  heapUsed: number;
  files: string[];
}

function run(fillMB: number): Promise<Outcome> {
  const dir = mkdtempSync(join(root, 'snapshots-'));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        '--max-old-space-size=160',
        join(here, 'fixtures', 'monitor', 'headroom.mjs'),
        lib,
        String(fillMB),
        dir,
      ],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Outcome);
      },
    );
  });
}

describe('heap captures: the headroom check', () => {
  it('skips the captures and the snapshot near the limit when the heap is near its real limit', async () => {
    // 140 MiB of a usable 160 MiB (heap_size_limit says 208 MiB on Node 20, 352 MiB on Node 24:
    // the young generation's reserve, which the live heap never reaches).
    const out = await run(140);
    expect(out.heapUsed).toBeGreaterThan(140 * MiB);
    expect(out.summary.taken).toBe(0);
    expect(out.summary.skipped).toBeGreaterThanOrEqual(1);
    expect(out.summary.lastSkip).toMatch(
      /^only [\d.]+ MiB left below the heap limit \(160 MiB\); a capture needs 32\.0 MiB$/,
    );
    expect(out.files).toEqual([]);
    const messages = out.errors.map((e) => `${e.code} ${e.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^ERR_LEAKKIT_CAPTURE_SKIPPED Skipped the heap snapshot near the limit: only /),
      expect.stringMatching(/^ERR_LEAKKIT_CAPTURE_SKIPPED Skipped a heap capture: only /),
    ]);
  }, 90_000);

  it('takes them in the same process with room to spare (the twin)', async () => {
    const out = await run(0);
    expect(out.summary.skipped).toBe(0);
    expect(out.summary.taken).toBe(3);
    expect(out.files).toEqual([]);
    expect(out.errors).toEqual([]);
  }, 90_000);

  it('skips where the cgroup has too little memory left beside the heap', () => {
    const { rss } = process.memoryUsage();
    const captures = new HeapCaptures('on', 500, 3);
    expect(captures.unsafe(true, { usable: 64 * 1024 * MiB, cgroup: rss + 64 * MiB })).toMatch(
      /^a capture of this [\d.]+ MiB heap may need [\d.]+ (MiB|GiB) beside it and the cgroup \(memory\.max [\d.]+ MiB\) has 6[0-4]\.\d MiB left$/,
    );
    expect(captures.unsafe(true, { usable: 64 * 1024 * MiB, cgroup: null })).toBeUndefined();
  });

  it('keeps to the pause budget under the auto policy, unless forced', () => {
    const captures = new HeapCaptures('auto', 1, 3);
    const limits = { usable: 64 * 1024 * MiB, cgroup: null };
    expect(captures.unsafe(false, limits)).toMatch(/^expected pause \d+ ms exceeds maxPause 1 ms$/);
    expect(captures.unsafe(true, limits)).toBeUndefined();
  });
});

describe('seriesStride()', () => {
  it('spaces a series so the heap grows by 128 KiB between captures, further after series that named nothing', () => {
    // 5 KiB a second (18 MiB an hour) at 1 s ticks: 26 ticks; fast growth: every tick.
    expect(seriesStride((5 * 1024) / 1000, 1000, 0)).toBe(26);
    expect(seriesStride((10 * 1024 * 1024) / 1000, 1000, 0)).toBe(1);
    // ×4 per empty series, up to two minutes' worth of ticks.
    expect(seriesStride((5 * 1024) / 1000, 1000, 1)).toBe(103);
    expect(seriesStride((5 * 1024) / 1000, 1000, 2)).toBe(120);
    // At the default 1 min interval: never more than two ticks apart; no trend yet: the longest.
    expect(seriesStride((5 * 1024) / 1000, 60_000, 0)).toBe(1);
    expect(seriesStride(0, 60_000, 3)).toBe(2);
  });
});

describe('usableHeap()', () => {
  it('is the old generation’s maximum: the flag when given, else the limit less the young reserve', () => {
    expect(usableHeap(176 * MiB, ['--max-old-space-size=128'], undefined)).toBe(128 * MiB);
    expect(usableHeap(320 * MiB, [], '--max_old_space_size=128')).toBe(128 * MiB);
    // The command line wins over NODE_OPTIONS.
    expect(usableHeap(2096 * MiB, ['--max-old-space-size=2048'], '--max-old-space-size=512')).toBe(
      2048 * MiB,
    );
    expect(usableHeap(4144 * MiB, [], undefined)).toBe(3952 * MiB);
    expect(usableHeap(4144 * MiB, [], '--max-semi-space-size=16')).toBe(4096 * MiB);
    expect(usableHeap(176 * MiB, [], undefined)).toBe(132 * MiB);
  });
});
