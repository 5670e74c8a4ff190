import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunOptions } from '@leakkit/cli';
import { run } from '@leakkit/cli';

const exec = promisify(execFile);
const packages = fileURLToPath(new URL('../../', import.meta.url));
export const cliDir = join(packages, 'cli');

/** Absolute path of a fixture program. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/**
 * Runs a fixture program in a child process (`--expose-gc`) that writes one heap snapshot per step
 * into a new directory of `root`; returns the snapshot names relative to `root`, oldest first.
 * The snapshots are of that program alone: nothing of the test's heap is in them.
 */
export async function snapshotSeries(root: string, program: string, steps: number): Promise<string[]> {
  const name = program.replace(/\.cjs$/, '');
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  await exec(process.execPath, ['--expose-gc', fixture(program), dir, String(steps)], { timeout: 30_000 });
  const files = (await readdir(dir)).filter((f) => f.endsWith('.heapsnapshot'));
  files.sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]));
  return files.map((f) => `${name}/${f}`);
}

/** What one CLI invocation printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `run(argv)` in this process, its output captured. */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    ...options,
    stdout: { write: (chunk) => (stdout += String(chunk)) },
    stderr: { write: (chunk) => (stderr += String(chunk)) },
  });
  return { code, stdout, stderr };
}

type Esbuild = {
  buildSync(options: Record<string, unknown>): unknown;
  build(options: Record<string, unknown>): Promise<unknown>;
};

function esbuild(): Esbuild {
  // esbuild comes with tsup, a dev dependency already.
  const require = createRequire(createRequire(import.meta.url).resolve('tsup'));
  return require('esbuild') as Esbuild;
}

/** Workspace packages resolved to their sources, as vitest's aliases do. */
const SOURCES: Record<string, string> = {
  '@leakkit/core': 'core/src/index.ts',
  '@leakkit/core/heap': 'core/src/heap/index.ts',
  '@leakkit/detector-timers': 'detector-timers/src/index.ts',
  '@leakkit/detector-caches': 'detector-caches/src/index.ts',
};

const sourcesPlugin = {
  name: 'leakkit-sources',
  setup(build: { onResolve(o: { filter: RegExp }, f: (a: { path: string }) => unknown): void }) {
    build.onResolve({ filter: /^@leakkit\// }, (args) => {
      const source = SOURCES[args.path];
      // Anything else (`@leakkit/core/register`, resolved at run time) stays a runtime lookup.
      return source === undefined ? { external: true } : { path: join(packages, source) };
    });
  },
};

/**
 * The `leakkit` executable bundled from the sources (src/bin.ts with core and the detectors), so the
 * tests run the real binary without a build. It is written into packages/cli/.tmp, one level below
 * the package like dist/bin.js, so its package.json and node_modules resolve as the built one's do.
 */
export async function bundleBin(): Promise<string> {
  const dir = join(cliDir, '.tmp');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `leakkit-${process.pid}.mjs`);
  // Plugins need the asynchronous API.
  await esbuild().build({
    entryPoints: [join(cliDir, 'src', 'bin.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    plugins: [sourcesPlugin],
    logLevel: 'error',
  });
  return outfile;
}

/**
 * leakkit's tracing API bundled from core's sources into a throwaway package named @leakkit/core
 * (so leakkit's own frames are recognised as they are in the published dist/), for child processes.
 */
export function bundleCoreTracing(): string {
  const root = mkdtempSync(join(tmpdir(), 'leakkit-cli-core-'));
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: '@leakkit/core', type: 'module' }));
  const outfile = join(root, 'dist', 'core.mjs');
  esbuild().buildSync({
    stdin: {
      contents: "export { start, stop, takeSnapshot } from './index.ts';",
      resolveDir: join(packages, 'core', 'src'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** Runs the bundled binary in a child process; never rejects on a non-zero exit code. */
export async function spawnCli(
  bin: string,
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [bin, ...argv], {
      cwd,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
