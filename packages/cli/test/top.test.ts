import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCoreTracing, fixture, runCli, snapshotSeries } from './helpers.js';

const exec = promisify(execFile);

// Real allocation dumps: a child process traces itself in exact mode, serves 2,000 requests and
// dumps a snapshot before and after (fixtures/allocations.mjs), leaking or bounded.
let root: string;
const leakLine =
  readFileSync(fixture('allocations.mjs'), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('LEAK_LINE')) + 1;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'leakkit-cli-top-'));
  const core = bundleCoreTracing();
  await Promise.all(
    ['leak', 'bounded'].map(async (mode) => {
      mkdirSync(join(root, mode));
      // Run from `root`: frames name files relative to the working directory, the fixture's is absolute.
      await exec(process.execPath, [fixture('allocations.mjs'), core, join(root, mode), mode], {
        cwd: root,
        timeout: 30_000,
      });
    }),
  );
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const top = (args: string[]) => runCli(['top', ...args], { cwd: root });
const pair = (mode: string) => [`${mode}/snapshot-old.json`, `${mode}/snapshot-new.json`];

interface TopJson {
  command: string;
  key: string;
  total: { size: number; sizeDiff: number; count: number; countDiff: number };
  diffs: { file: string; line: number; size: number; sizeDiff: number; count: number; countDiff: number }[];
}

describe('leakkit top', () => {
  it('prints the leaking line first, in tracemalloc format', async () => {
    const { code, stdout, stderr } = await top(pair('leak'));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^\[ Top \d+ differences \]$/);
    // Two objects per request (the record and its `elapsed` double), counted exactly.
    expect(lines[1]).toMatch(
      new RegExp(
        `^${fixture('allocations.mjs').replace(/[.]/g, '\\.')}:${leakLine}: size=\\d+ KiB \\(\\+\\d+ KiB\\), count=\\d+ \\(\\+400[0-2]\\), average=\\d+ B$`,
      ),
    );
    expect(stdout).toMatch(/\nTotal: [\d.]+ [KM]iB \(\+[\d.]+ KiB\) in [\d,]+ objects \(\+4,0\d\d\)\n$/);
  });

  it('gives the same numbers as JSON, and nothing at that line for the bounded twin', async () => {
    const leak = await top([...pair('leak'), '--json']);
    const out = JSON.parse(leak.stdout) as TopJson;
    expect(out).toMatchObject({ command: 'top', key: 'lineno' });
    expect(out.diffs[0]).toMatchObject({ file: fixture('allocations.mjs'), line: leakLine });
    expect(out.diffs[0]!.countDiff).toBeGreaterThanOrEqual(4000);
    expect(out.diffs[0]!.countDiff).toBeLessThanOrEqual(4002);
    expect(out.diffs[0]!.sizeDiff).toBeGreaterThanOrEqual(4000 * 12);

    const bounded = JSON.parse((await top([...pair('bounded'), '--json', '--limit', '0'])).stdout) as TopJson;
    const atLine = bounded.diffs.filter((d) => d.line === leakLine);
    for (const d of atLine) expect(Math.abs(d.countDiff)).toBeLessThan(10);
    expect(bounded.total.countDiff).toBeLessThan(100);
  });

  it('groups by traceback and prints each stack', async () => {
    const { code, stdout } = await top([...pair('leak'), '--key', 'traceback', '--limit', '1']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\[ Top 1 differences \]\n/);
    expect(stdout).toContain(`    at handleRequest (${fixture('allocations.mjs')}:${leakLine}:`);
  });

  it.each([
    [
      'a heap snapshot',
      () => {
        writeFileSync(join(root, 'x.heapsnapshot'), '{"snapshot":{"meta":{}}}');
        return 'x.heapsnapshot';
      },
      /^leakkit top: error \[ERR_LEAKKIT_BAD_DUMP\]: x\.heapsnapshot: is a V8 heap snapshot, not a leakkit allocation dump\nCompare heap snapshots with `leakkit diff old new`/,
    ],
    [
      'JSON that is not a dump',
      () => {
        writeFileSync(join(root, 'other.json'), '{"name":"x"}');
        return 'other.json';
      },
      /^leakkit top: error \[ERR_LEAKKIT_BAD_DUMP\]: Expected `other\.json` to be a leakkit tracing dump \(format "leakkit-tracing-snapshot", version 1\)/,
    ],
    [
      'a truncated dump',
      () => {
        const text = readFileSync(join(root, 'leak', 'snapshot-new.json'), 'utf8');
        writeFileSync(join(root, 'cut.json'), text.slice(0, text.length >> 1));
        return 'cut.json';
      },
      /^leakkit top: error \[ERR_LEAKKIT_BAD_DUMP\]: Expected `cut\.json` to be a leakkit tracing dump .*/,
    ],
    [
      'a missing file',
      () => 'gone.json',
      /^leakkit top: error \[ERR_LEAKKIT_FILE\]: gone\.json: no such file\n$/,
    ],
    [
      'a directory',
      () => 'leak',
      /^leakkit top: error \[ERR_LEAKKIT_FILE\]: leak: is a directory, expected an allocation dump/,
    ],
  ])('exits 3 on %s', async (_, make, message) => {
    const { code, stdout, stderr } = await top([pair('leak')[0]!, make()]);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
    expect(code).toBe(3);
  });

  it.each([
    [['a.json'], /expected two allocation dumps, old then new, got 1/],
    [
      ['--key', 'stack', 'a', 'b'],
      /expected --key to be one of lineno, filename, function, traceback, got `stack`/,
    ],
  ])('exits 2 on the usage error in %j', async (args, message) => {
    const { code, stderr } = await top(args);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });
});

