import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding } from '@leakkit/core';
import { parseDuration } from '@leakkit/core';
import { choiceOption, parseCommand } from '../args.js';
import { readBaseline } from '../baseline.js';
import { CliError, exitCodes, usageError } from '../exit.js';
import type { Io } from '../io.js';
import { println } from '../io.js';

export const watchHelp = `Usage: leakkit watch [options] -- <command> [args...]

Runs a Node.js program with leakkit's monitor attached (the @leakkit/core/register preload, no
code changes): findings are printed as they come, and a report when the program exits.

Options:
  --interval <duration>    Time between checks: 30s, 1m, 500ms (default 1m).
  --detectors <list>       Comma-separated detectors: timers, caches, module#export for your own,
                           none (default: timers,caches).
  --report <list>          Comma-separated: console (default, on stderr), json (JSON lines on
                           stdout), json:<file>.
  --heap-snapshots <when>  auto (default: when growth needs a name and the pause fits), on, off.
  --max-pause <duration>   The pause a heap capture may be expected to cost under auto (default
                           5s here, where the library's is 500ms: a watched run is a leak hunt).
  --fail-on <severity>     Exit 1 when the program exits 0 but its report holds a finding of at
                           least this severity: leak or warning. Without it, the program's code.
  --baseline <file>        With --fail-on: findings this file lists do not fail (see analyze).
  -h, --help               Show this help.

<command> is usually \`node app.js\`: leakkit adds \`--import <register>\` to its arguments. Any
other command (npm start, tsx app.ts) gets it through NODE_OPTIONS, and so does every Node
process it starts. Other LEAKKIT_* variables in the environment reach the monitor as they are.

Exit code: the program's own (128 + the signal number when a signal ended it); with --fail-on,
1 when it exited 0 with findings; 2 for a usage error; 3 for a bad baseline; 127 when the
command cannot be started.

Example:
  leakkit watch --interval 30s -- node server.js
  leakkit watch --interval 5s --fail-on leak -- node load-test.js`;

/** `--max-pause` unless given (or LEAKKIT_MAX_PAUSE is set): see {@link watch}. */
export const WATCH_MAX_PAUSE = '5s';

/** Options that take a value: the split between leakkit's options and the command needs them. */
const VALUE_OPTIONS = new Set([
  '--interval',
  '--detectors',
  '--report',
  '--heap-snapshots',
  '--max-pause',
  '--fail-on',
  '--baseline',
]);

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
      'heap-snapshots': { type: 'string' },
      'max-pause': { type: 'string' },
      'fail-on': { type: 'string' },
      baseline: { type: 'string' },
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
    if (names.some((d) => d === '')) {
      throw usageError(
        `expected --detectors to be a comma-separated list of names, got \`${values.detectors}\``,
        'watch',
      );
    }
    env.LEAKKIT_DETECTORS = names.join(',');
  }
  let reports = ['console'];
  if (values.report !== undefined) {
    reports = values.report.split(',').map((r) => r.trim());
    const bad = reports.find((r) => r !== 'console' && r !== 'json' && r !== 'none' && !/^json:.+/.test(r));
    if (bad !== undefined) {
      throw usageError(`expected --report to list console, json or json:<file>, got \`${bad}\``, 'watch');
    }
  }
  const heapSnapshots = values['heap-snapshots'];
  if (heapSnapshots !== undefined) {
    env.LEAKKIT_HEAP_SNAPSHOTS = choiceOption(
      'watch',
      'heap-snapshots',
      heapSnapshots,
      ['auto', 'on', 'off'],
      'auto',
    );
  }
  // A watched run is a leak hunt: a capture of a 50 MB heap (~2-4 s) is worth naming what keeps
  // the growth alive, where the library's production default (500 ms) allows heaps of a few MB
  // only. A LEAKKIT_MAX_PAUSE of the user's own is kept.
  const maxPause = values['max-pause'];
  if (maxPause !== undefined) {
    try {
      parseDuration('maxPause', maxPause);
    } catch {
      throw usageError(
        `expected --max-pause to be a duration like 5s or 500ms, got \`${maxPause}\``,
        'watch',
      );
    }
    env.LEAKKIT_MAX_PAUSE = maxPause;
  } else env.LEAKKIT_MAX_PAUSE ??= WATCH_MAX_PAUSE;
  const failOn =
    values['fail-on'] === undefined
      ? undefined
      : choiceOption('watch', 'fail-on', values['fail-on'], ['leak', 'warning'], 'leak');
  if (values.baseline !== undefined && failOn === undefined) {
    throw usageError("--baseline needs --fail-on: without it, watch exits with the program's code", 'watch');
  }
  const baseline = values.baseline === undefined ? undefined : await readBaseline(io, values.baseline);
  const preload = `--import=${registerUrl()}`;
  // To judge the run, leakkit reads the monitor's final report from a JSON-lines file of its own.
  let reportDir: string | undefined;
  let reportFile: string | undefined;
  if (failOn !== undefined) {
    reportDir = await mkdtemp(join(tmpdir(), 'leakkit-watch-'));
    reportFile = join(reportDir, 'report.jsonl');
    reports = [...reports.filter((r) => r !== 'none'), `json:${reportFile}`];
  }
  if (values.report !== undefined || reportFile !== undefined) env.LEAKKIT_REPORT = reports.join(',');

  const [program, ...args] = command as [string, ...string[]];
  const isNode = program === process.execPath || /^node(\.exe)?$/i.test(basename(program));
  if (isNode) args.unshift(preload);
  else env.NODE_OPTIONS = env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ${preload}` : preload;

  try {
    const code = await runChild(io, program, args, env);
    if (failOn === undefined || reportFile === undefined || code !== 0) return code;
    const accepted = new Set(baseline?.findings.map((f) => f.id));
    const failing = (await finalFindings(reportFile)).filter(
      (f) =>
        !accepted.has(f.id) && (f.severity === 'leak' || (failOn === 'warning' && f.severity === 'warning')),
    );
    if (failing.length === 0) return code;
    println(
      io.stderr,
      `leakkit watch: ${failing.length} ${baseline === undefined ? '' : 'new '}finding${failing.length === 1 ? '' : 's'} of severity ${failOn} or worse (exit code 1):`,
      ...failing.map((f) => `  ${f.severity}  ${f.title}  (${f.id})`),
    );
    return exitCodes.leaks;
  } finally {
    if (reportDir !== undefined) await rm(reportDir, { recursive: true, force: true });
  }
}

/**
 * The findings of the last `report` event of each process that wrote to the JSON-lines file (with
 * NODE_OPTIONS, every Node process the command starts reports). A program that ended before the
 * monitor's first tick wrote none: no findings.
 */
async function finalFindings(file: string): Promise<Finding[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const last = new Map<number, Finding[]>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const event = JSON.parse(line) as { event?: string; pid?: number; report?: { findings?: Finding[] } };
      if (event.event === 'report' && Array.isArray(event.report?.findings)) {
        last.set(event.pid ?? 0, event.report.findings);
      }
    } catch {
      // A line cut short by a process killed mid-write: the others still count.
    }
  }
  return [...last.values()].flat();
}

function runChild(io: Io, program: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
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
