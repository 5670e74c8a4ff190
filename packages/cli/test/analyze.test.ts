import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Detector, Finding } from '@leakkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runCli, snapshotSeries } from './helpers.js';

// Real snapshots: each series is one child process running a program for four steps, one
// v8.writeHeapSnapshot per step. The leaky program is the seed's timing registry; its twin does the
// same work but clears the registry after each batch.
let root: string;
let leak: string[];
let bounded: string[];
let routes: string[];
const classLine =
  readFileSync(fixture('timer-metrics.cjs'), 'utf8')
    .split('\n')
    .findIndex((l) => l.startsWith('class TimerMetrics')) + 1;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'leakkit-cli-analyze-'));
  [leak, bounded, routes] = await Promise.all([
    snapshotSeries(root, 'timer-metrics.cjs', 4),
    snapshotSeries(root, 'bounded.cjs', 4),
    snapshotSeries(root, 'route-timings.cjs', 4),
  ]);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const analyze = (args: string[], detectors?: Detector[]) =>
  runCli(['analyze', ...args], { cwd: root, ...(detectors === undefined ? {} : { detectors }) });

interface AnalyzeJson {
  command: string;
  snapshots: { file: string; nodes: number; edges: number; selfSize: number }[];
  growth: {
    path: string;
    kind: string;
    name: string;
    unit: string;
    counts: number[];
    countPerStep: number;
    share: number;
    retainedSize: number | null;
    keys?: string;
    file?: string;
    line?: number;
  }[];
  findings: (Finding & { accepted: boolean })[];
  failures: { detector: string; code: string; message: string }[];
  baseline: { file: string; accepted: string[]; stale: string[] } | null;
  exitCode: number;
}

async function analyzeJson(args: string[], detectors?: Detector[]): Promise<[number, AnalyzeJson]> {
  const { code, stdout } = await analyze([...args, '--json'], detectors);
  return [code, JSON.parse(stdout) as AnalyzeJson];
}

