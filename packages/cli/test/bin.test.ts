import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBin, cliDir, fixture, runCli, snapshotSeries, spawnCli } from './helpers.js';

// The real executable in a process of its own: the `leakkit` bin bundled from the sources
// (src/bin.ts, core and the detectors), its exit code as the shell sees it.
let root: string;
let bin: string;
let leak: string[];
let bounded: string[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'leakkit-cli-bin-'));
  bin = await bundleBin();
  [leak, bounded] = await Promise.all([
    snapshotSeries(root, 'timer-metrics.cjs', 4),
    snapshotSeries(root, 'bounded.cjs', 4),
  ]);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  if (bin) await rm(bin, { force: true });
});

const leakkit = (...argv: string[]) => spawnCli(bin, argv, root);

describe('the leakkit executable', () => {
  it('starts with a #! line', () => {
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('exits 1 on the leaking series and 0 on the bounded one', async () => {
    const [leaky, quiet] = await Promise.all([leakkit('analyze', ...leak), leakkit('analyze', ...bounded)]);
    expect(leaky.code).toBe(1);
    expect(leaky.stdout).toContain('1. TimerMetrics.timers');
    expect(leaky.stderr).toBe('');
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toContain('No leak found.');
  });

  it('writes complete JSON to a pipe', async () => {
    const { code, stdout } = await leakkit('analyze', ...leak, '--json');
    expect(code).toBe(1);
    const out = JSON.parse(stdout) as { growth: { path: string }[]; exitCode: number };
    expect(out.growth[0]!.path).toBe('TimerMetrics.timers');
    expect(out.exitCode).toBe(1);
  });

  it('exits 3 with one line on stderr for a missing file, 2 for a usage error', async () => {
    const missing = await leakkit('diff', leak[0]!, 'missing.heapsnapshot');
    expect(missing).toEqual({
      code: 3,
      stdout: '',
      stderr: 'leakkit diff: error [ERR_LEAKKIT_FILE]: missing.heapsnapshot: no such file\n',
    });
    const usage = await leakkit('analyse', ...leak);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('leakkit: error: unknown command `analyse`\nRun `leakkit --help` for usage.\n');
  });

  it('answers --help for every command and --version', async () => {
    const main = await leakkit('--help');
    expect(main.code).toBe(0);
    for (const command of ['watch', 'analyze', 'diff', 'top']) {
      expect(main.stdout).toContain(`  ${command} `);
      const help = await leakkit(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: leakkit ${command} `));
      expect(help.stdout).toMatch(/Exit codes?: /);
      expect((await leakkit('help', command)).stdout).toBe(help.stdout);
    }
    const none = await leakkit();
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(main.stdout);
    const version = await leakkit('--version');
    const pkg = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as { version: string };
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
});

// `watch` preloads @leakkit/core/register into the program it runs, from core's build.
const register = (() => {
  try {
    return createRequire(join(cliDir, 'package.json')).resolve('@leakkit/core/register');
  } catch {
    return undefined;
  }
})();

describe.skipIf(register === undefined || !existsSync(register))(
  'leakkit watch (needs the built core)',
  () => {
    const app = fixture('leaky-app.cjs');
    // The monitor loads this detector by path (LEAKKIT_DETECTORS=<file>#registry): it follows the
    // size of the app's registry and reports a leak when it grows at every tick.
    const detector = `${fixture('registry-detector.cjs')}#registry`;
    const watch = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnCli(bin, ['watch', '--interval', '200ms', '--detectors', detector, ...args], root, {
        LEAKKIT_TEST_SECONDS: '2.5',
        ...env,
      });

    it('runs the program with the monitor preloaded and exits with its code', async () => {
      const { code, stdout } = await leakkit(
        'watch',
        '--',
        process.execPath,
        '-e',
        "console.log('preloaded:' + process.execArgv.some((a) => a.includes('register'))); process.exitCode = 7",
      );
      expect(stdout).toContain('preloaded:true');
      expect(code).toBe(7);
    });

    it('gives the program a 5 s capture pause budget unless LEAKKIT_MAX_PAUSE or --max-pause says otherwise', async () => {
      const print = ['--', process.execPath, '-e', 'console.log(process.env.LEAKKIT_MAX_PAUSE)'];
      const [plain, fromEnv, fromFlag, bad] = await Promise.all([
        spawnCli(bin, ['watch', ...print], root, {}),
        spawnCli(bin, ['watch', ...print], root, { LEAKKIT_MAX_PAUSE: '750ms' }),
        spawnCli(bin, ['watch', '--max-pause', '2s', ...print], root, { LEAKKIT_MAX_PAUSE: '750ms' }),
        spawnCli(bin, ['watch', '--max-pause', 'soon', ...print], root, {}),
      ]);
      expect(plain.stdout).toBe('5s\n');
      expect(fromEnv.stdout).toBe('750ms\n');
      expect(fromFlag.stdout).toBe('2s\n');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(
        /^leakkit watch: error: expected --max-pause to be a duration like 5s or 500ms, got `soon`\n/,
      );
    });

    it('fails on a leak the monitor reports with --fail-on, not on the bounded twin; baselines and --report work', async () => {
      writeFileSync(
        join(root, 'watch-baseline.json'),
        JSON.stringify({ version: 1, findings: [{ id: 'registry:TimerMetrics.timers' }] }),
      );
      const [leaky, bounded, plain, crashed, accepted] = await Promise.all([
        watch(['--fail-on', 'leak', '--', 'node', app, 'leak']),
        watch(['--fail-on', 'leak', '--', 'node', app, 'bounded']),
        watch(['--', 'node', app, 'leak']),
        watch(['--fail-on', 'leak', '--', 'node', app, 'leak'], { LEAKKIT_TEST_EXIT: '5' }),
        watch(['--fail-on', 'leak', '--baseline', 'watch-baseline.json', '--', 'node', app, 'leak']),
      ]);
      expect(leaky.stdout).toMatch(/^served \d+ requests\n$/);
      // The monitor's findings as they come and its report at exit, then leakkit's verdict.
      expect(leaky.stderr).toContain('TimerMetrics.timers grows at every tick');
      expect(leaky.stderr).toMatch(
        /leakkit watch: 1 finding of severity leak or worse \(exit code 1\):\n {2}leak {2}TimerMetrics\.timers grows at every tick \(\d+ entries\) {2}\(registry:TimerMetrics\.timers\)\n$/,
      );
      expect(leaky.code).toBe(1);
      expect(bounded.stderr).not.toContain('grows at every tick');
      expect(bounded.code).toBe(0);
      // Without --fail-on the program's exit code stands; a failing program's code wins over findings.
      expect(plain.stderr).toContain('TimerMetrics.timers grows at every tick');
      expect(plain.code).toBe(0);
      expect(crashed.code).toBe(5);
      expect(accepted.stderr).not.toContain('leakkit watch:');
      expect(accepted.code).toBe(0);
    });

    it('passes SIGTERM on to the program, waits for its report and exits 128 + 15', async () => {
      const child = spawn(
        process.execPath,
        [bin, 'watch', '--interval', '200ms', '--detectors', detector, '--', 'node', app, 'leak'],
        { cwd: root, env: { ...process.env, LEAKKIT_TEST_SECONDS: '60' } },
      );
      let stderr = '';
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      // Once the monitor has reported a finding it is surely running: stop the program then.
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += String(chunk);
          if (stderr.includes('grows at every tick')) resolve();
        });
      });
      const before = stderr.length;
      child.kill('SIGTERM');
      expect(await closed).toBe(128 + 15);
      // The report the program printed as it died of the signal lists the finding again.
      expect(stderr.slice(before)).toContain('TimerMetrics.timers grows at every tick');
    });

    it('exits 127 when the command does not exist', async () => {
      const { code, stderr } = await leakkit('watch', '--', 'leakkit-no-such-command');
      expect(code).toBe(127);
      expect(stderr).toBe(
        'leakkit watch: error: cannot start `leakkit-no-such-command`: command not found\n',
      );
    });
  },
);

describe('leakkit watch usage', () => {
  it.each([
    [[], /expected a command to run: `leakkit watch -- node app\.js`/],
    [
      ['--interval', 'soon', '--', 'node', 'a.js'],
      /expected --interval to be a duration like 30s or 1m, got `soon`/,
    ],
    [
      ['--heap-snapshots', 'always', '--', 'node', 'a.js'],
      /expected --heap-snapshots to be one of auto, on, off/,
    ],
    [
      ['--report', 'xml', '--', 'node', 'a.js'],
      /expected --report to list console, json or json:<file>, got `xml`/,
    ],
    [['--baseline', 'b.json', '--', 'node', 'a.js'], /--baseline needs --fail-on/],
    [
      ['--fail-on', 'info', '--', 'node', 'a.js'],
      /expected --fail-on to be one of leak, warning, got `info`/,
    ],
  ])('exits 2 on %j', async (args, message) => {
    const { code, stderr } = await runCli(['watch', ...args]);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });
});
