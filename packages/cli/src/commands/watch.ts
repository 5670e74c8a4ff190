import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDuration } from '@leakkit/core';
import { parseCommand } from '../args.js';
import { CliError, exitCodes, usageError } from '../exit.js';
import type { Io } from '../io.js';
import { println } from '../io.js';

export const watchHelp = `Usage: leakkit watch [options] -- <command> [args...]

Runs a Node.js program with leakkit's monitor attached (the @leakkit/core/register preload, no
code changes): findings are printed as they come, and a report when the program exits.

Options:
  --interval <duration>   Time between checks: 30s, 1m, 500ms (default: the monitor's, 1m).
  --detectors <list>      Comma-separated detectors to run, e.g. timers,caches (default: all bundled).
  --report <target>       console (default) or json:<file> for a JSON report at exit.
  --heap-snapshots        Let the monitor take heap snapshots to name what keeps growing (a pause
                          per capture; for tests and staging).
  -h, --help              Show this help.

<command> is usually \`node app.js\`: leakkit adds \`--import <register>\` to its arguments. Any
other command (npm start, tsx app.ts) gets it through NODE_OPTIONS, and so does every Node
process it starts.

Exit code: the program's own (128 + the signal number when a signal ended it); 2 for a usage
error; 127 when the command cannot be started.

Example:
  leakkit watch --interval 30s -- node server.js`;

/** Options that take a value: the split between leakkit's options and the command needs them. */
const VALUE_OPTIONS = new Set(['--interval', '--detectors', '--report']);

/**
 * Splits `[options] [--] command args…`: leakkit's options end at `--` or at the first word that
 * is neither an option nor an option's value, so `leakkit watch node app.js --port 3000` passes
 * `--port 3000` to the app.
 */
function splitCommand(argv: readonly string[]): { own: string[]; command: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { own: argv.slice(0, i), command: argv.slice(i + 1) };
    if (!arg.startsWith('-')) return { own: argv.slice(0, i), command: argv.slice(i) };
    if (VALUE_OPTIONS.has(arg)) i++;
  }
  return { own: [...argv], command: [] };
}

/** The `--import` specifier of the register preload, as a file URL (no quoting issues in NODE_OPTIONS). */
function registerUrl(): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('@leakkit/core/register')).href;
  } catch (error) {
    throw new CliError(
      exitCodes.internal,
      `cannot find @leakkit/core/register (${(error as Error).message.split('\n')[0]})`,
      'Reinstall @leakkit/cli; in the leakkit repository, run `pnpm run build` first.',
    );
  }
}

export async function watch(io: Io, argv: string[]): Promise<number> {
  const { own, command } = splitCommand(argv);
  const { values, positionals } = parseCommand('watch', {
    args: own,
    allowPositionals: true,
    options: {
      interval: { type: 'string' },
      detectors: { type: 'string' },
      report: { type: 'string' },
      'heap-snapshots': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    println(io.stdout, watchHelp);
    return exitCodes.ok;
  }
  if (positionals.length > 0 || command.length === 0) {
    throw usageError('expected a command to run: `leakkit watch -- node app.js`', 'watch');
  }
  const env: NodeJS.ProcessEnv = { ...io.env };
  if (values.interval !== undefined) {
    try {
      parseDuration('interval', values.interval);
    } catch {
      throw usageError(
        `expected --interval to be a duration like 30s or 1m, got \`${values.interval}\``,
        'watch',
      );
    }
    env.LEAKKIT_INTERVAL = values.interval;
  }
  if (values.detectors !== undefined) {
    const names = values.detectors.split(',').map((d) => d.trim());
    if (names.some((d) => !/^[\w-]+$/.test(d))) {
      throw usageError(
        `expected --detectors to be a comma-separated list of names, got \`${values.detectors}\``,
        'watch',
      );
    }
    env.LEAKKIT_DETECTORS = names.join(',');
  }
  if (values.report !== undefined) {
    if (values.report !== 'console' && !/^json:.+/.test(values.report)) {
      throw usageError(`expected --report to be console or json:<file>, got \`${values.report}\``, 'watch');
    }
    env.LEAKKIT_REPORT = values.report;
  }
  if (values['heap-snapshots']) env.LEAKKIT_HEAP_SNAPSHOTS = '1';

  const preload = `--import=${registerUrl()}`;
  const [program, ...args] = command as [string, ...string[]];
  const isNode = program === process.execPath || /^node(\.exe)?$/i.test(basename(program));
  if (isNode) args.unshift(preload);
  else env.NODE_OPTIONS = env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ${preload}` : preload;

  return new Promise<number>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        cwd: io.cwd,
        env,
        stdio: io.inherit ? 'inherit' : ['inherit', 'pipe', 'pipe'],
      });
    } catch (error) {
      reject(
        new CliError(exitCodes.commandNotFound, `cannot start \`${program}\`: ${(error as Error).message}`),
      );
      return;
    }
    child.stdout?.on('data', (chunk: Buffer) => io.stdout.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => io.stderr.write(chunk));
    // Ctrl-C reaches the whole process group; a `kill` reaches only us: pass it on either way, and
    // stay alive until the program has exited and printed its report.
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    const cleanup = () => {
      for (const s of signals) process.off(s, forward);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      const reason =
        error.code === 'ENOENT'
          ? 'command not found'
          : error.code === 'EACCES'
            ? 'permission denied'
            : error.message;
      reject(new CliError(exitCodes.commandNotFound, `cannot start \`${program}\`: ${reason}`));
    });
    child.on('close', (code, signal) => {
      cleanup();
      if (code !== null) resolve(code);
      else resolve(128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
    });
  });
}
