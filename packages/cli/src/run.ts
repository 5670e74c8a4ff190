import { createRequire } from 'node:module';
import { analyze, analyzeHelp } from './commands/analyze.js';
import { diff, diffHelp } from './commands/diff.js';
import { top, topHelp } from './commands/top.js';
import { watch, watchHelp } from './commands/watch.js';
import { CliError, exitCodes, usageError } from './exit.js';
import type { Io, RunOptions } from './io.js';
import { println } from './io.js';

const COMMANDS = {
  watch: { run: watch, help: watchHelp },
  analyze: { run: analyze, help: analyzeHelp },
  diff: { run: diff, help: diffHelp },
  top: { run: top, help: topHelp },
} as const;

type CommandName = keyof typeof COMMANDS;

const mainHelp = `Usage: leakkit <command> [options]

Find memory leaks in Node.js programs.

Commands:
  watch [options] -- <command>     Run a program with the leak monitor attached; report at exit.
                                   --fail-on leak exits 1 when it reports a leak (CI).
  analyze <a> <b> <c> [...]        What keeps growing across 3+ heap snapshots of one process, and
                                   the detectors' findings. Exits 1 on new leaks (CI).
  diff <old> <new>                 Two heap snapshots compared by constructor (new, freed, delta).
  top <old.json> <new.json>        Two allocation dumps compared by line, like Python's tracemalloc.

Options:
  -h, --help       Show help (\`leakkit <command> --help\` for a command's).
  -v, --version    Print leakkit's version.

Exit codes: 0 ok, 1 leaks found, 2 usage error, 3 an input cannot be used, 4 internal error.
Docs: docs/cli.md in the leakkit repository.`;

function version(): string {
  // One directory up from both src/run.ts and dist/*.js.
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/**
 * Runs the `leakkit` command line: `argv` without the node and script paths
 * (`process.argv.slice(2)`). Never throws and never exits the process: errors are printed to
 * `stderr` and turned into the exit code it returns.
 *
 * @param argv - The arguments, e.g. `['analyze', 'a.heapsnapshot', 'b.heapsnapshot', 'c.heapsnapshot']`.
 * @param options - Where to write, the working directory, the environment and detectors; see {@link RunOptions}.
 * @returns The exit code (see `exitCodes`): 0 ok, 1 leaks found, 2 usage error, 3 bad input, 4 internal error.
 *
 * @example
 * ```ts
 * import { run } from '@leakkit/cli';
 *
 * const chunks: string[] = [];
 * const code = await run(['diff', 'before.heapsnapshot', 'after.heapsnapshot', '--json'], {
 *   stdout: { write: (s) => chunks.push(String(s)) },
 * });
 * if (code === 0) console.log(JSON.parse(chunks.join('')).totals.sizeDelta);
 * ```
 */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  const io: Io = {
    stdout: options.stdout ?? process.stdout,
    stderr: options.stderr ?? process.stderr,
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    detectors: options.detectors,
    inherit:
      (options.stdout === undefined || options.stdout === process.stdout) &&
      (options.stderr === undefined || options.stderr === process.stderr),
  };
  const [first, ...rest] = argv;
  let command: string | undefined;
  try {
    if (first === undefined) {
      println(io.stderr, mainHelp);
      return exitCodes.usage;
    }
    if (first === '-h' || first === '--help') {
      println(io.stdout, mainHelp);
      return exitCodes.ok;
    }
    if (first === '-v' || first === '--version') {
      println(io.stdout, version());
      return exitCodes.ok;
    }
    if (first === 'help') {
      const topic = rest[0];
      if (topic === undefined) println(io.stdout, mainHelp);
      else if (isCommand(topic)) println(io.stdout, COMMANDS[topic].help);
      else throw usageError(`unknown command \`${topic}\``);
      return exitCodes.ok;
    }
    if (!isCommand(first)) {
      throw usageError(
        first.startsWith('-') ? `expected a command before ${first}` : `unknown command \`${first}\``,
      );
    }
    command = first;
    return await COMMANDS[first].run(io, rest);
  } catch (error) {
    const prefix = command === undefined ? 'leakkit' : `leakkit ${command}`;
    if (error instanceof CliError) {
      const code = error.code === undefined ? '' : ` [${error.code}]`;
      println(io.stderr, `${prefix}: error${code}: ${error.message}`);
      if (error.hint !== undefined) println(io.stderr, error.hint);
      return error.exitCode;
    }
    println(
      io.stderr,
      `${prefix}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      'This is a bug in leakkit; please report it with the command you ran.',
    );
    return exitCodes.internal;
  }
}
