/**
 * What `leakkit` exits with. Stable: CI scripts branch on these. `watch` exits with the app's own
 * code instead (see docs/cli.md).
 *
 * @example
 * ```ts
 * import { exitCodes, run } from '@leakkit/cli';
 * if ((await run(['analyze', 'a.heapsnapshot', 'b.heapsnapshot', 'c.heapsnapshot'])) === exitCodes.leaks) {
 *   console.log('new leaks');
 * }
 * ```
 */
export const exitCodes = {
  /** Done; no leak found (or only leaks the baseline accepts). */
  ok: 0,
  /** Leaks found that the baseline does not accept (`analyze`). */
  leaks: 1,
  /** The command line is wrong: unknown command or option, a bad value, too few files. */
  usage: 2,
  /** An input cannot be used: missing, a directory, unreadable, not a snapshot, truncated, a bad baseline. */
  input: 3,
  /** A bug in leakkit: an error it did not expect. Please report it. */
  internal: 4,
  /** `watch`: the command to run cannot be started (not found, not executable), as in a shell. */
  commandNotFound: 127,
} as const;

/** One of {@link exitCodes}' values. */
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/**
 * An error the CLI reports and exits on: its message is printed as is (with an optional hint), never
 * a stack.
 * @internal
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  readonly hint: string | undefined;
  /**
   * The `LeakkitError` code of a bad input (`ERR_LEAKKIT_BAD_SNAPSHOT`, `ERR_LEAKKIT_FILE`…),
   * printed in the error line so a script can tell a corrupt file from a missing one.
   */
  readonly code: string | undefined;

  constructor(exitCode: number, message: string, hint?: string, code?: string) {
    super(message);
    this.exitCode = exitCode;
    this.hint = hint;
    this.code = code;
  }
}

/** A command line that cannot be run: exit code 2, with the command's `--help` named in the hint. */
export function usageError(message: string, command?: string): CliError {
  return new CliError(
    exitCodes.usage,
    message,
    `Run \`leakkit ${command === undefined ? '' : `${command} `}--help\` for usage.`,
  );
}
