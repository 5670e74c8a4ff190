import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `node --import @leakkit/core/register app.js` on a program that knows nothing of leakkit. The
// preload is bundled from the sources into a throwaway package named @leakkit/core (so its own
// frames are recognised as they are in the published dist) and run in child processes.

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures', 'monitor');
let root: string;
let register: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'leakkit-register-'));
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: '@leakkit/core', type: 'module' }));
  register = join(root, 'dist', 'register.js');
  // esbuild comes with tsup, a dev dependency already.
  const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as {
    build(o: object): Promise<unknown>;
  };
  await esbuild.build({
    entryPoints: [join(here, '..', 'src', 'register.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: register,
    external: ['@leakkit/*'],
    logLevel: 'error',
  });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Line {
  event: string;
  change?: string;
  finding?: {
    id: string;
    path?: string;
    site?: { file: string; line: number };
    route?: string;
    advice: string;
  };
  report?: {
    ticks: number;
    findings: { path?: string; route?: string }[];
    routes: { route: string; share: number }[];
  };
}

function read(file: string): Line[] {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
  } catch {
    return [];
  }
}

/** Runs `node <flag> <register> <app>` until `done(lines)` or the app exits; SIGTERM then. */
function run(
  flag: '--import' | '--require',
  app: string,
  env: Record<string, string>,
  done: (lines: Line[]) => boolean,
  seconds: number,
): Promise<{ lines: Line[]; code: number | null; signal: string | null; stderr: string }> {
  const file = join(root, `events-${Math.random().toString(36).slice(2)}.jsonl`);
  const child = spawn(
    process.execPath,
    [flag, flag === '--import' ? pathToFileURL(register).href : register, app],
    {
      cwd: root,
      env: { ...process.env, LEAKKIT_REPORT: `json:${file}`, LEAKKIT_DETECTORS: 'none', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + seconds * 1000;
  const poll = setInterval(() => {
    if (Date.now() > deadline || done(read(file))) child.kill('SIGTERM');
  }, 250);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ lines: read(file), code, signal, stderr });
    });
  });
}

describe('@leakkit/core/register', () => {
  it('attaches to a program without touching it and names the path, the site and the route of its leak', async () => {
    const named = (lines: Line[]) =>
      lines.some((l) => l.event === 'finding' && l.finding?.path && l.finding.site && l.finding.route);
    // Named once path, site and route are known, or with path and site after a while: the route
    // needs the traffic mix to vary over enough readings, which a loaded machine may not give in time
    // (monitor.test.ts checks route attribution in-process).
    const started = Date.now();
    const enough = (lines: Line[]) =>
      named(lines) ||
      (Date.now() - started > 40_000 &&
        lines.some((l) => l.event === 'finding' && l.finding?.path && l.finding.site));
    const { lines, signal, stderr } = await run(
      '--import',
      join(fixtures, 'leaky-app.mjs'),
      { LEAKKIT_INTERVAL: '200ms', LEAKKIT_HEAP_SNAPSHOTS: 'on' },
      enough,
      70,
    );
    expect(stderr).toBe('');
    const found = lines.filter((l) => l.event === 'finding').map((l) => l.finding!);
    const last = found.findLast((f) => f.path && f.site);
    expect(last, JSON.stringify(found)).toBeDefined();
    expect(last!.path).toBe('TimerMetrics.timers');
    // A route, when named, is the leaking one; never the cache's.
    for (const f of found) if (f.route !== undefined) expect(f.route).toBe('GET /predict');
    expect(last!.site!.file).toMatch(/leaky-app\.mjs$/);
    expect(last!.site!.line).toBe(16);
    // SIGTERM with no handler of the program's: the report is written, then it dies of the signal.
    expect(signal).toBe('SIGTERM');
    const report = lines.find((l) => l.event === 'report')!.report!;
    expect(report.findings.some((f) => f.path === 'TimerMetrics.timers')).toBe(true);
    expect(lines.at(-1)!.event).toBe('stop');
  }, 100_000);

  it('works with --require in a CommonJS program and reports when it exits on its own', async () => {
    const { lines, code, stderr } = await run(
      '--require',
      join(fixtures, 'plain-app.cjs'),
      { LEAKKIT_INTERVAL: '100ms', PLAIN_MS: '700' },
      () => false,
      30,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(lines.map((l) => l.event)).toEqual(['start', 'report', 'stop']);
    expect(lines[1]!.report!.ticks).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('warns about a bad variable and runs with the default instead', async () => {
    const { lines, code, stderr } = await run(
      '--import',
      join(fixtures, 'plain-app.cjs'),
      { LEAKKIT_INTERVAL: 'often', LEAKKIT_HEAP_SNAPSHOTS: 'sometimes', PLAIN_MS: '100' },
      () => false,
      30,
    );
    expect(code).toBe(0);
    expect(stderr).toContain('leakkit: ignoring LEAKKIT_INTERVAL=often');
    expect(stderr).toContain('leakkit: ignoring LEAKKIT_HEAP_SNAPSHOTS=sometimes');
    // The default interval (1m) never ticked in 100 ms: nothing to report.
    expect(lines.map((l) => l.event)).toEqual(['start', 'stop']);
  }, 60_000);

  it('stays out of the way with LEAKKIT_DISABLE=1', async () => {
    const { lines, code } = await run(
      '--import',
      join(fixtures, 'plain-app.cjs'),
      { LEAKKIT_DISABLE: '1', PLAIN_MS: '50' },
      () => false,
      30,
    );
    expect(code).toBe(0);
    expect(lines).toEqual([]);
  }, 60_000);
});