describe('leakkit analyze', () => {
  it('names the growing registry, its retained size and where it is defined, and exits 1', async () => {
    const { code, stdout, stderr } = await analyze(leak);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toContain('4 heap snapshots, oldest first:');
    expect(stdout).toMatch(/ {2}1\. TimerMetrics\.timers\n/);
    expect(stdout).toMatch(
      /Map with string keys: \+300 entries per snapshot \(\+[\d.]+ KiB\), \d+% of the growth, retains [\d.]+ KiB/,
    );
    expect(stdout).toContain(`defined at ${fixture('timer-metrics.cjs')}:${classLine}`);
    expect(stdout).toMatch(/\n {2}leak +.*`TimerMetrics\.timers`/);
    expect(stdout).toMatch(/path: TimerMetrics\.timers\n/);
    expect(stdout).toMatch(/1 leak found \(exit code 1\)\.\n$/);
  });

  it('calls growth over only two steps (three snapshots) a warning: too short to fail on by default', async () => {
    const short = leak.slice(0, 3);
    const [code, out] = await analyzeJson(short);
    expect(code).toBe(0);
    expect(out.growth[0]).toMatchObject({ path: 'TimerMetrics.timers', countPerStep: 300 });
    expect(out.findings.map((f) => [f.path, f.severity])).toEqual([['TimerMetrics.timers', 'warning']]);
    expect((await analyze(short)).stdout).toMatch(
      /\nNo leak found\. 1 warning \(--fail-on warning fails on them\)\.\n$/,
    );
    expect((await analyze([...short, '--fail-on', 'warning'])).code).toBe(1);
  });

  it('reports nothing on the bounded twin and exits 0', async () => {
    const { code, stdout, stderr } = await analyze(bounded);
    expect(stderr).toBe('');
    expect(stdout).toContain('Nothing keeps growing across these snapshots.');
    expect(stdout).toContain('Findings: none.');
    expect(stdout).toMatch(/No leak found\.\n$/);
    expect(code).toBe(0);
  });

  it('prints the same analysis as JSON', async () => {
    const [code, out] = await analyzeJson(leak);
    expect(code).toBe(1);
    expect(out.command).toBe('analyze');
    expect(out.exitCode).toBe(1);
    expect(out.snapshots.map((s) => s.file)).toEqual(leak);
    for (const s of out.snapshots) expect(s.nodes).toBeGreaterThan(1000);
    const [top] = out.growth;
    expect(top).toMatchObject({
      path: 'TimerMetrics.timers',
      kind: 'map',
      name: 'Map',
      unit: 'entries',
      countPerStep: 300,
      keys: 'string',
      file: fixture('timer-metrics.cjs'),
      line: classLine,
    });
    // 300 entries a step, read from each snapshot.
    expect(top!.counts.slice(1).map((c, i) => c - top!.counts[i]!)).toEqual([300, 300, 300]);
    // The Map holds at least its 1,200 records ({ start, end, elapsed }: ≥ 24 bytes each).
    expect(top!.retainedSize).toBeGreaterThan(1200 * 24);
    expect(top!.share).toBeGreaterThan(0.5);
    const finding = out.findings.find((f) => f.path === 'TimerMetrics.timers');
    expect(finding).toMatchObject({ severity: 'leak', accepted: false });
    expect(finding!.advice.length).toBeGreaterThan(20);
    expect(out.baseline).toBeNull();

    const [boundedCode, quiet] = await analyzeJson(bounded);
    expect(boundedCode).toBe(0);
    expect(quiet).toMatchObject({ growth: [], findings: [], exitCode: 0 });
  });

  it('prints Map keys only with --strings, and never in findings or the baseline', async () => {
    const hashed = await analyze(routes);
    expect(hashed.code).toBe(1);
    expect(hashed.stdout).toMatch(
      /1\. route-timings\.cjs › module\.exports\.timings\.get\(<string #[0-9a-f]+>\)\n/,
    );
    expect(hashed.stdout).not.toMatch(/predict|health/);

    const shown = await analyze([...routes, '--strings', '--baseline', 'routes.json', '--update-baseline']);
    expect(shown.code).toBe(0);
    const baseline = await readFile(join(root, 'routes.json'), 'utf8');
    expect(baseline).toContain('timings.get(<string #');
    expect(baseline).not.toMatch(/predict|health/);

    const [, json] = await analyzeJson([...routes, '--strings']);
    expect(json.growth.map((g) => g.path)).toEqual([
      'route-timings.cjs › module.exports.timings.get("POST /predict")',
      'route-timings.cjs › module.exports.timings.get("GET /health")',
    ]);
    expect(json.growth.map((g) => g.countPerStep)).toEqual([150, 50]);
    expect(JSON.stringify(json.findings)).not.toMatch(/predict|health/);
    // The ids are those of a run without --strings: the baseline accepts them.
    expect((await analyze([...routes, '--baseline', 'routes.json'])).code).toBe(0);
  });

  it('lists --limit growing things and says how many more there are', async () => {
    const one = await analyze([...routes, '--limit', '1']);
    expect(one.stdout).toMatch(/ {2}1\. .*\n.*\n.*\n {2}… 1 more \(--limit 0 lists them all\)\n/);
    expect(one.stdout).not.toContain('  2. ');
    // Findings are not limited: both lists grow.
    expect(one.stdout.match(/^ {2}leak /gm)).toHaveLength(2);
    const [, all] = await analyzeJson([...routes, '--limit', '0']);
    expect(all.growth).toHaveLength(2);
    const [, single] = await analyzeJson([...routes, '--limit', '1']);
    expect(single.growth).toHaveLength(1);
  });

  describe('--baseline', () => {
    it('accepts the findings it lists, fails only on new ones, and names the stale ones', async () => {
      const file = 'baseline.json';
      const update = await analyze([...leak, '--baseline', file, '--update-baseline']);
      expect(update.code).toBe(0);
      expect(update.stdout).toMatch(/^Wrote \d+ accepted findings? to baseline\.json\.\n$/);
      const written = JSON.parse(await readFile(join(root, file), 'utf8')) as {
        version: number;
        findings: { id: string; path?: string }[];
      };
      expect(written.version).toBe(1);
      expect(written.findings.map((f) => f.path)).toContain('TimerMetrics.timers');

      // The same leak again: accepted, exit 0.
      const again = await analyze([...leak, '--baseline', file]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('(accepted by the baseline)');
      expect(again.stdout).toMatch(/No new leak\.\n$/);
      const [, json] = await analyzeJson([...leak, '--baseline', file]);
      expect(json.baseline!.accepted).toEqual(written.findings.map((f) => f.id).sort());
      expect(json.findings.every((f) => f.accepted)).toBe(true);

      // A baseline that accepts something else: the registry is new, and the other entry is stale.
      await writeFile(
        join(root, 'other.json'),
        JSON.stringify({ version: 1, findings: [{ id: 'growth:Cache.entries', path: 'Cache.entries' }] }),
      );
      const fresh = await analyze([...leak, '--baseline', 'other.json']);
      expect(fresh.code).toBe(1);
      expect(fresh.stdout).toContain('No longer found (fixed?): growth:Cache.entries.');
      expect(fresh.stdout).toMatch(/1 new leak found \(exit code 1\)\.\n$/);
      const clean = await analyze([...bounded, '--baseline', 'other.json']);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain('No longer found (fixed?): growth:Cache.entries.');
    });

    it('keeps the notes of findings still there when it updates, and drops stale entries', async () => {
      await analyze([...leak, '--baseline', 'notes.json', '--update-baseline']);
      const first = JSON.parse(await readFile(join(root, 'notes.json'), 'utf8')) as {
        findings: { id: string; note?: string }[];
      };
      const id = first.findings.find((f) => f.id.endsWith(':TimerMetrics.timers'))!.id;
      await writeFile(
        join(root, 'notes.json'),
        JSON.stringify({
          version: 1,
          findings: [
            { id, note: 'Known: fixed by #123' },
            { id: 'growth:Gone.cache', note: 'fixed' },
          ],
        }),
      );
      expect((await analyze([...leak, '--baseline', 'notes.json', '--update-baseline'])).code).toBe(0);
      const updated = JSON.parse(await readFile(join(root, 'notes.json'), 'utf8')) as {
        findings: Record<string, unknown>[];
      };
      expect(updated.findings.map((f) => f.id)).toEqual(first.findings.map((f) => f.id));
      expect(updated.findings.find((f) => f.id === id)).toMatchObject({ note: 'Known: fixed by #123' });
      // Only what identifies a finding: no title with this run's numbers, so updates do not churn.
      for (const entry of updated.findings) {
        expect(Object.keys(entry).every((k) => ['id', 'path', 'site', 'note'].includes(k))).toBe(true);
      }
    });

    it('writes leakkit-baseline.json when no file is named', async () => {
      const dir = join(root, 'default-baseline');
      mkdirSync(dir);
      const { code } = await runCli(['analyze', ...leak.map((f) => join(root, f)), '--update-baseline'], {
        cwd: dir,
      });
      expect(code).toBe(0);
      expect(JSON.parse(await readFile(join(dir, 'leakkit-baseline.json'), 'utf8'))).toMatchObject({
        version: 1,
      });
    });

    it.each([
      ['missing.json', undefined, /missing\.json: no such baseline file\nCreate it .*--update-baseline/],
      [
        'v2.json',
        '{"version":2,"findings":[]}',
        /v2\.json: baseline version 2 is not one this leakkit reads/,
      ],
      ['broken.json', '{"version":1,', /broken\.json: is not valid JSON/],
      ['array.json', '[]', /array\.json: expected a leakkit baseline .*, got an array/],
      ['no-list.json', '{"version":1}', /no-list\.json: .*`findings` is not an array/],
      [
        'no-id.json',
        '{"version":1,"findings":[{"path":"a"}]}',
        /`findings\[0\]\.id` to be a non-empty string/,
      ],
    ])('rejects %s with exit code 3', async (name, content, message) => {
      if (content !== undefined) writeFileSync(join(root, name), content);
      const { code, stdout, stderr } = await analyze([...leak, '--baseline', name]);
      expect(code).toBe(3);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
    });
  });

  describe('detectors', () => {
    // A pattern detector in the style of timers()/caches(): it reads the heap evidence the CLI
    // gathered and claims the Maps that grow, with a higher priority than the generic finding.
    const registries: Detector = {
      name: 'registries',
      priority: 30,
      needs: { heapGraphs: true },
      check: (ctx) =>
        (ctx.heap?.growth ?? [])
          .filter((g) => g.kind === 'map')
          .map((g) => ({
            id: `registries:${g.path}`,
            detector: 'registries',
            severity: 'leak' as const,
            title: `Registry ${g.path} is never cleared`,
            path: g.path,
            growth: { objectsPerIteration: g.countPerStep },
            confidence: 0.9,
            advice: 'Call `.clear()` after you aggregate.',
          })),
    };

    it('lets a detector that knows the pattern speak for the generic growth finding', async () => {
      const [code, out] = await analyzeJson(leak, [registries]);
      expect(code).toBe(1);
      const about = out.findings.filter((f) => f.path === 'TimerMetrics.timers');
      expect(about).toHaveLength(1);
      expect(about[0]).toMatchObject({
        id: 'registries:TimerMetrics.timers',
        advice: 'Call `.clear()` after you aggregate.',
        evidence: { alsoReportedBy: [{ detector: 'growth', id: 'growth:TimerMetrics.timers' }] },
      });
      const [quietCode, quiet] = await analyzeJson(bounded, [registries]);
      expect(quietCode).toBe(0);
      expect(quiet.findings).toEqual([]);
    });

    it('reports a failing detector on stderr and still judges with the others', async () => {
      const broken: Detector = {
        name: 'broken',
        check: () => {
          throw new Error('boom');
        },
      };
      const { code, stdout, stderr } = await analyze(leak, [broken]);
      expect(code).toBe(1);
      expect(stdout).toContain('TimerMetrics.timers');
      expect(stderr).toBe('leakkit analyze: warning: Detector `broken` check() failed: boom\n');
      const [, json] = await analyzeJson(leak, [broken]);
      expect(json.failures).toEqual([
        {
          detector: 'broken',
          phase: 'check',
          code: 'ERR_LEAKKIT_DETECTOR_FAILED',
          message: expect.any(String),
        },
      ]);
    });

    it('fails on warnings only with --fail-on warning', async () => {
      // Warns when the last snapshot holds more objects than the first: true of any real program.
      const grows: Detector = {
        name: 'objects',
        needs: { heapGraphs: true },
        check: (ctx) => {
          const graphs = ctx.heap?.graphs ?? [];
          const delta = (graphs.at(-1)?.nodeCount ?? 0) - (graphs[0]?.nodeCount ?? 0);
          if (delta <= 0) return [];
          return [
            {
              id: 'objects:count',
              detector: 'objects',
              severity: 'warning',
              title: `${delta} more objects`,
              path: 'heap',
              growth: { count: delta },
              confidence: 0.5,
              advice: 'Look closer.',
            },
          ];
        },
      };
      const relaxed = await analyze(bounded, [grows]);
      expect(relaxed.stderr).toBe('');
      expect(relaxed.stdout).toMatch(/warning +\d+ more objects/);
      expect(relaxed.code).toBe(0);
      const strict = await analyze([...bounded, '--fail-on', 'warning'], [grows]);
      expect(strict.code).toBe(1);
      expect(strict.stdout).toMatch(/1 finding found \(exit code 1\)\.\n$/);
    });
  });

  describe('errors', () => {
    const cut = (name: string, fraction: number) => {
      const source = join(root, leak[2]!);
      const size = statSync(source).size;
      writeFileSync(join(root, name), readFileSync(source).subarray(0, Math.floor(size * fraction)));
      return name;
    };

    it.each([
      [
        'a missing file',
        () => 'nope.heapsnapshot',
        /^leakkit analyze: error \[ERR_LEAKKIT_FILE\]: nope\.heapsnapshot: no such file\n$/,
      ],
      [
        'a directory',
        () => 'timer-metrics',
        /^leakkit analyze: error \[ERR_LEAKKIT_FILE\]: timer-metrics: is a directory, expected a \.heapsnapshot file\nPass the files themselves, oldest first: `leakkit analyze timer-metrics\/\*\.heapsnapshot`\.\n$/,
      ],
      [
        'a snapshot truncated in its header',
        () => cut('head.heapsnapshot', 0.02),
        /^leakkit analyze: error \[ERR_LEAKKIT_BAD_SNAPSHOT\]: Bad heap snapshot: "snapshot" header: node_count \d+ and edge_count \d+ need at least \d+ bytes, the input has \d+ at byte \d+ of head\.heapsnapshot\n$/,
      ],
      [
        'a snapshot truncated near its end',
        () => cut('tail.heapsnapshot', 0.9),
        /^leakkit analyze: error \[ERR_LEAKKIT_BAD_SNAPSHOT\]: Bad heap snapshot: truncated inside "\w+" \(unexpected end of input\) at byte \d+ of tail\.heapsnapshot\n$/,
      ],
      [
        'an empty file',
        () => {
          writeFileSync(join(root, 'empty.heapsnapshot'), '');
          return 'empty.heapsnapshot';
        },
        /^leakkit analyze: error \[ERR_LEAKKIT_BAD_SNAPSHOT\]: Bad heap snapshot: empty file at byte 0 of empty\.heapsnapshot\n$/,
      ],
      [
        'JSON that is not a snapshot',
        () => {
          writeFileSync(join(root, 'data.json'), '{"users":[1,2,3]}');
          return 'data.json';
        },
        /^leakkit analyze: error \[ERR_LEAKKIT_BAD_SNAPSHOT\]: Bad heap snapshot: expected "snapshot" as the first key \(not a heap snapshot\?\), got "users" at byte 1 of data\.json\n$/,
      ],
      [
        'an allocation dump',
        () => {
          writeFileSync(
            join(root, 'dump.json'),
            '{"format":"leakkit-tracing-snapshot","version":1,"meta":{},"frames":[],"traces":[]}',
          );
          return 'dump.json';
        },
        /^leakkit analyze: error \[ERR_LEAKKIT_BAD_SNAPSHOT\]: dump\.json: is a leakkit allocation dump, not a heap snapshot\nCompare two allocation dumps with `leakkit top old\.json new\.json`\.\n$/,
      ],
    ])('exits 3 on %s, before parsing the others', async (_, make, message) => {
      const bad = make();
      const { code, stdout, stderr } = await analyze([leak[0]!, leak[1]!, bad]);
      expect(stderr).toMatch(message);
      expect(stdout).toBe('');
      expect(code).toBe(3);
    });

    it.each([
      [['a.heapsnapshot', 'b.heapsnapshot'], /got 2; to compare two, run `leakkit diff old new`/],
      [[], /expected three or more heap snapshots of one process, oldest first/],
      [['--limit=-1', 'a', 'b', 'c'], /expected --limit to be an integer ≥ 0, got `-1`/],
      [
        ['--limit', '-1', 'a', 'b', 'c'],
        /option --limit needs a value; write --limit=<value> for one that starts/,
      ],
      [['--limit', 'many', 'a', 'b', 'c'], /expected --limit to be an integer ≥ 0, got `many`/],
      [['--fail-on', 'info', 'a', 'b', 'c'], /expected --fail-on to be one of leak, warning, got `info`/],
      [['--frobnicate', 'a', 'b', 'c'], /unknown option --frobnicate/],
      [['--baseline'], /option --baseline needs a value/],
      [['a', 'b', 'a'], /a is given twice: the snapshots must be different moments of one process/],
    ])('exits 2 on the usage error in %j', async (args, message) => {
      const { code, stdout, stderr } = await analyze(args);
      expect(stderr).toMatch(message);
      expect(stderr).toMatch(/\nRun `leakkit analyze --help` for usage\.\n$/);
      expect(stdout).toBe('');
      expect(code).toBe(2);
    });

    it('prints its help with --help and exits 0', async () => {
      const { code, stdout } = await analyze(['--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: leakkit analyze \[options\]/);
      for (const option of [
        '--json',
        '--baseline',
        '--update-baseline',
        '--fail-on',
        '--limit',
        '--strings',
      ]) {
        expect(stdout).toContain(option);
      }
    });
  });
});