describe('leakkit diff', () => {
  let series: Record<'leak' | 'bounded', string[]>;
  beforeAll(async () => {
    const [leak, bounded] = await Promise.all([
      snapshotSeries(root, 'timer-metrics.cjs', 3),
      snapshotSeries(root, 'bounded.cjs', 3),
    ]);
    series = { leak, bounded };
  });
  const ends = (s: string[]) => [s[0]!, s[s.length - 1]!];

  interface DiffJson {
    totals: { added: number; removed: number; surviving: number; countDelta: number; sizeDelta: number };
    groups: { name: string; added: number; removed: number; countDelta: number; sizeDelta: number }[];
  }

  it('counts the registry records as new Objects still alive', async () => {
    const { code, stdout, stderr } = await runCli(['diff', ...ends(series.leak), '--json'], { cwd: root });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as DiffJson;
    const objects = out.groups.find((g) => g.name === 'Object');
    // 300 records a step over two steps, each `{ start, end, elapsed }`.
    expect(objects!.added).toBeGreaterThanOrEqual(600);
    expect(objects!.countDelta).toBeGreaterThanOrEqual(600);
    expect(objects!.countDelta).toBeLessThan(620);
    expect(out.totals.surviving).toBeGreaterThan(10_000);

    const bounded = JSON.parse(
      (await runCli(['diff', ...ends(series.bounded), '--json'], { cwd: root })).stdout,
    ) as DiffJson;
    const boundedObjects = bounded.groups.find((g) => g.name === 'Object');
    expect(Math.abs(boundedObjects?.countDelta ?? 0)).toBeLessThan(20);
  });

  it('prints the Comparison view as a table', async () => {
    const { code, stdout } = await runCli(['diff', ...ends(series.leak), '--limit', '3'], { cwd: root });
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`${series.leak[0]} → ${series.leak[2]}`);
    expect(lines[1]).toMatch(
      /^ {2}[\d,]+ new, [\d,]+ freed, [\d,]+ surviving: \+[\d,]+ objects, \+[\d.]+ KiB$/,
    );
    expect(lines[3]).toMatch(
      /^Constructor +# New +# Deleted +# Delta +Alloc\. Size +Freed Size +Size Delta$/,
    );
    expect(stdout).toMatch(/\nObject +6\d\d +\d+ +\+6\d\d +[\d.]+ KiB/);
    expect(lines.slice(4, 7)).toHaveLength(3);
    expect(lines[7]).toMatch(/^… \d+ more constructors changed \(--limit 0 lists them all\)$/);
  });

  it.each([
    [['one.heapsnapshot'], 2, /expected two heap snapshots, old then new, got 1/],
    [['a', 'b', 'c'], 2, /got 3; for a series, run `leakkit analyze`/],
    [
      ['leak/snapshot-old.json', 'leak/snapshot-new.json'],
      3,
      /is a leakkit allocation dump, not a heap snapshot/,
    ],
    [
      ['nothing.heapsnapshot', 'leak/snapshot-new.json'],
      3,
      /^leakkit diff: error \[ERR_LEAKKIT_FILE\]: nothing\.heapsnapshot: no such file\n$/,
    ],
  ])('rejects %j with exit code %i', async (args, exit, message) => {
    const { code, stdout, stderr } = await runCli(['diff', ...args], { cwd: root });
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
    expect(code).toBe(exit);
  });
});
