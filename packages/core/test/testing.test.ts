import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Detector } from '@leakkit/core';
import { LeakkitError } from '@leakkit/core';
import { assertBounded, checkBounded, formatBoundedReport, LeakError } from '@leakkit/core/testing';
import { afterEach, describe, expect, it } from 'vitest';

// The API around the measurement: misuse, failures of the function under test, the options that
// hide growth on purpose (ignore, budget), handles, detectors, the error and its report, and that
// a check leaves the process as it found it. The measurement itself is judged by the suite of
// programs (testing-suite-*.test.ts) and the properties (testing.property.test.ts).

// A leak of one object per call and its bounded twin, small rounds to keep the file quick.
const quick = { iterations: 300 } as const;
let kept: object[] = [];
const leak = (i: number) => {
  kept.push({ i });
};
const twin = (i: number) => ({ i });
afterEach(() => {
  kept = [];
});

async function rejection(promise: Promise<unknown>): Promise<LeakkitError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LeakkitError);
    return error as LeakkitError;
  }
  throw new Error('expected a rejection');
}

describe('checkBounded() misuse', () => {
  it('rejects what is not a function', async () => {
    const e = await rejection(checkBounded('fn' as never));
    expect(e.code).toBe('ERR_LEAKKIT_INVALID_ARGUMENT');
    expect(e.message).toBe(
      'Expected the function under test to be a function (called once per iteration with its index), got `"fn"`',
    );
  });

  it.each([
    [{ iterations: 0 }, 'iterations', "Expected `iterations` to be an integer ≥ 1 or 'auto', got `0`"],
    [{ iterations: 1.5 }, 'iterations', "Expected `iterations` to be an integer ≥ 1 or 'auto', got `1.5`"],
    [{ warmup: -1 }, 'warmup', 'Expected `warmup` to be an integer ≥ 0, got `-1`'],
    [{ rounds: 2 }, 'rounds', 'Expected `rounds` to be an integer ≥ 3, got `2`'],
    [
      { timeout: 'soon' },
      'timeout',
      'Expected `timeout` to be a positive duration in ms or a string like `"30s"`, got `"soon"`',
    ],
    [
      { maxBytesPerIteration: 'lots' },
      'maxBytesPerIteration',
      'Expected `maxBytesPerIteration` to be a positive size in bytes or a string like `"64 KiB"`, got `"lots"`',
    ],
    [{ ignore: 'cache' }, 'ignore', 'Expected `ignore` to be an array of strings or RegExps, got `"cache"`'],
    [{ ignore: [''] }, 'ignore[0]', 'Expected `ignore[0]` to be a non-empty string or a RegExp, got `""`'],
    [
      { heapGraphs: 'never' },
      'heapGraphs',
      "Expected `heapGraphs` to be 'auto' or 'always', got `\"never\"`",
    ],
    [{ handles: 'yes' }, 'handles', 'Expected `handles` to be a boolean, got `"yes"`'],
    [{ iteration: 10 }, 'iteration', expect.stringContaining('got `iteration`')],
  ])('rejects %o with a message naming the option', async (options, option, message) => {
    const e = await rejection(checkBounded(twin, options as never));
    expect(e.code).toBe('ERR_LEAKKIT_INVALID_OPTION');
    expect(e.option).toBe(option);
    expect(e.message).toEqual(message);
  });

  it('rejects detectors that are not detectors, or that take leakkit’s own names', async () => {
    const bad = await rejection(checkBounded(twin, { detectors: [{ name: 'x' } as never] }));
    expect(bad.code).toBe('ERR_LEAKKIT_INVALID_OPTION');
    const reserved = await rejection(
      checkBounded(twin, { detectors: [{ name: 'growth', check: () => [] }] }),
    );
    expect(reserved.message).toContain('got `growth`');
  });

  it('reports the iteration a throwing function failed at and keeps what it threw as the cause', async () => {
    const boom = new TypeError('no such user');
    const e = await rejection(
      checkBounded((i) => {
        if (i === 17) throw boom;
      }),
    );
    expect(e.code).toBe('ERR_LEAKKIT_FUNCTION_FAILED');
    expect(e.message).toBe(
      'Expected the function under test to return, got it throwing at iteration 17 (warm-up): no such user',
    );
    expect(e.cause).toBe(boom);
  });

  it('reports a rejection of an async function the same way', async () => {
    const e = await rejection(
      checkBounded(async (i) => {
        await null;
        if (i === 3) throw new Error('upstream 503');
      }),
    );
    expect(e.code).toBe('ERR_LEAKKIT_FUNCTION_FAILED');
    expect(e.message).toContain('at iteration 3 (warm-up): upstream 503');
  });

  it('gives up at its timeout, naming where it was', async () => {
    const started = performance.now();
    const e = await rejection(checkBounded(() => new Promise(() => {}), { timeout: 300 }));
    expect(e.code).toBe('ERR_LEAKKIT_TIMEOUT');
    expect(e.message).toMatch(
      /^Expected the check to finish within its timeout of 300 ms, got still running at iteration 0 \(warm-up\)/,
    );
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('checkBounded() results', () => {
  it('finds a leak of an async function, and says what, where and how fast', async () => {
    const result = await checkBounded(async (i) => {
      await null;
      kept.push({ i });
    }, quick);
    expect(result.bounded).toBe(false);
    expect(result.evidence).toBe('heap-graphs');
    const [finding] = result.findings;
    expect(finding).toMatchObject({ detector: 'growth', severity: 'leak', path: 'testing.test.ts › kept' });
    expect(finding!.site?.file).toBe(new URL(import.meta.url).pathname);
    // One object per call. Seen once in a full CI run on Node 24: 606 survivors in two rounds of
    // 300 (1.01 per call), a few objects V8 made in a round held under the same variable; not
    // reproduced in 16 runs of this test alone. A few in a hundred are tolerated, not a second object.
    const perCall = finding!.growth.objectsPerIteration!;
    expect(perCall).toBeGreaterThanOrEqual(1);
    expect(perCall).toBeLessThan(1.05);
    expect(result.perIteration.objects).toBe(perCall);
    expect(result.iterationsPerRound).toBe(300);
  });

  it('stays quiet on the bounded twin, decided on flat heap sizes', async () => {
    const result = await checkBounded(twin, quick);
    const steps = result.rounds.map((r) => r.heapBytes).join(' ');
    expect(result, steps).toMatchObject({ bounded: true, findings: [], evidence: 'heap-sizes' });
    expect(result.rounds.filter((r) => r.stage === 'heap-size')).toHaveLength(6);
  });

  it('counts objects by id on bounded code too with heapGraphs: always', async () => {
    const result = await checkBounded(twin, { ...quick, heapGraphs: 'always' });
    expect(result).toMatchObject({ bounded: true, findings: [], evidence: 'heap-graphs' });
    const graphRounds = result.rounds.filter((r) => r.stage === 'heap-graph');
    expect(graphRounds).toHaveLength(3);
    // Nothing born in the first two rounds is still held.
    expect(graphRounds.slice(0, 2).map((r) => r.survivors)).toEqual([0, 0]);
  });

  it('hides growth matched by `ignore` and says so in the report', async () => {
    const result = await checkBounded(leak, { ...quick, ignore: ['testing.test.ts › kept'] });
    expect(result.bounded).toBe(true);
    expect(result.findings).toEqual([]);
    expect(result.ignored.map((f) => f.path)).toEqual(['testing.test.ts › kept']);
    expect(formatBoundedReport(result, { color: false })).toContain('Ignored (matched `ignore`): 1');
  });

  it('matches `ignore` against sites too, and RegExps against both', async () => {
    const bySite = await checkBounded(leak, { ...quick, ignore: ['testing.test.ts:17'] });
    expect(bySite.bounded).toBe(true);
    kept = [];
    const byRegExp = await checkBounded(leak, { ...quick, ignore: [/› kept$/] });
    expect(byRegExp.ignored).toHaveLength(1);
  });

  it('accepts growth within maxBytesPerIteration and reports what the budget hid', async () => {
    const within = await checkBounded(leak, { ...quick, maxBytesPerIteration: '1 KiB' });
    expect(within.bounded).toBe(true);
    expect(within.accepted.map((f) => f.path)).toEqual(['testing.test.ts › kept']);
    expect(formatBoundedReport(within, { color: false })).toMatch(
      /Within maxBytesPerIteration \(\d+ B per call in all\)/,
    );
    kept = [];
    const over = await checkBounded(leak, { ...quick, maxBytesPerIteration: 8 });
    expect(over.bounded).toBe(false);
  });

  it('hides Map keys in paths unless strings: true', async () => {
    const byUser = new Map<string, object[]>([['alice-secret-token', []]]);
    const fn = (i: number) => {
      byUser.get('alice-secret-token')!.push({ i });
    };
    const hidden = await checkBounded(fn, quick);
    expect(hidden.findings[0]?.path).toMatch(/^testing\.test\.ts › byUser\.get\(<string #[0-9a-f]{6}>\)$/);
    expect(formatBoundedReport(hidden, { color: false })).not.toContain('alice-secret-token');
    byUser.set('alice-secret-token', []);
    const shown = await checkBounded(fn, { ...quick, strings: true });
    expect(shown.findings[0]?.path).toBe('testing.test.ts › byUser.get("alice-secret-token")');
  });
});

describe('checkBounded() handles', () => {
  it('reports a timer left active with where it was created, unless handles: false', async () => {
    let started: ReturnType<typeof setInterval> | undefined;
    const fn = () => {
      started ??= setInterval(() => {}, 60_000);
    };
    try {
      const result = await checkBounded(fn, quick);
      expect(result.bounded).toBe(false);
      const finding = result.findings.find((f) => f.detector === 'handles');
      expect(finding).toMatchObject({ path: 'setInterval()', growth: { count: 1 } });
      const file = new URL(import.meta.url).pathname;
      const line =
        readFileSync(file, 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('started ??= setInterval')) + 1;
      expect(finding!.site).toMatchObject({ file, line });
      expect(finding!.title).toContain('1 interval created by `setInterval()`');
      const quiet = await checkBounded(() => {}, { ...quick, handles: false });
      expect(quiet.findings).toEqual([]);
    } finally {
      clearInterval(started);
    }
  });

  it('reports other handles opened and left active', async () => {
    const servers: ReturnType<typeof createServer>[] = [];
    try {
      const result = await checkBounded((i) => {
        if (i === 0) servers.push(createServer().listen(0, '127.0.0.1'));
      }, quick);
      const finding = result.findings.find((f) => f.path === '(active handles) › TCPServerWrap');
      expect(finding, formatBoundedReport(result, { color: false })).toMatchObject({ growth: { count: 1 } });
    } finally {
      for (const s of servers) s.close();
    }
  });

  it('restores the timer functions it wraps', async () => {
    const before = globalThis.setTimeout;
    await checkBounded(twin, quick);
    expect(globalThis.setTimeout).toBe(before);
  });
});

describe('checkBounded() with detectors', () => {
  it('lets a detector that knows the pattern take the finding over, with the evidence it asked for', async () => {
    let seen: { graphs: number; iterations: number[]; growth: number } | undefined;
    const registry: Detector = {
      name: 'registry',
      priority: 10,
      needs: { heapGraphs: true, gauges: true },
      check(ctx) {
        const iterations = ctx.gauges.series('iterations');
        seen = {
          graphs: ctx.heap?.graphs.length ?? 0,
          iterations: iterations ? [...iterations] : [],
          growth: ctx.heap?.growth.length ?? 0,
        };
        return (ctx.heap?.growth ?? []).map((g) => ({
          id: `registry:${g.path}`,
          detector: 'registry',
          severity: 'leak' as const,
          title: `Registry ${g.path} is never cleared`,
          path: g.path,
          growth: { objectsPerIteration: g.countPerStep / 300 },
          confidence: 0.9,
          advice: 'Clear it after you aggregate.',
        }));
      },
    };
    const result = await checkBounded(leak, { ...quick, detectors: [registry] });
    expect(seen?.graphs).toBe(4);
    expect(seen?.growth).toBeGreaterThan(0);
    // One sample per round: warm-up (900 calls, eight more rounds of 100), 6 heap-size rounds of
    // 300, 3 heap-graph rounds of 150.
    expect(seen?.iterations.slice(-4)).toEqual([3500, 3650, 3800, 3950]);
    const finding = result.findings.find((f) => f.path === 'testing.test.ts › kept');
    expect(finding?.detector).toBe('registry');
    expect(finding?.evidence?.alsoReportedBy).toEqual([
      { detector: 'growth', id: 'growth:testing.test.ts › kept' },
    ]);
  });

  it('reports a failing detector and still decides', async () => {
    const broken: Detector = {
      name: 'broken',
      check() {
        throw new Error('bug in detector');
      },
    };
    const result = await checkBounded(leak, { ...quick, detectors: [broken] });
    expect(result.bounded).toBe(false);
    expect(result.failures.map((f) => f.error.message)).toEqual([
      'Detector `broken` check() failed: bug in detector',
    ]);
  });
});

describe('assertBounded()', () => {
  it('throws a LeakError whose message is the report', async () => {
    let error: unknown;
    try {
      await assertBounded(leak, quick);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LeakError);
    expect(error).toBeInstanceOf(LeakkitError);
    const leakError = error as LeakError;
    expect(leakError.name).toBe('LeakError');
    expect(leakError.code).toBe('ERR_LEAKKIT_NOT_BOUNDED');
    expect(leakError.message).toBe(formatBoundedReport(leakError.result, { color: false }));
    expect(leakError.findings[0]?.path).toBe('testing.test.ts › kept');
    const lines = leakError.message.split('\n');
    expect(lines[0]).toMatch(
      /^leakkit: the function is not bounded: 1 leak \([\d,]+ calls, rounds of 300, objects counted by id in heap graphs, [\d.]+ s\)$/,
    );
    expect(lines).toContain('    path   testing.test.ts › kept');
    expect(
      lines.some((l) =>
        /^ {4}sites {2}packages\/core\/test\/testing\.test\.ts:17: size=[\d.]+ KiB \(\+[\d.]+ KiB\), count=450 \(\+450\), average=\d+ B$/.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  it('resolves with the result when bounded', async () => {
    await expect(assertBounded(twin, quick)).resolves.toMatchObject({ bounded: true });
  });
});
