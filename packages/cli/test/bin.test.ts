import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBin, cliDir, snapshotSeries, spawnCli } from './helpers.js';

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
      stderr: 'leakkit diff: error: missing.heapsnapshot: no such file\n',
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

    it('exits 127 when the command does not exist', async () => {
      const { code, stderr } = await leakkit('watch', '--', 'leakkit-no-such-command');
      expect(code).toBe(127);
      expect(stderr).toBe(
        'leakkit watch: error: cannot start `leakkit-no-such-command`: command not found\n',
      );
    });
  },
);
